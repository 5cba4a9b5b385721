import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { isVigilError } from '../../../core/errors.ts';
import type { DeliveryRecord } from '../delivery-log.ts';
import { InMemoryDeliveryLog } from '../delivery-log.ts';
import { Notifier } from '../notifier.ts';
import { signWebhook, verifyWebhookSignature } from '../signature.ts';
import { finding, findingEvent, type Reply, startReceiver, testClock } from '../testing.ts';

const SECRET = 'whsec_0123456789abcdef-please-keep';
const TOKEN = 'Bearer gateway-token-5f1c2a';
const receivers: Array<{ close: () => Promise<void> }> = [];
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
});

async function setup(replies: Reply[], extra: Record<string, unknown> = {}) {
  let n = 0;
  const receiver = await startReceiver((req, res) => replies[Math.min(n++, replies.length - 1)]!(req, res));
  receivers.push(receiver);
  const clock = testClock();
  const log = new InMemoryDeliveryLog();
  let ids = 0;
  const notifier = new Notifier({
    channels: [
      { type: 'webhook', id: 'hook', url: receiver.url, secret: SECRET, headers: { Authorization: TOKEN }, ...extra },
    ],
    log,
    clock,
    retry: { maxAttempts: 4, baseDelayMs: 1_000, maxDelayMs: 60_000, timeoutMs: 2_000 },
    newId: () => `d${++ids}`,
  });
  return { receiver, clock, log, notifier };
}

const status =
  (code: number, headers: Record<string, string> = {}, body = ''): Reply =>
  (_req, res) =>
    res.writeHead(code, headers).end(body);

const event = findingEvent('finding.new', finding('CVE-2024-0001', 'HIGH'));

describe('webhook signature', () => {
  it('is verified by a receiver recomputing the HMAC over timestamp and raw body', async () => {
    const { receiver, clock, notifier } = await setup([status(204)]);
    const verdicts: string[] = [];
    receiver.setReply((req, res) => {
      const result = verifyWebhookSignature({
        secret: SECRET,
        rawBody: req.body,
        signatureHeader: req.headers['x-vigil-signature'] as string,
        timestampHeader: req.headers['x-vigil-timestamp'] as string,
        now: clock.now(),
      });
      verdicts.push(result.ok ? 'ok' : result.reason);
      res.writeHead(result.ok ? 204 : 401).end();
    });
    const [summary] = await notifier.dispatch([event]);
    expect(summary?.ok).toBe(true);
    expect(verdicts).toEqual(['ok']);
    const [request] = receiver.received;
    expect(request?.headers['x-vigil-timestamp']).toBe(String(Math.floor(clock.now() / 1000)));
    // RFC 2104 HMAC-SHA256 computed here independently of signature.ts.
    const mac = createHmac('sha256', SECRET).update(`${request?.headers['x-vigil-timestamp']}.${request?.body}`);
    expect(request?.headers['x-vigil-signature']).toBe(`sha256=${mac.digest('hex')}`);
    expect(request?.headers['x-vigil-event']).toBe('finding.new');
    expect(JSON.parse(request?.body ?? '')).toMatchObject({
      schemaVersion: 1,
      truncated: false,
      event: { type: 'finding.new', id: event.id, finding: { id: 'CVE-2024-0001', severity: 'HIGH' } },
    });
  });

  const now = Date.parse('2026-12-01T12:00:00Z');
  const ts = Math.floor(now / 1000);
  const body = '{"a":1}';
  it.each([
    ['a changed body', { rawBody: '{"a":2}' }, 'signature mismatch'],
    ['another secret', { secret: 'not-the-secret-at-all' }, 'signature mismatch'],
    ['a replay ten minutes later', { now: now + 600_000 }, 'timestamp outside tolerance'],
    ['no signature header', { signatureHeader: undefined }, 'headers missing'],
    ['a timestamp that is not a number', { timestampHeader: '12:00' }, 'timestamp is not Unix seconds'],
  ])('refuses %s', (_name, change, reason) => {
    const input = {
      secret: SECRET,
      rawBody: body,
      signatureHeader: signWebhook(SECRET, ts, body),
      timestampHeader: String(ts),
      now,
      ...change,
    };
    expect(verifyWebhookSignature(input)).toEqual({ ok: false, reason });
  });

  it('verifies whatever is signed and nothing else', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 16 }), fc.string(), fc.string({ minLength: 1 }), (secret, raw, extra) => {
        const signature = signWebhook(secret, ts, raw);
        const base = { secret, signatureHeader: signature, timestampHeader: String(ts), now };
        expect(verifyWebhookSignature({ ...base, rawBody: raw }).ok).toBe(true);
        expect(verifyWebhookSignature({ ...base, rawBody: raw + extra }).ok).toBe(false);
      }),
    );
  });
});

