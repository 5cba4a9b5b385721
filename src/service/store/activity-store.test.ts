import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isVigilError } from '../../core/errors.ts';
import { dialects, digestOf, type TestDatabase } from './testing.ts';
import type { SeverityCounts, Store } from './types.ts';

const at = (seconds: number) => new Date(Date.parse('2026-11-01T10:00:00Z') + seconds * 1000);
const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');
const counts: SeverityCounts = { CRITICAL: 1, HIGH: 2, MEDIUM: 0, LOW: 0, NONE: 0, UNKNOWN: 3 };

describe.each(dialects)('scans, events and API tokens on $name', (dialect) => {
  describe.skipIf(dialect.skipReason !== undefined)(dialect.skipReason ?? 'activity', () => {
    let db: TestDatabase;
    let store: Store;
    beforeEach(async () => {
      db = await dialect.open();
      store = db.store;
    });
    afterEach(async () => db.cleanup());

    const endings = [
      {
        name: 'completed',
        finish: (s: Store, id: string) => s.completeScan(id, counts, at(2)),
        type: 'scan.completed',
      },
      {
        name: 'failed',
        finish: (s: Store, id: string) => s.failScan(id, 'registry said 503', at(2)),
        type: 'scan.failed',
      },
    ];

    it.each(endings)(
      'runs a scan queued -> running -> $name with one event, even when finished twice',
      async ({ name, finish, type }) => {
        const scan = await store.createScan({ digest: digestOf(1) }, at(0));
        expect(scan.status).toBe('queued');
        expect(await store.startScan(scan.id, at(1))).toMatchObject({ status: 'running', startedAt: at(1) });
        const event = await finish(store, scan.id);
        expect(event).toMatchObject({ type, digest: digestOf(1), payload: { scanId: scan.id } });
        expect(await finish(store, scan.id)).toBeUndefined();
        expect(await store.startScan(scan.id, at(3))).toBeUndefined();
        const stored = await store.getScan(scan.id);
        expect(stored).toMatchObject({ status: name, finishedAt: at(2) });
        if (name === 'completed') expect(stored?.counts).toEqual(counts);
        else expect(stored?.error).toBe('registry said 503');
        expect((await store.listEvents({})).map((e) => e.type)).toEqual([type]);
      },
    );

    it('lists scans newest first, by digest and status', async () => {
      const a = await store.createScan({ digest: digestOf(1) }, at(0));
      const b = await store.createScan(
        { digest: digestOf(2), configId: '11111111-1111-4111-8111-111111111111' },
        at(1),
      );
      const c = await store.createScan({ digest: digestOf(1) }, at(2));
      await store.startScan(c.id, at(3));
      expect((await store.listScans({})).map((s) => s.id)).toEqual([c.id, b.id, a.id]);
      expect((await store.listScans({ digest: digestOf(1) })).map((s) => s.id)).toEqual([c.id, a.id]);
      expect((await store.listScans({ status: 'queued' })).map((s) => s.id)).toEqual([b.id, a.id]);
      expect((await store.getScan(b.id))?.configId).toBe('11111111-1111-4111-8111-111111111111');
      expect(await store.getScan('nope')).toBeUndefined();
    });

    it('lists events in id order after a given id and by type', async () => {
      const first = await store.insertEvent('image.scan-expired', { days: 30 }, at(0), digestOf(1));
      const second = await store.insertEvent('scan.failed', { error: 'x' }, at(1));
      const third = await store.insertEvent('image.scan-expired', { days: 30 }, at(2), digestOf(2));
      expect(first).toMatchObject({
        type: 'image.scan-expired',
        digest: digestOf(1),
        payload: { days: 30 },
        createdAt: at(0),
      });
      expect((await store.listEvents({})).map((e) => e.id)).toEqual([first.id, second.id, third.id]);
      expect((await store.listEvents({ afterId: first.id })).map((e) => e.id)).toEqual([second.id, third.id]);
      expect((await store.listEvents({ type: 'image.scan-expired' })).map((e) => e.id)).toEqual([first.id, third.id]);
      expect((await store.listEvents({ limit: 1 })).map((e) => e.id)).toEqual([first.id]);
    });

    it('finds a token by its SHA-256 only until it is revoked', async () => {
      const hash = sha256('vigil_secret_token');
      const token = await store.createApiToken({ name: 'ci', role: 'operator', tokenHash: hash }, at(0));
      expect(token).not.toHaveProperty('tokenHash');
      expect(await store.findApiTokenByHash(hash, at(10))).toMatchObject({
        id: token.id,
        role: 'operator',
        lastUsedAt: at(10),
      });
      // last use is kept to the minute, so a burst of requests is not a burst of writes
      expect((await store.findApiTokenByHash(hash, at(20)))?.lastUsedAt).toEqual(at(10));
      expect((await store.findApiTokenByHash(hash, at(100)))?.lastUsedAt).toEqual(at(100));
      expect(await store.findApiTokenByHash(sha256('other'), at(10))).toBeUndefined();
      expect(await store.revokeApiToken(token.id, at(200))).toBe(true);
      expect(await store.revokeApiToken(token.id, at(201))).toBe(false);
      expect(await store.findApiTokenByHash(hash, at(300))).toBeUndefined();
      expect(await store.listApiTokens()).toEqual([
        { id: token.id, name: 'ci', role: 'operator', createdAt: at(0), lastUsedAt: at(100), revokedAt: at(200) },
      ]);
    });

    it.each([
      ['a plaintext token', 'vigil_secret_token'],
      ['an uppercase hash', sha256('x').toUpperCase()],
    ])('refuses %s as a token hash', async (_name, tokenHash) => {
      const error = await store.createApiToken({ name: 'x', role: 'viewer', tokenHash }, at(0)).catch((e) => e);
      expect(isVigilError(error, 'VIGIL_USAGE')).toBe(true);
      expect(await store.listApiTokens()).toEqual([]);
    });

    it('keeps its data and schema version across a reopen', async () => {
      await store.createScan({ digest: digestOf(1) }, at(0));
      const again = await db.reopen();
      expect(await again.listScans({})).toHaveLength(1);
    });
  });
});
