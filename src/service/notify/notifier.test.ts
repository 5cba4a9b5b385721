import { readdirSync } from 'node:fs';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { isVigilError } from '../../core/errors.ts';
import { type ChannelConfig, channels } from './channels/index.ts';
import { InMemoryDeliveryLog } from './delivery-log.ts';
import { Notifier, parseChannelConfig, redactChannelConfig } from './notifier.ts';
import { finding, findingEvent, image, otherEvents, type Reply, startReceiver, testClock } from './testing.ts';
import type { NotifyEvent } from './types.ts';

const SECRET = 'whsec_notifier-test-secret-0001';
const receivers: Array<{ close: () => Promise<void> }> = [];
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
});

async function receiver(reply: Reply = (_req, res) => res.writeHead(204).end()) {
  const r = await startReceiver(reply);
  receivers.push(r);
  return r;
}

const events = [
  findingEvent('finding.new', finding('CVE-2024-0001', 'CRITICAL')),
  findingEvent('finding.new', finding('CVE-2024-0002', 'MEDIUM')),
  findingEvent('finding.new', finding('CVE-2024-0003', 'HIGH'), { image: { ...image, repository: 'infra/db' } }),
  findingEvent('finding.resolved', finding('CVE-2023-0009', 'HIGH')),
  ...otherEvents,
];

function eventIds(bodies: string[]): string[] {
  return bodies.map((b) => (JSON.parse(b) as { event: { id: string } }).event.id);
}

describe('channel registry', () => {
  it('lists every channel file once, each with its own type', () => {
    const files = readdirSync(new URL('./channels/', import.meta.url))
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'index.ts')
      .map((f) => f.replace(/\.ts$/, ''))
      .sort();
    expect(channels.map((c) => c.type).sort()).toEqual(files);
  });
});

describe('Notifier.dispatch', () => {
  it('routes each event through each channel filter', async () => {
    const [all, critical, team] = [await receiver(), await receiver(), await receiver()];
    const notifier = new Notifier({
      channels: [
        { type: 'webhook', id: 'all', url: all.url, secret: SECRET },
        {
          type: 'webhook',
          id: 'critical',
          url: critical.url,
          secret: SECRET,
          filter: { minSeverity: 'CRITICAL', events: ['finding.new', 'scan.failed'] },
        },
        { type: 'webhook', id: 'team', url: team.url, secret: SECRET, filter: { repositories: ['team/*'] } },
      ],
      clock: testClock(),
    });
    const summaries = await notifier.dispatch(events);
    expect(summaries.every((s) => s.ok)).toBe(true);
    expect(eventIds(all.received.map((r) => r.body))).toEqual(events.map((e) => e.id));
    expect(eventIds(critical.received.map((r) => r.body))).toEqual(['evt-finding.new-CVE-2024-0001', 'evt-failed']);
    expect(eventIds(team.received.map((r) => r.body))).not.toContain('evt-finding.new-CVE-2024-0003');
    expect(team.received).toHaveLength(events.length - 1);
  });

  it('filters before folding: a digest for a HIGH channel counts only HIGH and up', async () => {
    const hook = await receiver();
    const notifier = new Notifier({
      channels: [
        {
          type: 'webhook',
          id: 'digest',
          url: hook.url,
          secret: SECRET,
          filter: { minSeverity: 'HIGH', events: ['finding.new', 'finding.resolved'] },
          digest: { top: 5 },
        },
      ],
      clock: testClock(),
    });
    const summaries = await notifier.dispatch(events);
    expect(summaries.map((s) => s.notificationType)).toEqual(['scan.digest']);
    const body = JSON.parse(hook.received[0]?.body ?? '') as { event: Record<string, unknown> };
    expect(body.event).toMatchObject({ type: 'scan.digest', newCount: 2, resolvedCount: 1 });
  });

  it('delivers to healthy channels when another one fails', async () => {
    const [bad, good] = [await receiver((_req, res) => res.writeHead(404).end()), await receiver()];
    const log = new InMemoryDeliveryLog();
    const notifier = new Notifier({
      channels: [
        { type: 'webhook', id: 'bad', url: bad.url, secret: SECRET },
        { type: 'webhook', id: 'good', url: good.url, secret: SECRET },
      ],
      log,
      clock: testClock(),
    });
    await notifier.dispatch([otherEvents[1]!, otherEvents[2]!]);
    expect(good.received).toHaveLength(2);
    expect((await log.listFailed()).map((d) => d.channelId)).toEqual(['bad', 'bad']);
    expect(await log.listFailed({ channelId: 'good' })).toEqual([]);
    expect(await log.listFailed({ limit: 1 })).toHaveLength(1);
  });

  it('logs deliveries with pino, never the secret', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const hook = await receiver((_req, res) => res.writeHead(400).end(`rejected ${SECRET}`));
    const notifier = new Notifier({
      channels: [{ type: 'webhook', id: 'hook', url: hook.url, secret: SECRET }],
      clock: testClock(),
      logger,
    });
    await notifier.dispatch([otherEvents[0]!]);
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ msg: 'notification delivery failed', channelId: 'hook', channelType: 'webhook' });
    expect(lines[0]).not.toContain(SECRET);
    expect(String(line.error)).toContain('rejected [redacted]');
  });

  it('bounds a huge advisory in the webhook body and says so', async () => {
    const hook = await receiver();
    const notifier = new Notifier({
      channels: [{ type: 'webhook', id: 'hook', url: hook.url, secret: SECRET, maxBodyBytes: 16_384 }],
      clock: testClock(),
    });
    const huge = finding('CVE-2024-7777', 'HIGH', {
      summary: 'x'.repeat(5_000_000),
      urls: Array.from({ length: 10_000 }, (_, i) => `https://example.test/${i}`),
    });
    await notifier.dispatch([findingEvent('finding.new', huge)]);
    const body = hook.received[0]?.body ?? '';
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(16_384);
    const parsed = JSON.parse(body) as { truncated: boolean; event: { finding: { summary: string; urls: string[] } } };
    expect(parsed.truncated).toBe(true);
    expect(parsed.event.finding.summary).toMatch(/… \[truncated \d+ characters\]$/);
    expect(parsed.event.finding.urls.length).toBeLessThanOrEqual(50);
  });

  it('records a notification a channel cannot render as failed, and will not replay it', async () => {
    const hook = await receiver();
    const log = new InMemoryDeliveryLog();
    let ids = 0;
    const notifier = new Notifier({
      channels: [{ type: 'slack', id: 'slack', url: hook.url }],
      log,
      clock: testClock(),
      newId: () => `d${++ids}`,
    });
    // A producer bug: an event without its image. It must not stop the rest of the batch.
    const broken = { ...otherEvents[1]!, image: undefined } as unknown as NotifyEvent;
    const summaries = await notifier.dispatch([broken, otherEvents[2]!]);
    expect(summaries.map((s) => s.ok)).toEqual([false, true]);
    expect((await log.listFailed()).map((d) => d.id)).toEqual(['d1']);
    const error = await notifier.replay('d1').catch((err: unknown) => err);
    expect(isVigilError(error, 'VIGIL_USAGE')).toBe(true);
    expect(hook.received).toHaveLength(1);
  });

  it('refuses to replay a delivery whose channel is gone', async () => {
    const hook = await receiver((_req, res) => res.writeHead(410).end());
    const log = new InMemoryDeliveryLog();
    const config = { type: 'webhook', id: 'old', url: hook.url, secret: SECRET };
    await new Notifier({ channels: [config], log, clock: testClock(), newId: () => 'd1' }).dispatch([otherEvents[1]!]);
    const later = new Notifier({ channels: [{ ...config, id: 'new' }], log, clock: testClock() });
    const error = await later.replay('d1').catch((err: unknown) => err);
    expect(isVigilError(error, 'VIGIL_USAGE')).toBe(true);
    expect((error as Error).message).toBe('channel old of delivery d1 is not configured');
  });
});

