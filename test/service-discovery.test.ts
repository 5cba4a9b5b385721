/**
 * Discovery against a real docker-registry: catalog and pattern, tag filters, tag → digest, one
 * queued scan per new digest, moved tags kept as history, deleted manifests archived, and a config
 * added while the scheduler runs discovered at once.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseImageRef } from '../src/image/index.ts';
import { pushOciLayout } from '../src/image/registry/index.ts';
import { discover, tagMatcher } from '../src/service/runtime/discovery.ts';
import { createScheduler } from '../src/service/runtime/scheduler.ts';
import { createSqliteQueue } from '../src/service/runtime/sqlite-queue.ts';
import { openRuntimeHarness, type RuntimeHarness, T0 } from '../src/service/runtime/testing.ts';
import { dialects, type TestDatabase } from '../src/service/store/testing.ts';
import type { Registry, ScanConfig } from '../src/service/store/types.ts';
import { buildImage } from './support/build-image.ts';
import { startRegistry, type TestRegistry } from './support/registry.ts';

let work: string;
let registry: TestRegistry;
let built = 0;

/** a distinct single-layer image pushed as `repository:tag`; returns its digest */
async function push(repository: string, tag: string): Promise<string> {
  built++;
  const image = await buildImage(
    { layers: [{ files: { 'srv/marker': `image ${built}` } }] },
    join(work, `layout-${built}`),
  );
  await pushOciLayout(image.layoutDir, parseImageRef(`${registry.host}/${repository}:${tag}`), { insecure: true });
  return image.manifestDigest;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vigil-service-discovery-'));
  registry = await startRegistry();
}, 60_000);

afterAll(async () => {
  await registry?.stop();
  await rm(work, { recursive: true, force: true });
});

describe('tag filters', () => {
  const config = (tags: string[] | null, tagFilter?: string) =>
    ({ tags, ...(tagFilter !== undefined && { tagFilter }) }) as unknown as ScanConfig;
  it.each([
    [config(null), '1.0', true],
    [config(['latest']), '1.0', false],
    [config(['latest']), 'latest', true],
    [config(null, 'v*'), 'v1.2', true],
    [config(null, 'v*'), '1.2', false],
    [config(null, '/^\\d+\\.\\d+$/'), '1.2', true],
    [config(null, '/^\\d+\\.\\d+$/'), '1.2-rc1', false],
    [config(['v1', 'v2'], 'v1*'), 'v2', false],
  ])('%o takes %s: %s', (c, tag, expected) => {
    expect(tagMatcher(c)(tag)).toBe(expected);
  });
});

