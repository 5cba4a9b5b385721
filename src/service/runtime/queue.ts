import type { ScanQueue } from '../../api/index.ts';

/**
 * A scan job: the scan row (already stored as queued) and, when the enqueuer knows them, where the
 * image is. The API's on-demand scans give only the digest; the worker then reads the image row.
 */
export interface ScanJob {
  readonly scanId: string;
  readonly digest: string;
  readonly requestedBy?: string;
  readonly registryId?: string;
  readonly repository?: string;
  readonly tag?: string;
  readonly force?: boolean;
}

/**
 * One interface over both queues: SQLite (the scans table, in-process workers) and PostgreSQL
 * (pg-boss, any number of `vigil worker` processes). `enqueue` resolves once the job is durable.
 */
export interface JobQueue extends ScanQueue {
  enqueue(job: ScanJob): Promise<void>;
  /** starts `concurrency` workers in this process; a queue that only enqueues never calls it */
  start(concurrency: number): Promise<void>;
  /**
   * Stops taking jobs, lets running scans finish for up to `graceMs`, then aborts the rest and hands
   * them back to the queue (they run again on the next start).
   */
  stop(graceMs?: number): Promise<void>;
}

/** Lease renewal keeps a healthy long scan's lease from expiring under it. */
export const DEFAULT_LEASE_MS = 2 * 60_000;
