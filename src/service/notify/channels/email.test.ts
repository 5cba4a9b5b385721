import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import type { Severity } from '../../../core/types.ts';
import { InMemoryDeliveryLog } from '../delivery-log.ts';
import { Notifier } from '../notifier.ts';
import { finding, findingEvent, image, testClock } from '../testing.ts';
import type { NotifyEvent } from '../types.ts';

const PASSWORD = 'smtp-pa55word-do-not-log';

interface Received {
  from: string;
  to: string[];
  raw: string;
}

const servers: SMTPServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** A real SMTP server on loopback that takes AUTH PLAIN/LOGIN without TLS and keeps every message. */
async function startSmtp(options: Partial<SMTPServerOptions> = {}) {
  const mails: Received[] = [];
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === 'vigil' && auth.password === PASSWORD) callback(null, { user: 'vigil' });
      else callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
    ...options,
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { mails, port: (server.server.address() as AddressInfo).port };
}

function notifierFor(port: number, extra: Record<string, unknown> = {}, password = PASSWORD) {
  const log = new InMemoryDeliveryLog();
  const clock = testClock();
  let ids = 0;
  const notifier = new Notifier({
    channels: [
      {
        type: 'email',
        id: 'mail',
        smtp: { host: '127.0.0.1', port, ignoreTLS: true, user: 'vigil', password },
        from: 'vigil@example.test',
        to: ['alice@example.test', 'bob@example.test'],
        cc: ['security@example.test'],
        ...extra,
      },
    ],
    log,
    clock,
    retry: { maxAttempts: 3, timeoutMs: 5_000 },
    newId: () => `m${++ids}`,
  });
  return { notifier, log, clock };
}

/** Just enough MIME (RFC 2045/2046) to read nodemailer's multipart/alternative back. */
function parseMail(raw: string): { headers: Map<string, string>; text: string; html: string } {
  const [head = '', ...rest] = raw.split(/\r\n\r\n/);
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  const boundary = /boundary="?([^";]+)"?/.exec(headers.get('content-type') ?? '')?.[1] ?? '';
  const parts = rest
    .join('\r\n\r\n')
    .split(`--${boundary}`)
    .slice(1, -1)
    .map((part) => {
      const [partHead = '', ...body] = part.replace(/^\r\n/, '').split(/\r\n\r\n/);
      const encoded = body.join('\r\n\r\n').replace(/\r\n$/, '');
      const decoded = /base64/i.test(partHead)
        ? Buffer.from(encoded, 'base64').toString('utf8')
        : /quoted-printable/i.test(partHead)
          ? Buffer.from(
              encoded
                .replace(/=\r\n/g, '')
                .replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
              'latin1',
            ).toString('utf8')
          : encoded;
      return { type: /text\/html/i.test(partHead) ? 'html' : 'text', decoded: decoded.replace(/\r\n/g, '\n') };
    });
  return {
    headers,
    text: parts.find((p) => p.type === 'text')?.decoded ?? '',
    html: parts.find((p) => p.type === 'html')?.decoded ?? '',
  };
}

