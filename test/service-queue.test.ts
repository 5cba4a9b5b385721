/**
 * The embedded (SQLite) scan queue: workers claim each scan once, a shutdown hands running scans
 * back, and a process killed with SIGKILL mid-scan loses nothing and duplicates nothing: the scan
 * runs again from its expired lease and the notifier still hears of every finding.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseImageRef } from '../src/image/index.ts';
import { pushOciLayout } from '../src/image/registry/index.ts';
import { createPgBossQueue } from '../src/service/runtime/pgboss-queue.ts';
import { createSqliteQueue } from '../src/service/runtime/sqlite-queue.ts';
import { npmAdvisory, openRuntimeHarness, type RuntimeHarness, T0 } from '../src/service/runtime/testing.ts';
import { dialects, type TestDatabase } from '../src/service/store/testing.ts';
import type { Registry, Scan } from '../src/service/store/types.ts';
import { buildImage } from './support/build-image.ts';
import { startRegistry, type TestRegistry } from './support/registry.ts';

const CRASH_WORKER = new URL('../src/service/runtime/crash-worker.ts', import.meta.url).pathname;
const ADVISORIES = [
  npmAdvisory('GHSA-test-lodash', 'lodash', '4.17.21', 'CVE-2099-1001'),
  npmAdvisory('GHSA-test-minimist', 'minimist', '1.2.6', 'CVE-2099-1002'),
];
const sqlite = dialects.find((d) => d.name === 'sqlite')!;
const packageJson = (name: string, version: string) => JSON.stringify({ name, version });

let work: string;
let registry: TestRegistry;
const digests: string[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vigil-service-queue-'));
  registry = await startRegistry();
  for (const [i, version] of ['4.17.15', '4.17.19', '4.17.20'].entries()) {
    const image = await buildImage(
      {
        layers: [
          {
            files: {
              'srv/app/node_modules/lodash/package.json': packageJson('lodash', version),
              'srv/app/node_modules/minimist/package.json': packageJson('minimist', '1.2.0'),
            },
          },
        ],
      },
      join(work, `layout-${i}`),
    );
    await pushOciLayout(image.layoutDir, parseImageRef(`${registry.host}/team/app:${i}`), { insecure: true });
    digests.push(image.manifestDigest);
  }
}, 60_000);

afterAll(async () => {
  await registry?.stop();
  await rm(work, { recursive: true, force: true });
});

/** waits (bounded by the test timeout) until every scan has finished */
async function finished(database: TestDatabase, ids: readonly string[]): Promise<Scan[]> {
  for (;;) {
    const scans = await Promise.all(ids.map((id) => database.store.getScan(id)));
    if (scans.every((s) => s?.status === 'completed' || s?.status === 'failed')) return scans as Scan[];
    await delay(50);
  }
}

/** runs the crash worker until it says it is holding at the point asked for, then SIGKILLs it */
async function killMidScan(args: Record<string, unknown>): Promise<void> {
  const child = spawn(process.execPath, [CRASH_WORKER, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('HOLD')) resolve();
    });
    child.once('exit', () => reject(new Error(`crash worker exited early: ${stderr}`)));
  });
  child.kill('SIGKILL');
  await exited;
}