describe.each(dialects)('discovery on $name', (dialect) => {
  const run = dialect.skipReason === undefined ? it : it.skip;
  let database: TestDatabase;
  let harness: RuntimeHarness;
  let registryRow: Registry;

  beforeEach(async () => {
    if (dialect.skipReason !== undefined) return;
    database = await dialect.open();
    harness = await openRuntimeHarness(database);
    registryRow = await database.store.createRegistry({ name: 'local', url: registry.url, kind: 'oci' }, T0);
  });
  afterEach(async () => {
    if (dialect.skipReason !== undefined) return;
    await harness.close();
    await database.cleanup();
  });

  run('queues each new digest once, records moved tags, archives what the registry deleted', async () => {
    const prefix = `d${dialect.name}`;
    const app1 = await push(`${prefix}/team/app`, '1.0');
    await push(`${prefix}/team/app`, 'dev-build');
    const api = await push(`${prefix}/team/api`, 'v2');
    await push('elsewhere/tool', 'v1');
    const queue = createSqliteQueue(harness.ctx);
    const config = await database.store.createConfig(
      { registryId: registryRow.id, repositoryPattern: `${prefix}/team/**`, tagFilter: '/^(v?\\d+(\\.\\d+)*)$/' },
      T0,
    );

    const first = await discover(harness.ctx, config, queue);
    expect(first).toEqual({ repositories: 2, tags: 2, queued: 2, moved: 0, archived: 0 });
    const queued = await database.store.listScans({ status: 'queued' });
    expect(queued.map((s) => s.digest).sort()).toEqual([api, app1].sort());
    expect(queued.every((s) => s.configId === config.id)).toBe(true);

    // nothing changed: nothing queued again
    expect(await discover(harness.ctx, config, queue)).toMatchObject({ queued: 0, moved: 0 });

    // 1.0 is pushed again with other content: the tag moves, the new digest is queued
    const app2 = await push(`${prefix}/team/app`, '1.0');
    expect(await discover(harness.ctx, config, queue)).toMatchObject({ queued: 1, moved: 1, archived: 0 });
    const history = await database.store.tagHistory({
      registryId: registryRow.id,
      repository: `${prefix}/team/app`,
      tag: '1.0',
    });
    expect(history.map((h) => [h.digest, h.replacedAt !== undefined])).toEqual([
      [app1, true],
      [app2, false],
    ]);
    // the old digest is untagged now but still in the registry: tracked, not archived
    expect((await database.store.getImages(app1))[0]?.archivedAt).toBeUndefined();

    const deleted = await fetch(`${registry.url}/v2/${prefix}/team/app/manifests/${app1}`, { method: 'DELETE' });
    expect(deleted.status).toBe(202);
    expect(await discover(harness.ctx, config, queue)).toMatchObject({ queued: 0, archived: 1 });
    expect((await database.store.getImages(app1))[0]?.archivedAt).toEqual(T0);
    expect(await database.store.listEvents({ type: 'finding.resolved' })).toEqual([]);
  });

  run('a config added while the scheduler runs is discovered at the next refresh, not at its schedule', async () => {
    const prefix = `n${dialect.name}`;
    const before = await database.store.createConfig({ registryId: registryRow.id, repository: `${prefix}/old` }, T0);
    await push(`${prefix}/old`, '1.0');
    const scheduler = createScheduler(harness.ctx, {
      queue: createSqliteQueue(harness.ctx),
      configRefreshMs: 3_600_000,
    });
    try {
      await scheduler.start();
      const digest = await push(`${prefix}/new`, '1.0');
      const added = await database.store.createConfig({ registryId: registryRow.id, repository: `${prefix}/new` }, T0);
      await scheduler.syncConfigs();
      // a second sync does not discover it again
      await scheduler.syncConfigs();
      await scheduler.stop();
      const queued = await database.store.listScans({ status: 'queued' });
      expect(queued.map((s) => [s.configId, s.digest])).toEqual([[added.id, digest]]);
      // the config known at start waits for its schedule
      expect(queued.some((s) => s.configId === before.id)).toBe(false);
    } finally {
      await scheduler.stop();
    }
  });

  run('a repository gone from the registry has its images archived', async () => {
    const queue = createSqliteQueue(harness.ctx);
    const gone = `sha256:${'c'.repeat(64)}`;
    await database.store.upsertImage({ registryId: registryRow.id, repository: 'retired/app', digest: gone }, T0);
    const named = await database.store.createConfig({ registryId: registryRow.id, repository: 'retired/app' }, T0);
    expect(await discover(harness.ctx, named, queue)).toMatchObject({ repositories: 1, tags: 0, archived: 1 });
    expect((await database.store.getImages(gone))[0]?.archivedAt).toEqual(T0);

    const other = `sha256:${'d'.repeat(64)}`;
    await database.store.upsertImage({ registryId: registryRow.id, repository: 'retired/api', digest: other }, T0);
    const pattern = await database.store.createConfig(
      { registryId: registryRow.id, repositoryPattern: 'retired/*' },
      T0,
    );
    expect(await discover(harness.ctx, pattern, queue)).toMatchObject({ archived: 1 });
    expect((await database.store.getImages(other))[0]?.archivedAt).toEqual(T0);
  });
});
