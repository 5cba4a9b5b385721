/**
 * Child process for the kill -9 tests (test/service-queue.test.ts): runs the SQLite queue (or, with
 * `bossSchema`, the pg-boss queue) with one worker on a pinned clock and holds still at `holdAt`,
 * printing HOLD, until the test kills it.
 * - `inventory`: the first layer blob request never answers (killed mid-download)
 * - `complete`: findings and their events are stored, the scan row is not yet finished
 * - `dispatch`: the scan is finished, the notifier has not been told
 * Usage: node crash-worker.ts '<json: { url, schema?, bossSchema?, dbPath, cacheDir, nowMs, holdAt }>'
 */

import { openStore } from '../store/open-store.ts';
import { openRuntimeQueries } from '../store/runtime-queries.ts';
import { openScanQueueQueries } from '../store/scan-queue.ts';
import type { Store } from '../store/types.ts';
import type { RuntimeContext } from './context.ts';
import { createPgBossQueue } from './pgboss-queue.ts';
import { createSqliteQueue } from './sqlite-queue.ts';
import { openVulnData } from './vuln-data.ts';

interface Args {
  url: string;
  schema?: string;
  bossSchema?: string;
  dbPath: string;
  cacheDir: string;
  nowMs: number;
  holdAt: 'inventory' | 'complete' | 'dispatch';
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const options = args.schema === undefined ? {} : { schema: args.schema };
const hold = (): Promise<never> => {
  process.stdout.write('HOLD\n');
  return new Promise<never>(() => {});
};

const opened = await openStore(args.url, options);
const store: Store = args.holdAt === 'complete' ? { ...opened, completeScan: () => hold() } : opened;
const ctx: RuntimeContext = {
  store,
  jobs: await openScanQueueQueries(args.url, options),
  queries: openRuntimeQueries(args.url, options),
  vulnDb: openVulnData(args.dbPath),
  ...(args.holdAt === 'dispatch' && { notifier: { dispatch: () => hold() } }),
  cacheDir: args.cacheDir,
  now: () => new Date(args.nowMs),
  staleAfterMs: 3 * 86_400_000,
  sourceOptions: () => ({
    fetch: (input, init) =>
      args.holdAt === 'inventory' && String(input instanceof Request ? input.url : input).includes('/blobs/sha256:')
        ? hold()
        : fetch(input, init),
  }),
};
const queue =
  args.bossSchema === undefined
    ? createSqliteQueue(ctx, { leaseMs: 60_000, pollMs: 100 })
    : createPgBossQueue(ctx, {
        url: args.url,
        schema: args.bossSchema,
        heartbeatSeconds: 10,
        pollingIntervalSeconds: 0.5,
      });
await queue.start(1);