describe('SQLite scan queue', () => {
  let database: TestDatabase;
  let harness: RuntimeHarness;
  let registryRow: Registry;

  beforeEach(async () => {
    database = await sqlite.open();
    harness = await openRuntimeHarness(database);
    await harness.updateVulnDb(ADVISORIES);
    registryRow = await database.store.createRegistry({ name: 'local', url: registry.url, kind: 'oci' }, T0);
  });
  afterEach(async () => {
    await harness.close();
    await database.cleanup();
  });

  const enqueueAll = async (queue: ReturnType<typeof createSqliteQueue>) => {
    const ids: string[] = [];
    for (const digest of digests) {
      const scan = await database.store.createScan({ digest }, T0);
      await queue.enqueue({ scanId: scan.id, digest, registryId: registryRow.id, repository: 'team/app' });
      ids.push(scan.id);
    }
    return ids;
  };

  it('two workers take each queued scan exactly once', async () => {
    const queue = createSqliteQueue(harness.ctx, { pollMs: 20 });
    const ids = await enqueueAll(queue);
    await queue.start(2);
    const scans = await finished(database, ids);
    await queue.stop();
    expect(scans.map((s) => s.status)).toEqual(['completed', 'completed', 'completed']);
    expect(await database.store.listEvents({ type: 'scan.completed' })).toHaveLength(3);
    // one dispatch per scan
    expect(harness.dispatched.map((events) => events.at(-1)?.type)).toEqual([
      'scan.completed',
      'scan.completed',
      'scan.completed',
    ]);
  });

  it('stop() aborts a scan that outlives the grace period and hands it back to the queue', async () => {
    let release: () => void = () => {};
    const blocked = new Promise<void>((resolve) => {
      release = resolve;
    });
    (harness.ctx as { sourceOptions?: unknown }).sourceOptions = () => ({
      // a registry that never answers, as fetch does: until the request's signal aborts it
      fetch: async (input: string | URL | Request, init?: RequestInit) => {
        await Promise.race([
          blocked,
          new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason))),
        ]);
        return fetch(input, init);
      },
    });
    const queue = createSqliteQueue(harness.ctx, { pollMs: 20 });
    await enqueueAll(queue);
    await queue.start(1);
    // scans queued in one instant are taken in id order: wait for whichever is running
    let taken = await database.store.listScans({ status: 'running' });
    while (taken.length === 0) {
      await delay(20);
      taken = await database.store.listScans({ status: 'running' });
    }
    await queue.stop(0);
    release();
    expect((await database.store.getScan(taken[0]!.id))?.status).toBe('queued');
    expect(await database.store.listScans({ status: 'running' })).toEqual([]);
    expect(await database.store.listEvents({})).toEqual([]);
  });

  it('a scan that took its worker down every time is failed, not tried forever', async () => {
    const queue = createSqliteQueue(harness.ctx, { pollMs: 20, leaseMs: 60_000, maxAttempts: 2 });
    const digest = digests[0]!;
    const scan = await database.store.createScan({ digest }, T0);
    await queue.enqueue({ scanId: scan.id, digest, registryId: registryRow.id, repository: 'team/app' });
    // two workers that claimed it and died: their leases expire in turn
    for (const [i, owner] of ['dead-1', 'dead-2'].entries()) {
      harness.setNow(new Date(T0.getTime() + i * 120_000));
      await harness.ctx.jobs.recoverExpired(harness.ctx.now());
      expect((await harness.ctx.jobs.claim(owner, harness.ctx.now(), 60_000))?.scanId).toBe(scan.id);
    }
    harness.setNow(new Date(T0.getTime() + 240_000));
    await queue.start(1);
    const [done] = await finished(database, [scan.id]);
    await queue.stop();
    expect(done).toMatchObject({ status: 'failed', error: expect.stringContaining('2 times') });
    expect(harness.dispatched.flat()).toMatchObject([{ type: 'scan.failed', image: { repository: 'team/app' } }]);
    expect(await database.store.listEvents({ type: 'finding.new' })).toEqual([]);
  });

  it.each(['inventory', 'complete', 'dispatch'] as const)(
    'a worker killed with SIGKILL at %s: nothing is lost, nothing duplicated',
    async (holdAt) => {
      const queue = createSqliteQueue(harness.ctx, { pollMs: 20, leaseMs: 60_000 });
      const digest = digests[0]!;
      const scan = await database.store.createScan({ digest }, T0);
      await queue.enqueue({ scanId: scan.id, digest, registryId: registryRow.id, repository: 'team/app', tag: '0' });

      await killMidScan({
        url: database.url,
        dbPath: harness.dbPath,
        cacheDir: join(harness.dir, 'cache'),
        nowMs: T0.getTime(),
        holdAt,
      });
      expect((await database.store.getScan(scan.id))?.status).toBe(holdAt === 'dispatch' ? 'completed' : 'running');
      const storedBefore = await database.store.listEvents({ type: 'finding.new' });
      expect(storedBefore).toHaveLength(holdAt === 'inventory' ? 0 : 2);

      // a new process, once the dead one's lease has expired
      harness.setNow(new Date(T0.getTime() + 2 * 60_000));
      await queue.start(1);
      const [done] = await finished(database, [scan.id]);
      while (harness.dispatched.length === 0) await delay(20);
      await queue.stop();

      expect(done?.status).toBe('completed');
      expect(await database.store.listEvents({ type: 'finding.new' })).toHaveLength(2);
      expect(await database.store.listEvents({ type: 'scan.completed' })).toHaveLength(1);
      expect((await database.store.findingsPage({ digest }, undefined, 50)).findings).toHaveLength(2);
      expect(
        await database.store.tagHistory({ registryId: registryRow.id, repository: 'team/app', tag: '0' }),
      ).toHaveLength(1);
      // the notifier hears of both findings even when the killed attempt stored them
      expect(harness.dispatched.flat().map((e) => e.type)).toEqual(['finding.new', 'finding.new', 'scan.completed']);
    },
    60_000,
  );
});