describe('webhook delivery', () => {
  it.each([
    ['500, 500, then 200', [status(500), status(500), status(200)], 3, [500, 1_000]],
    ['503 then 202', [status(503), status(202)], 2, [500]],
    ['429 with Retry-After seconds', [status(429, { 'retry-after': '7' }), status(200)], 2, [7_000]],
    [
      '429 with Retry-After as an HTTP date',
      [status(429, { 'retry-after': 'Tue, 01 Dec 2026 12:00:30 GMT' }), status(200)],
      2,
      [30_000],
    ],
    ['429 with a Retry-After of a day, capped', [status(429, { 'retry-after': '86400' }), status(200)], 2, [300_000]],
  ])('retries %s and delivers', async (_name, replies, requests, sleeps) => {
    const { receiver, clock, log, notifier } = await setup(replies);
    const [summary] = await notifier.dispatch([event]);
    expect(summary).toMatchObject({ ok: true, deliveryId: 'd1', channelId: 'hook' });
    expect(receiver.received).toHaveLength(requests);
    expect(clock.sleeps).toEqual(sleeps);
    const record = await log.get('d1');
    expect(record?.status).toBe('delivered');
    expect(record?.attempts.map((a) => a.ok)).toEqual([...Array(requests - 1).fill(false), true]);
    expect(await log.listFailed()).toEqual([]);
  });

  it.each([
    ['400', 400],
    ['401', 401],
    ['404', 404],
    ['410', 410],
    ['a redirect, not followed', 302],
  ])('does not retry %s and lists the delivery as failed', async (_name, code) => {
    const { receiver, clock, log, notifier } = await setup([status(code, code === 302 ? { location: '/x' } : {})]);
    const [summary] = await notifier.dispatch([event]);
    expect(summary?.ok).toBe(false);
    expect(summary?.error).toContain(`HTTP ${code}`);
    expect(receiver.received).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
    const failed = await log.listFailed();
    expect(failed.map((f) => [f.id, f.status, f.attempts.length])).toEqual([['d1', 'failed', 1]]);
  });

  it('gives up after the bounded number of attempts on endless 503s', async () => {
    const { receiver, log, notifier } = await setup([status(503)]);
    const [summary] = await notifier.dispatch([event]);
    expect(summary?.ok).toBe(false);
    expect(receiver.received).toHaveLength(4);
    expect((await log.get('d1'))?.attempts.map((a) => a.status)).toEqual([503, 503, 503, 503]);
  });

  it('retries a receiver that is not listening, then fails', async () => {
    const { receiver, log, notifier } = await setup([status(200)]);
    await receiver.close();
    const [summary] = await notifier.dispatch([event]);
    expect(summary?.ok).toBe(false);
    expect(summary?.error).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
    expect((await log.get('d1'))?.attempts).toHaveLength(4);
  });

  it('times out a receiver that never answers', async () => {
    const { log, notifier } = await setup([() => {}], { retry: { maxAttempts: 2, timeoutMs: 200 } });
    const [summary] = await notifier.dispatch([event]);
    expect(summary?.error).toContain('did not answer in 200 ms');
    expect((await log.get('d1'))?.attempts).toHaveLength(2);
  });

  it('replays a failed delivery once the receiver is fixed, signed afresh', async () => {
    const { receiver, clock, log, notifier } = await setup([status(400)]);
    await notifier.dispatch([event]);
    expect((await log.listFailed()).map((d) => d.id)).toEqual(['d1']);

    receiver.setReply(status(200));
    await clock.sleep(3_600_000);
    const record = await notifier.replay('d1');
    expect(record.status).toBe('delivered');
    expect(record.attempts.map((a) => a.ok)).toEqual([false, true]);
    expect(await log.listFailed()).toEqual([]);
    const [first, second] = receiver.received;
    expect(second?.body).toBe(first?.body);
    expect(second?.headers['x-vigil-delivery']).toBe('d1');
    expect(Number(second?.headers['x-vigil-timestamp'])).toBe(Number(first?.headers['x-vigil-timestamp']) + 3_600);
    const verdict = verifyWebhookSignature({
      secret: SECRET,
      rawBody: second?.body ?? '',
      signatureHeader: second?.headers['x-vigil-signature'] as string,
      timestampHeader: second?.headers['x-vigil-timestamp'] as string,
      now: clock.now(),
    });
    expect(verdict.ok).toBe(true);
  });

  it.each([
    ['an unknown delivery', 'nope'],
    ['a delivered one', 'd1'],
  ])('refuses to replay %s', async (_name, id) => {
    const { notifier } = await setup([status(200)]);
    await notifier.dispatch([event]);
    const error = await notifier.replay(id).catch((err: unknown) => err);
    expect(isVigilError(error, 'VIGIL_USAGE')).toBe(true);
  });

  it('keeps the secret and custom header values out of the log, errors and stored request', async () => {
    // A receiver that echoes what it got into its error body must not leak it through Vigil.
    const { receiver, log, notifier } = await setup([
      (req, res) => res.writeHead(400).end(`bad auth ${req.headers.authorization} key ${SECRET}`),
    ]);
    const [summary] = await notifier.dispatch([event]);
    expect(receiver.received[0]?.headers.authorization).toBe(TOKEN);
    expect(summary?.error).toContain('[redacted]');
    const stored = JSON.stringify(log.all());
    for (const secret of [SECRET, TOKEN]) {
      expect(stored).not.toContain(secret);
      expect(summary?.error).not.toContain(secret);
    }
    const record = log.all()[0] as DeliveryRecord;
    expect(record.message.request.headers).toMatchObject({
      'x-vigil-signature': '[redacted]',
      authorization: '[redacted]',
    });
  });
});
