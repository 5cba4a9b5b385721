import { expect, it } from 'vitest';
import type { DeliveryLog, NewDelivery } from './delivery-log.ts';

/**
 * The behaviour every DeliveryLog must have, as vitest cases. The store's SQLite and PostgreSQL
 * adapters call `deliveryLogContract(() => makeLog())` inside their own describe, the way kysely
 * runs one suite over every dialect.
 */

function delivery(id: string, extra: Partial<NewDelivery> = {}): NewDelivery {
  return {
    id,
    channelId: 'hook',
    channelType: 'webhook',
    notificationType: 'finding.new',
    notificationId: `evt-${id}`,
    eventIds: [`evt-${id}`],
    createdAt: '2026-12-01T12:00:00.000Z',
    message: {
      content: { body: '{"schemaVersion":1}' },
      request: { target: 'https://example.test/hook', headers: { 'x-vigil-signature': '[redacted]' }, body: '{}' },
    },
    ...extra,
  };
}

export function deliveryLogContract(make: () => Promise<DeliveryLog>): void {
  it('keeps a new delivery pending with its message, and its attempts in order', async () => {
    const log = await make();
    await log.create(delivery('a'));
    await log.recordAttempt('a', {
      at: '2026-12-01T12:00:00.000Z',
      ok: false,
      status: 503,
      error: 'HTTP 503',
      retryInMs: 500,
    });
    await log.recordAttempt('a', { at: '2026-12-01T12:00:01.000Z', ok: true, status: 200 });
    const record = await log.get('a');
    expect(record).toMatchObject({ ...delivery('a'), status: 'pending' });
    expect(record?.attempts).toEqual([
      { at: '2026-12-01T12:00:00.000Z', ok: false, status: 503, error: 'HTTP 503', retryInMs: 500 },
      { at: '2026-12-01T12:00:01.000Z', ok: true, status: 200 },
    ]);
  });

  it('lists failed deliveries oldest first, by channel and with a limit, and forgets them once delivered', async () => {
    const log = await make();
    await log.create(delivery('late', { createdAt: '2026-12-01T12:00:02.000Z' }));
    await log.create(delivery('early', { createdAt: '2026-12-01T12:00:01.000Z', channelId: 'mail' }));
    await log.create(delivery('ok', { createdAt: '2026-12-01T12:00:00.000Z' }));
    await log.markFailed('late', '2026-12-01T12:01:00.000Z', 'HTTP 404');
    await log.markFailed('early', '2026-12-01T12:01:00.000Z', 'SMTP 550');
    await log.markDelivered('ok', '2026-12-01T12:01:00.000Z');
    expect((await log.listFailed()).map((r) => r.id)).toEqual(['early', 'late']);
    expect((await log.listFailed({ channelId: 'hook' })).map((r) => r.id)).toEqual(['late']);
    expect((await log.listFailed({ limit: 1 })).map((r) => r.id)).toEqual(['early']);
    expect(await log.get('late')).toMatchObject({ status: 'failed', lastError: 'HTTP 404' });

    await log.markDelivered('late', '2026-12-01T13:00:00.000Z');
    expect((await log.listFailed()).map((r) => r.id)).toEqual(['early']);
    const replayed = await log.get('late');
    expect(replayed).toMatchObject({ status: 'delivered', finishedAt: '2026-12-01T13:00:00.000Z' });
    expect(replayed?.lastError).toBeUndefined();
  });

  it('answers undefined for an unknown id and refuses a duplicate one', async () => {
    const log = await make();
    expect(await log.get('nope')).toBeUndefined();
    await log.create(delivery('a'));
    await expect(log.create(delivery('a'))).rejects.toThrow();
  });
}