describe('email over SMTP', () => {
  it('delivers one finding with subject, recipients, a text and an HTML part', async () => {
    const { mails, port } = await startSmtp();
    const { notifier, log } = notifierFor(port);
    const summaries = await notifier.dispatch([findingEvent('finding.new', finding('CVE-2024-0001', 'HIGH'))]);
    expect(summaries.map((s) => [s.ok, s.error])).toEqual([[true, undefined]]);
    expect(mails).toHaveLength(1);
    const mail = mails[0]!;
    expect(mail.from).toBe('vigil@example.test');
    expect(mail.to).toEqual(['alice@example.test', 'bob@example.test', 'security@example.test']);
    const parsed = parseMail(mail.raw);
    expect(parsed.headers.get('subject')).toBe('[HIGH] CVE-2024-0001 in team/app:1.4 (openssl 3.0.11-1)');
    expect(parsed.headers.get('to')).toBe('alice@example.test, bob@example.test');
    expect(parsed.headers.get('x-vigil-delivery')).toBe('m1');
    expect(parsed.text).toContain('Image: team/app:1.4\nRegistry: registry.example.test');
    expect(parsed.text).toContain('- [HIGH] CVE-2024-0001 in openssl 3.0.11-1, fixed in 3.0.13-1');
    expect(parsed.html).toContain(
      '<a href="https://security-tracker.debian.org/tracker/CVE-2024-0001">CVE-2024-0001</a> in openssl 3.0.11-1',
    );
    expect(parsed.html).toContain('<td>payments</td>');
    expect(JSON.stringify(log.all())).not.toContain(PASSWORD);
  });

  it('sends one mail for a scan with 30 new findings in digest mode', async () => {
    const { mails, port } = await startSmtp();
    const { notifier } = notifierFor(port, { digest: { top: 10 } });
    const severityOf = (i: number): Severity => (i < 3 ? 'HIGH' : i < 10 ? 'MEDIUM' : 'LOW');
    const events: NotifyEvent[] = Array.from({ length: 30 }, (_, i) =>
      findingEvent('finding.new', finding(`CVE-2024-${String(i).padStart(4, '0')}`, severityOf(i))),
    );
    const summaries = await notifier.dispatch(events);
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatchObject({ ok: true, notificationType: 'scan.digest' });
    expect(mails).toHaveLength(1);
    const parsed = parseMail(mails[0]!.raw);
    expect(parsed.headers.get('subject')).toBe('[HIGH] 30 new vulnerabilities in team/app:1.4');
    expect(parsed.text).toContain('New: 30 (HIGH 3, MEDIUM 7, LOW 20)');
    expect(parsed.text.match(/^- \[/gm)).toHaveLength(10);
    expect(parsed.text).toContain('20 more new findings not listed.');
    expect(parsed.html.match(/<li>/g)).toHaveLength(10);
  });

  it('escapes hostile advisory text in HTML and keeps registry text out of the headers', async () => {
    const { mails, port } = await startSmtp();
    const { notifier } = notifierFor(port);
    const hostile = finding('CVE-2024-0666', 'CRITICAL', {
      summary: '<img src=x onerror=alert(1)> <a href="https://evil.example">[click](https://evil.example)</a>',
      urls: ['https://example.test/" onmouseover="alert(1)', 'https://nvd.nist.gov/vuln/detail/CVE-2024-0666'],
    });
    const event = findingEvent('finding.new', hostile, {
      image: { ...image, tag: '1.4\r\nBcc: mallory@evil.example' },
    });
    await notifier.dispatch([event]);
    expect(mails).toHaveLength(1);
    expect(mails[0]?.to).not.toContain('mallory@evil.example');
    const parsed = parseMail(mails[0]!.raw);
    expect(parsed.headers.has('bcc')).toBe(false);
    expect(parsed.headers.get('subject')).toBe(
      '[CRITICAL] CVE-2024-0666 in team/app:1.4 Bcc: mallory@evil.example (openssl 3.0.11-1)',
    );
    expect(parsed.html).not.toMatch(/<img|<a href="https:\/\/evil|onmouseover/);
    expect(parsed.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(parsed.html).toContain('<a href="https://nvd.nist.gov/vuln/detail/CVE-2024-0666">');
  });

  it.each([
    ['a 451 (transient) is retried and delivered', 451, 2, true],
    ['a 550 (permanent) is not retried', 550, 1, false],
  ])('%s', async (_name, code, attempts, ok) => {
    let refusals = 0;
    const { mails, port } = await startSmtp({
      onRcptTo(_address, _session, callback) {
        if (refusals++ === 0) callback(Object.assign(new Error('mailbox busy'), { responseCode: code }));
        else callback();
      },
    });
    const { notifier, log, clock } = notifierFor(port, { to: ['alice@example.test'], cc: undefined });
    const [summary] = await notifier.dispatch([findingEvent('finding.new', finding('CVE-2024-0001', 'HIGH'))]);
    expect(summary?.ok).toBe(ok);
    expect(mails).toHaveLength(ok ? 1 : 0);
    const record = await log.get('m1');
    expect(record?.attempts.map((a) => a.status ?? 0)).toEqual(ok ? [code, 0] : [code]);
    expect(clock.sleeps).toHaveLength(attempts - 1);
  });

  it('fails a refused login once, without the password anywhere', async () => {
    const { mails, port } = await startSmtp();
    const wrong = 'wrong-password-123456';
    const { notifier, log } = notifierFor(port, {}, wrong);
    const [summary] = await notifier.dispatch([findingEvent('finding.new', finding('CVE-2024-0001', 'HIGH'))]);
    expect(mails).toHaveLength(0);
    expect(summary?.ok).toBe(false);
    expect(summary?.error).toMatch(/535/);
    expect((await log.get('m1'))?.attempts).toHaveLength(1);
    expect(JSON.stringify([log.all(), summary])).not.toContain(wrong);
  });
});
