import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type Job, PgBoss } from 'pg-boss';
import type { RuntimeContext } from './context.ts';
import { DEFAULT_LEASE_MS, type JobQueue, type ScanJob } from './queue.ts';
import { executeScan, giveUp, redispatchPending } from './scan-job.ts';

export const SCAN_QUEUE_NAME = 'vigil-scan';

export interface PgBossQueueOptions {
  readonly url: string;
  /** pg-boss's own schema, apart from the Store's tables (default vigil_jobs) */
  readonly schema?: string;
  /**
   * a worker that stops sending heartbeats (killed) has its job retried after this long; pg-boss
   * wants at least 10 s
   */
  readonly heartbeatSeconds?: number;
  /** tries per scan; a scan that took its worker down this many times is failed (default 3) */
  readonly maxAttempts?: number;
  /** how often an idle worker polls besides LISTEN/NOTIFY */
  readonly pollingIntervalSeconds?: number;
  /** how often pg-boss looks for jobs whose heartbeat stopped (its default: 60) */
  readonly superviseIntervalSeconds?: number;
  /** seconds before a failed or abandoned job is tried again (default 5) */
  readonly retryDelaySeconds?: number;
}

interface ScanJobData {
  readonly scanId: string;
  readonly digest: string;
}

/**
 * The scale-out queue: pg-boss in its own schema. `vigil serve --database postgres://...` enqueues
 * (and works too unless --no-workers); `vigil worker` processes, any number on any machine, only
 * work. The pg-boss job id is the scan id, so enqueueing one scan twice queues it once. A worker
 * that dies mid-scan stops its heartbeat and pg-boss hands the job out again; the scan job itself
 * is idempotent (see executeScan), so the re-run duplicates nothing.
 */
export function createPgBossQueue(ctx: RuntimeContext, options: PgBossQueueOptions): JobQueue {
  const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const boss = new PgBoss({
    connectionString: options.url,
    schema: options.schema ?? 'vigil_jobs',
    ...(options.superviseIntervalSeconds !== undefined && {
      superviseIntervalSeconds: options.superviseIntervalSeconds,
      monitorIntervalSeconds: options.superviseIntervalSeconds,
    }),
  });
  boss.on('error', (err: Error) => ctx.logger?.error({ error: err.message }, 'pg-boss error'));
  let started: Promise<void> | undefined;
  let working = false;
  const maxAttempts = options.maxAttempts ?? 3;

  const ready = () => {
    started ??= (async () => {
      await boss.start();
      if ((await boss.getQueue(SCAN_QUEUE_NAME)) === null) {
        await boss.createQueue(SCAN_QUEUE_NAME, {
          heartbeatSeconds: Math.max(10, options.heartbeatSeconds ?? 30),
          // one delivery more than the attempts, so the last one always finds the scan and fails
          // it explicitly instead of leaving its row running after pg-boss gave up
          retryLimit: maxAttempts,
          retryDelay: options.retryDelaySeconds ?? 5,
          expireInSeconds: 4 * 3600,
        });
      }
    })();
    return started;
  };

  async function handle(job: Job<ScanJobData>): Promise<void> {
    const row = await ctx.jobs.begin(job.data.scanId, owner, ctx.now(), DEFAULT_LEASE_MS);
    // finished already (a retry of a job whose scan completed): nothing to do
    if (row === undefined) return;
    if (row.attempts > maxAttempts) {
      await giveUp(ctx, row, maxAttempts);
      return;
    }
    const renew = setInterval(
      () => {
        ctx.jobs.renew(row.scanId, owner, ctx.now(), DEFAULT_LEASE_MS).catch(() => {});
      },
      Math.floor(DEFAULT_LEASE_MS / 3),
    );
    try {
      await executeScan(ctx, row, job.signal);
    } catch (err) {
      // shutdown: the scan row goes back to queued and pg-boss retries the job
      if (job.signal.aborted) await ctx.jobs.release(row.scanId, owner);
      throw err;
    } finally {
      clearInterval(renew);
    }
  }

  return {
    async enqueue(job: ScanJob) {
      await ready();
      await ctx.jobs.saveDetails(job.scanId, {
        ...(job.registryId !== undefined && { registryId: job.registryId }),
        ...(job.repository !== undefined && { repository: job.repository }),
        ...(job.tag !== undefined && { tag: job.tag }),
        ...(job.force !== undefined && { force: job.force }),
      });
      await boss.send(SCAN_QUEUE_NAME, { scanId: job.scanId, digest: job.digest } satisfies ScanJobData, {
        id: job.scanId,
      });
    },

    async start(concurrency) {
      await ready();
      if (working) return;
      working = true;
      // a worker that died between finishing a scan and telling the notifier left it undispatched
      await redispatchPending(ctx).catch((err: Error) =>
        ctx.logger?.error({ error: err.message }, 'redispatch of finished scans failed'),
      );
      await boss.work<ScanJobData>(
        SCAN_QUEUE_NAME,
        {
          batchSize: 1,
          localConcurrency: Math.max(1, concurrency),
          pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2,
        },
        async ([job]) => {
          if (job !== undefined) await handle(job);
        },
      );
    },

    async stop(graceMs = 30_000) {
      if (started === undefined) return;
      await started.catch(() => {});
      await boss.stop({ graceful: true, timeout: graceMs, close: true });
      started = undefined;
      working = false;
    },
  };
}
