/**
 * The scheduler's table: one discovery schedule per live scan config in the config's time zone
 * (default daily), the fixed service tasks, and configs added or deleted through the Store picked up
 * on refresh. Times are computed from a pinned instant, never waited for.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createScheduler, type Scheduler } from '../src/service/runtime/scheduler.ts';
import { createSqliteQueue } from '../src/service/runtime/sqlite-queue.ts';
import { npmAdvisory, openRuntimeHarness, type RuntimeHarness, T0 } from '../src/service/runtime/testing.ts';
import { aFinding, dialects, type TestDatabase } from '../src/service/store/testing.ts';
import type { Store } from '../src/service/store/types.ts';

const sqlite = dialects.find((d) => d.name === 'sqlite')!;

describe('scheduler', () => {
  let database: TestDatabase;
  let harness: RuntimeHarness;
  let scheduler: Scheduler;

  beforeEach(async () => {
    database = await sqlite.open();
    harness = await openRuntimeHarness(database);
    scheduler = createScheduler(harness.ctx, { queue: createSqliteQueue(harness.ctx), configRefreshMs: 3_600_000 });
  });
  afterEach(async () => {
    await scheduler.stop();
    await harness.close();
    await database.cleanup();
  });

  const entry = (name: string) => scheduler.entries().find((e) => e.name === name);

  it('runs each config on its own cron in its own time zone, and the service tasks in UTC', async () => {
    const berlin = await database.store.createConfig(
      { registryUrl: 'https://r.test', repository: 'a', schedule: '0 2 * * *', timeZone: 'Europe/Berlin' },
      T0,
    );
    const daily = await database.store.createConfig({ registryUrl: 'https://r.test', repository: 'b' }, T0);
    await scheduler.start();
    const from = new Date('2026-11-01T00:30:00Z');
    // 02:00 in Berlin is 01:00 UTC in November (CET, UTC+1)
    expect(entry(`discover:${berlin.id}`)?.nextRun(from)?.toISOString()).toBe('2026-11-01T01:00:00.000Z');
    expect(entry(`discover:${daily.id}`)?.nextRun(from)?.toISOString()).toBe('2026-11-02T00:00:00.000Z');
    expect(entry('rematch')?.nextRun(from)?.toISOString()).toBe('2026-11-01T03:30:00.000Z');
    expect(entry('scan-age')?.nextRun(from)?.toISOString()).toBe('2026-11-01T01:15:00.000Z');
    expect(entry('db-update')).toBeUndefined();
  });

  it('picks up new and deleted configs on refresh', async () => {
    await scheduler.start();
    const config = await database.store.createConfig({ registryUrl: 'https://r.test', repository: 'a' }, T0);
    expect(entry(`discover:${config.id}`)).toBeUndefined();
    await scheduler.syncConfigs();
    expect(entry(`discover:${config.id}`)).toBeDefined();
    await database.store.deleteConfig(config.id, T0);
    await scheduler.syncConfigs();
    expect(entry(`discover:${config.id}`)).toBeUndefined();
  });

  it('rolls up yesterday at start when no rollup ran for it (the service was down after midnight)', async () => {
    const registry = await database.store.createRegistry({ name: 'r', url: 'https://r.test', kind: 'oci' }, T0);
    const digest = `sha256:${'e'.repeat(64)}`;
    const twoDaysAgo = new Date(T0.getTime() - 2 * 86_400_000);
    await database.store.upsertImage({ registryId: registry.id, repository: 'team/app', digest }, twoDaysAgo);
    await database.store.applyMatchResult(digest, [aFinding('CVE-2099-5', 'left-pad', 'HIGH')], {
      complete: true,
      now: twoDaysAgo,
    });
    const yesterday = new Date(T0.getTime() - 86_400_000).toISOString().slice(0, 10);
    expect(await database.store.imagesWithFinding(yesterday, 'HIGH')).toEqual([]);
    await scheduler.start();
    await scheduler.stop();
    expect(await database.store.imagesWithFinding(yesterday, 'HIGH')).toEqual([digest]);
  });

  it('runs a task on demand, as its schedule would', async () => {
    await harness.updateVulnDb([npmAdvisory('GHSA-test-x', 'left-pad', '2.0.0', 'CVE-2099-1')]);
    const registry = await database.store.createRegistry({ name: 'r', url: 'https://r.test', kind: 'oci' }, T0);
    const digest = `sha256:${'a'.repeat(64)}`;
    await storeLeftPadImage(database.store, registry.id, digest);
    await scheduler.start();
    await scheduler.run('rematch');
    expect(harness.dispatched.flat().map((e) => e.type)).toEqual(['finding.new']);
    expect((await database.store.getImages(digest))[0]?.lastScanned).toEqual(T0);
  });
});

describe.each(dialects)('scheduled tasks on a database shared by two nodes ($name)', (dialect) => {
  const run = dialect.skipReason === undefined ? it : it.skip;

  run('a firing runs on one node only; the next slot runs again', async () => {
    const database = await dialect.open();
    const nodes = [await openRuntimeHarness(database), await openRuntimeHarness(database)];
    const schedulers = nodes.map((node) => createScheduler(node.ctx, { queue: createSqliteQueue(node.ctx) }));
    try {
      const registry = await database.store.createRegistry({ name: 'r', url: 'https://r.test', kind: 'oci' }, T0);
      for (const node of nodes)
        await node.updateVulnDb([npmAdvisory('GHSA-test-x', 'left-pad', '2.0.0', 'CVE-2099-1')]);
      const digest = `sha256:${'e'.repeat(64)}`;
      await storeLeftPadImage(database.store, registry.id, digest);
      for (const scheduler of schedulers) await scheduler.start();
      await Promise.all(schedulers.map((scheduler) => scheduler.fire('rematch')));
      expect(nodes.map((node) => node.dispatched.length).sort()).toEqual([0, 1]);
      expect((await database.store.getImages(digest))[0]?.lastScanned).toEqual(T0);

      // the same minute again: already claimed
      await schedulers[0]?.fire('rematch');
      const later = new Date(T0.getTime() + 60_000);
      for (const node of nodes) node.setNow(later);
      await schedulers[1]?.fire('rematch');
      expect((await database.store.getImages(digest))[0]?.lastScanned).toEqual(later);
    } finally {
      for (const scheduler of schedulers) await scheduler.stop();
      for (const node of nodes) await node.close();
      await database.cleanup();
    }
  });
});

/** an image in repository "a" whose stored inventory holds left-pad 1.0.0 */
async function storeLeftPadImage(store: Store, registryId: string, digest: string): Promise<void> {
  await store.upsertImage({ registryId, repository: 'a', digest }, T0);
  await store.saveInventory(
    digest,
    {
      schemaVersion: 1,
      image: { ref: 'r.test/a', transport: 'registry', manifestDigest: digest, layers: [] },
      packages: [
        {
          name: 'left-pad',
          version: '1.0.0',
          type: 'npm',
          ecosystem: 'npm',
          purl: 'pkg:npm/left-pad@1.0.0',
          locations: [],
        },
      ],
      warnings: [],
      extractors: [],
    } as never,
    'key',
    T0,
  );
}
