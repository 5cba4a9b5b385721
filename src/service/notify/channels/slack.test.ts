import { afterEach, describe, expect, it } from 'vitest';
import { InMemoryDeliveryLog } from '../delivery-log.ts';
import { Notifier } from '../notifier.ts';
import { finding, findingEvent, otherEvents, type Reply, startReceiver, testClock } from '../testing.ts';
import type { NotifyEvent } from '../types.ts';

const receivers: Array<{ close: () => Promise<void> }> = [];
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
});

async function send(events: readonly NotifyEvent[], channel: Record<string, unknown> = {}, replies?: Reply[]) {
  let n = 0;
  const all = replies ?? [(_req, res) => res.writeHead(200).end('ok')];
  const receiver = await startReceiver((req, res) => all[Math.min(n++, all.length - 1)]!(req, res));
  receivers.push(receiver);
  const log = new InMemoryDeliveryLog();
  const clock = testClock();
  // Slack's webhook URLs carry their credential in the path.
  const url = receiver.url.replace('/hooks/vigil', '/services/T000/B000/XXXXsecretXXXX');
  const notifier = new Notifier({ channels: [{ type: 'slack', id: 'slack', url, ...channel }], log, clock });
  const summaries = await notifier.dispatch(events);
  const bodies = receiver.received.map((r) => JSON.parse(r.body) as SlackBody);
  return { summaries, bodies, log, receiver, clock };
}

interface TextObject {
  type: 'plain_text' | 'mrkdwn';
  text: string;
}
interface SlackBody {
  text: string;
  blocks: Array<{ type: string; text?: TextObject; fields?: TextObject[]; elements?: TextObject[] }>;
}

function textObjects(body: SlackBody): TextObject[] {
  return body.blocks.flatMap((b) => [...(b.text ? [b.text] : []), ...(b.fields ?? []), ...(b.elements ?? [])]);
}

describe('slack', () => {
  it('sends a Block Kit message: header, facts, the finding and its advisory link', async () => {
    const { bodies, summaries } = await send([findingEvent('finding.new', finding('CVE-2024-0001', 'HIGH'))]);
    expect(summaries.map((s) => s.ok)).toEqual([true]);
    expect(bodies).toHaveLength(1);
    const body = bodies[0]!;
    expect(body.text).toBe('[HIGH] CVE-2024-0001 in team/app:1.4 (openssl 3.0.11-1)');
    expect(body.blocks.map((b) => b.type)).toEqual(['header', 'section', 'divider', 'section', 'section', 'context']);
    expect(body.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: body.text, emoji: false },
    });
    expect(body.blocks[1]?.fields?.map((f) => f.text)).toEqual([
      'Image: team/app:1.4',
      'Registry: registry.example.test',
      'Digest: sha256:8e2d1d4c0b7bbf1ab2c9f2b0d3c5f44e1f7e6a1b2c3d4e5f60718293a4b5c6d7',
      'Team: payments',
      'Owner: alice@example.test',
    ]);
    expect(body.blocks[4]?.text).toEqual({
      type: 'plain_text',
      text: '[HIGH] CVE-2024-0001 in openssl 3.0.11-1: fixed in 3.0.13-1',
      emoji: false,
    });
    expect(body.blocks[5]?.elements).toEqual([
      { type: 'plain_text', text: 'Summary of CVE-2024-0001', emoji: false },
      { type: 'mrkdwn', text: '<https://security-tracker.debian.org/tracker/CVE-2024-0001|advisory>' },
    ]);
  });

  it.each([
    ['scan.completed', otherEvents[0]!, '[CRITICAL] Scan of team/app:1.4: 3 new, 1 resolved'],
    ['scan.failed', otherEvents[1]!, '[FAILED] Scan of team/app:1.4: VIGIL_REGISTRY_UNREACHABLE'],
    ['image.scan-expired', otherEvents[2]!, '[EXPIRED] team/app:1.4 not scanned in 30 days'],
    [
      'finding.resolved',
      findingEvent('finding.resolved', finding('CVE-2024-0002', 'LOW')),
      '[RESOLVED] CVE-2024-0002 in team/app:1.4 (openssl 3.0.11-1)',
    ],
  ])('titles %s', async (_type, event, title) => {
    const { bodies } = await send([event]);
    expect(bodies[0]?.text).toBe(title);
  });

  it('keeps hostile advisory text inert: plain_text only, mrkdwn escaped, no mentions or links', async () => {
    const hostile = finding('CVE-2024-6666 <!channel>', 'CRITICAL', {
      summary: '<!channel> *URGENT* <https://evil.example/|click here> & <script>alert(1)</script>',
      urls: ['https://evil.example/a|b', 'javascript:alert(1)'],
      package: { ...finding('x', 'LOW').package, name: '<@U0123> `pkg`' },
    });
    const { bodies } = await send([findingEvent('finding.new', hostile)]);
    const body = bodies[0]!;
    for (const object of textObjects(body)) {
      // Untrusted text may appear raw only where Slack parses nothing.
      if (object.type === 'mrkdwn') expect(object.text).not.toMatch(/<!channel>|<@U|<https:\/\/evil|javascript:/);
    }
    expect(body.text).not.toContain('<!channel>');
    expect(body.text).toContain('&lt;!channel&gt;');
    const plain = textObjects(body).filter((o) => o.type === 'plain_text');
    expect(plain.map((o) => o.text)).toContain(
      '<!channel> *URGENT* <https://evil.example/|click here> & <script>alert(1)</script>',
    );
    // Neither the URL with "|" nor the javascript: one is linked.
    expect(JSON.stringify(body)).not.toContain('|advisory>');
  });

  it('folds a scan into one message and stays within 50 blocks', async () => {
    const events = Array.from({ length: 80 }, (_, i) =>
      findingEvent(i % 4 === 0 ? 'finding.resolved' : 'finding.new', finding(`CVE-2024-${1000 + i}`, 'MEDIUM')),
    );
    const { bodies } = await send(events, { digest: { top: 40 } });
    expect(bodies).toHaveLength(1);
    const body = bodies[0]!;
    expect(body.text).toBe('[MEDIUM] 60 new vulnerabilities in team/app:1.4, 20 resolved');
    expect(body.blocks.length).toBeLessThanOrEqual(50);
    const note = body.blocks.at(-1)?.elements?.[0]?.text ?? '';
    expect(note).toContain('20 more new findings not listed.');
    expect(note).toMatch(/\d+ listed findings left out: a Slack message holds 50 blocks\./);
  });

  it('retries a 500 like the webhook channel, and never records the webhook URL path', async () => {
    const { summaries, receiver, log } = await send(
      [findingEvent('finding.new', finding('CVE-2024-0001', 'HIGH'))],
      {},
      [(_req, res) => res.writeHead(500).end(), (_req, res) => res.writeHead(200).end('ok')],
    );
    expect(summaries.map((s) => s.ok)).toEqual([true]);
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[0]?.url).toBe('/services/T000/B000/XXXXsecretXXXX');
    const stored = JSON.stringify(log.all());
    expect(stored).not.toContain('XXXXsecretXXXX');
    expect(log.all()[0]?.message.request.target).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\[redacted\]$/);
  });
});