describe('channel configs', () => {
  it.each([
    ['an unknown type', { type: 'pager', id: 'x' }, 'type'],
    ['a short webhook secret', { type: 'webhook', id: 'x', url: 'https://example.test/', secret: 'short' }, 'secret'],
    ['a file: URL', { type: 'webhook', id: 'x', url: 'file:///etc/passwd', secret: SECRET }, 'url'],
    [
      'a reserved header',
      { type: 'webhook', id: 'x', url: 'https://e.test/', secret: SECRET, headers: { 'X-Vigil-Signature': 'x' } },
      'headers',
    ],
    [
      'a bad e-mail address',
      { type: 'email', id: 'x', smtp: { host: 'mail' }, from: 'vigil', to: ['a@b.test'] },
      'from',
    ],
    [
      'a bad topic ARN',
      { type: 'sns', id: 'x', region: 'us-west-2', topicArn: 'arn:aws:sqs:us-west-2:1:q' },
      'topicArn',
    ],
    ['an id with a slash', { type: 'slack', id: 'a/b', url: 'https://hooks.slack.com/services/x' }, 'id'],
    [
      'an unknown field',
      { type: 'slack', id: 'a', url: 'https://hooks.slack.com/services/x', colour: 'red' },
      '(config)',
    ],
  ])('rejects %s with VIGIL_USAGE naming the field', (_name, config, field) => {
    const error = (() => {
      try {
        parseChannelConfig(config);
      } catch (err) {
        return err;
      }
    })();
    expect(isVigilError(error, 'VIGIL_USAGE')).toBe(true);
    expect((error as Error).message).toContain(`${field}:`);
    expect((error as Error).message).not.toContain(SECRET);
  });

  it('refuses two channels with one id', () => {
    const hook = { type: 'webhook', id: 'same', url: 'https://example.test/', secret: SECRET };
    expect(() => new Notifier({ channels: [hook, hook] })).toThrow('two notification channels are named same');
  });

  it.each<[string, ChannelConfig, string[]]>([
    [
      'webhook',
      parseChannelConfig({
        type: 'webhook',
        id: 'w',
        url: 'https://e.test/h',
        secret: SECRET,
        headers: { Authorization: 'Bearer abcdef1' },
      }),
      [SECRET, 'Bearer abcdef1'],
    ],
    [
      'slack',
      parseChannelConfig({ type: 'slack', id: 's', url: 'https://hooks.slack.com/services/T1/B2/zzzzzz' }),
      ['T1/B2/zzzzzz'],
    ],
    [
      'email',
      parseChannelConfig({
        type: 'email',
        id: 'e',
        smtp: { host: 'mail', user: 'u', password: 'hunter2hunter2' },
        from: 'a@b.test',
        to: ['c@d.test'],
      }),
      ['hunter2hunter2'],
    ],
  ])('redacts a %s config for display', (_type, config, secrets) => {
    const shown = JSON.stringify(redactChannelConfig(config));
    for (const secret of secrets) expect(shown).not.toContain(secret);
    expect(shown).toContain('[redacted]');
  });
});