const postgres = dialects.find((d) => d.name === 'postgres')!;

describe.skipIf(postgres.skipReason !== undefined)('PostgreSQL scan queue (pg-boss)', () => {
  it('serve enqueues, two workers take each scan exactly once', async () => {
    const database = await postgres.open();
    const bossSchema = `${database.schema}_jobs`;
    const harness = await openRuntimeHarness(database);
    const worker = await openRuntimeHarness(database);
    try {
      await harness.updateVulnDb(ADVISORIES);
      (worker.ctx as { vulnDb: unknown }).vulnDb = harness.ctx.vulnDb;
      const registryRow = await database.store.createRegistry({ name: 'local', url: registry.url, kind: 'oci' }, T0);
      const options = { url: database.url, schema: bossSchema, pollingIntervalSeconds: 0.5 };
      const serve = createPgBossQueue(harness.ctx, options);
      const workers = [createPgBossQueue(harness.ctx, options), createPgBossQueue(worker.ctx, options)];
      const ids: string[] = [];
      for (const digest of digests) {
        const scan = await database.store.createScan({ digest }, T0);
        await serve.enqueue({ scanId: scan.id, digest, registryId: registryRow.id, repository: 'team/app' });
        // a second enqueue of the same scan (a retried request) queues nothing more
        await serve.enqueue({ scanId: scan.id, digest, registryId: registryRow.id, repository: 'team/app' });
        ids.push(scan.id);
      }
      for (const queue of workers) await queue.start(1);
      const scans = await finished(database, ids);
      for (const queue of [serve, ...workers]) await queue.stop();
      expect(scans.map((s) => s.status)).toEqual(['completed', 'completed', 'completed']);
      expect(await database.store.listEvents({ type: 'scan.completed' })).toHaveLength(3);
      expect(await database.store.listEvents({ type: 'finding.new' })).toHaveLength(6);
      expect([...harness.dispatched, ...worker.dispatched]).toHaveLength(3);
    } finally {
      await worker.close();
      await harness.close();
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      await client.query(`drop schema if exists ${bossSchema} cascade`);
      await client.end();
      await database.cleanup();
    }
  }, 60_000);
});

describe.skipIf(postgres.skipReason !== undefined)('PostgreSQL scan queue after kill -9', () => {
  it.each(['inventory', 'complete', 'dispatch'] as const)(
    'a worker killed at %s: pg-boss hands the job out again, nothing is lost or duplicated',
    async (holdAt) => {
      const database = await postgres.open();
      const bossSchema = `${database.schema}_jobs`;
      const harness = await openRuntimeHarness(database);
      try {
        await harness.updateVulnDb(ADVISORIES);
        const registryRow = await database.store.createRegistry({ name: 'local', url: registry.url, kind: 'oci' }, T0);
        const queue = createPgBossQueue(harness.ctx, {
          url: database.url,
          schema: bossSchema,
          heartbeatSeconds: 10,
          superviseIntervalSeconds: 1,
          retryDelaySeconds: 1,
          pollingIntervalSeconds: 0.5,
        });
        const digest = digests[0]!;
        const scan = await database.store.createScan({ digest }, T0);
        await queue.enqueue({ scanId: scan.id, digest, registryId: registryRow.id, repository: 'team/app', tag: '0' });
        await killMidScan({
          url: database.url,
          schema: database.schema,
          bossSchema,
          dbPath: harness.dbPath,
          cacheDir: join(harness.dir, 'cache'),
          nowMs: T0.getTime(),
          holdAt,
        });
        expect((await database.store.getScan(scan.id))?.status).toBe(holdAt === 'dispatch' ? 'completed' : 'running');

        // later than the dead worker's lease on the scan row
        harness.setNow(new Date(T0.getTime() + 5 * 60_000));
        await queue.start(1);
        const [done] = await finished(database, [scan.id]);
        while (harness.dispatched.length === 0) await delay(50);
        await queue.stop();
        expect(done?.status).toBe('completed');
        expect(await database.store.listEvents({ type: 'finding.new' })).toHaveLength(2);
        expect(await database.store.listEvents({ type: 'scan.completed' })).toHaveLength(1);
        expect((await database.store.findingsPage({ digest }, undefined, 50)).findings).toHaveLength(2);
        expect(harness.dispatched.flat().map((e) => e.type)).toEqual(['finding.new', 'finding.new', 'scan.completed']);
      } finally {
        await harness.close();
        const client = new pg.Client({ connectionString: database.url });
        await client.connect();
        await client.query(`drop schema if exists ${bossSchema} cascade`);
        await client.end();
        await database.cleanup();
      }
    },
    120_000,
  );
});
