import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { RuntimeContext } from './context.ts';
import { DEFAULT_LEASE_MS, type JobQueue, type ScanJob } from './queue.ts';
import { executeScan, giveUp, redispatchPending } from './scan-job.ts';

export interface SqliteQueueOptions {
  /** how long a claimed scan stays ours without a renewal; a dead process's scans wait this long */
  readonly leaseMs?: number;
  /** an idle worker looks for work this often even when nothing woke it (another process enqueued) */
  readonly pollMs?: number;
  /** a scan that took its process down this many times is failed instead of retried */
  readonly maxAttempts?: number;
}

/**
 * The embedded queue: the Store's `scans` rows are the queue. A worker claims the oldest queued scan
 * under a lease in one write transaction (SQLite's single writer makes the claim exclusive across
 * processes too), renews the lease while it runs, and on start every scan whose lease expired (its
 * process was killed) goes back to queued. In-process workers; `concurrency` of them.
 */
export function createSqliteQueue(ctx: RuntimeContext, options: SqliteQueueOptions = {}): JobQueue {
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const pollMs = options.pollMs ?? 2_000;
  const maxAttempts = options.maxAttempts ?? 3;
  const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  let stopping: AbortController | undefined;
  let workers: Promise<void>[] = [];
  const idleWorkers = new Set<() => void>();

  const idle = (signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(finish, pollMs);
      function finish() {
        clearTimeout(timer);
        signal.removeEventListener('abort', finish);
        idleWorkers.delete(finish);
        resolve();
      }
      idleWorkers.add(finish);
      signal.addEventListener('abort', finish, { once: true });
    });

  let recoveredAt = Number.NEGATIVE_INFINITY;

  async function runOne(stop: AbortSignal): Promise<boolean> {
    // a lease can only have expired a lease-length after it was last renewed: looking more often
    // than that would only queue write transactions behind SQLite's single writer
    if (ctx.now().getTime() - recoveredAt >= leaseMs / 2) {
      await ctx.jobs.recoverExpired(ctx.now());
      await redispatchPending(ctx);
      recoveredAt = ctx.now().getTime();
    }
    const job = await ctx.jobs.claim(owner, ctx.now(), leaseMs);
    if (job === undefined) return false;
    if (job.attempts > maxAttempts) {
      await giveUp(ctx, job, maxAttempts);
      return true;
    }
    const controller = new AbortController();
    const renew = setInterval(
      () => {
        ctx.jobs.renew(job.scanId, owner, ctx.now(), leaseMs).catch((err: Error) => {
          ctx.logger?.warn({ scanId: job.scanId, error: err.message }, 'lease renewal failed');
        });
      },
      Math.max(1_000, Math.floor(leaseMs / 3)),
    );
    const done = (async () => {
      try {
        await executeScan(ctx, job, controller.signal);
      } catch (err) {
        if (!controller.signal.aborted) throw err;
        await ctx.jobs.release(job.scanId, owner);
      } finally {
        clearInterval(renew);
      }
    })();
    running.set(job.scanId, { controller, done });
    try {
      await done;
    } catch (err) {
      // executeScan records failures itself; what reaches here is the store being unreachable
      ctx.logger?.error({ scanId: job.scanId, error: (err as Error).message }, 'scan job crashed');
    } finally {
      running.delete(job.scanId);
    }
    return !stop.aborted;
  }

  async function worker(stop: AbortSignal): Promise<void> {
    while (!stop.aborted) {
      let worked = false;
      try {
        worked = await runOne(stop);
      } catch (err) {
        ctx.logger?.error({ error: (err as Error).message }, 'scan queue poll failed');
      }
      if (!worked && !stop.aborted) await idle(stop);
    }
  }

  return {
    async enqueue(job: ScanJob) {
      await ctx.jobs.saveDetails(job.scanId, {
        ...(job.registryId !== undefined && { registryId: job.registryId }),
        ...(job.repository !== undefined && { repository: job.repository }),
        ...(job.tag !== undefined && { tag: job.tag }),
        ...(job.force !== undefined && { force: job.force }),
      });
      for (const wake of [...idleWorkers]) wake();
    },

    async start(concurrency) {
      if (stopping !== undefined) return;
      stopping = new AbortController();
      const signal = stopping.signal;
      workers = Array.from({ length: Math.max(1, concurrency) }, () => worker(signal));
    },

    async stop(graceMs = 30_000) {
      if (stopping === undefined) return;
      stopping.abort();
      const all = Promise.all(workers);
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), graceMs);
      });
      if ((await Promise.race([all, grace])) === 'late') {
        for (const { controller } of running.values()) controller.abort(new Error('shutting down'));
        await all;
      }
      clearTimeout(timer);
      stopping = undefined;
      workers = [];
    },
  };
}
