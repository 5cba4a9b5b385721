import type { Kysely } from 'kysely';
import { VigilError } from '../../core/errors.ts';
import { toEvent } from './event-store.ts';
import { isPostgresUrl, openPostgres, type PostgresOptions } from './postgres-database.ts';
import type { QueueDatabase, ScanJobTable } from './scan-queue-schema.ts';
import { openSqlite, type SqliteOptions, sqlitePath } from './sqlite-database.ts';
import type { StoreEvent } from './types.ts';

/**
 * What the scan runtime keeps beside the Store's `scans` rows: the job's details (where to read the
 * image), its lease (SQLite: the `scans` table is the queue), and the event watermark that lets a
 * re-run after a crash hand the notifier the events its first attempt stored. A table of its own,
 * created here, so the Store's migrations stay the Store's; once the Store grows these queries this
 * file goes away.
 */
export interface ScanJobRow {
  readonly scanId: string;
  readonly digest: string;
  readonly configId?: string;
  readonly registryId?: string;
  readonly repository?: string;
  readonly tag?: string;
  readonly force: boolean;
  readonly attempts: number;
  /** the largest events.id before the first attempt started */
  readonly eventWatermark?: number;
}

export interface JobDetails {
  readonly registryId?: string;
  readonly repository?: string;
  readonly tag?: string;
  readonly force?: boolean;
}

export interface ScanQueueQueries {
  /** stores where a queued scan reads its image; a second call for one scan keeps the first */
  saveDetails(scanId: string, details: JobDetails): Promise<void>;
  /**
   * SQLite queue: the oldest queued scan becomes running under a lease owned by `owner`, in one
   * write transaction, so two workers (in one process or several) never take the same scan.
   */
  claim(owner: string, now: Date, leaseMs: number): Promise<ScanJobRow | undefined>;
  /** the row of a scan that another queue (pg-boss) delivered; counts an attempt */
  begin(scanId: string, owner: string, now: Date, leaseMs: number): Promise<ScanJobRow | undefined>;
  /** extends the lease while the job runs; false when another owner has it now */
  renew(scanId: string, owner: string, now: Date, leaseMs: number): Promise<boolean>;
  /** a running scan handed back (shutdown): queued again, lease dropped, the attempt not counted */
  release(scanId: string, owner: string): Promise<void>;
  /** running scans whose lease has expired (their process died) go back to queued; returns their ids */
  recoverExpired(now: Date): Promise<string[]>;
  /** sets the watermark once, on the first attempt: the largest event id so far */
  markEventWatermark(scanId: string): Promise<number>;
  /** finding events for `digest` stored after `afterId`, up to and including `upToId` */
  findingEvents(digest: string, afterId: number, upToId: number): Promise<StoreEvent[]>;
  /**
   * true for exactly one caller per (task, slot): when several `vigil serve` nodes share one
   * database, a scheduled task due at `slot` runs on one of them. Rows older than a week go.
   */
  claimTaskRun(task: string, slot: Date, owner: string): Promise<boolean>;
  /** the scan's events reached the notifier */
  markDispatched(scanId: string): Promise<void>;
  /**
   * finished scans whose events never reached the notifier (the process died in between), whose
   * lease has lapsed so no live worker is still dispatching them; oldest first
   */
  undispatched(now: Date, limit: number): Promise<ScanJobRow[]>;
  /** the scan.completed / scan.failed event of a scan, written after `afterId` */
  finishEvent(scanId: string, digest: string, afterId: number): Promise<StoreEvent | undefined>;
  close(): Promise<void>;
}

function toJob(
  scan: { id: string; digest: string; config_id: string | null },
  job: Partial<ScanJobTable> | undefined,
): ScanJobRow {
  return {
    scanId: scan.id,
    digest: scan.digest,
    ...(scan.config_id !== null && { configId: scan.config_id }),
    ...(job?.registry_id != null && { registryId: job.registry_id }),
    ...(job?.repository != null && { repository: job.repository }),
    ...(job?.tag != null && { tag: job.tag }),
    force: job?.force === 1,
    attempts: Number(job?.attempts ?? 0),
    ...(job?.event_watermark != null && { eventWatermark: Number(job.event_watermark) }),
  };
}

export function scanQueueQueriesOn(db: Kysely<QueueDatabase>): ScanQueueQueries {
  const write = <T>(work: (trx: Kysely<QueueDatabase>) => Promise<T>): Promise<T> => db.transaction().execute(work);

  const takeLease = async (
    trx: Kysely<QueueDatabase>,
    scanId: string,
    owner: string,
    until: number,
  ): Promise<Partial<ScanJobTable>> =>
    trx
      .insertInto('scan_jobs')
      .values({
        scan_id: scanId,
        registry_id: null,
        repository: null,
        tag: null,
        force: 0,
        lease_owner: owner,
        lease_until: until,
        attempts: 1,
        event_watermark: null,
        dispatched: 0,
      })
      .onConflict((oc) =>
        oc.column('scan_id').doUpdateSet((eb) => ({
          lease_owner: owner,
          lease_until: until,
          attempts: eb('scan_jobs.attempts', '+', 1),
        })),
      )
      .returningAll()
      .executeTakeFirstOrThrow();

  return {
    async saveDetails(scanId, details) {
      await write((trx) =>
        trx
          .insertInto('scan_jobs')
          .values({
            scan_id: scanId,
            registry_id: details.registryId ?? null,
            repository: details.repository ?? null,
            tag: details.tag ?? null,
            force: details.force === true ? 1 : 0,
            lease_owner: null,
            lease_until: null,
            attempts: 0,
            event_watermark: null,
            dispatched: 0,
          })
          .onConflict((oc) => oc.column('scan_id').doNothing())
          .execute(),
      );
    },

    async claim(owner, now, leaseMs) {
      // an idle poll reads only: a write transaction per poll would wait on (and delay) every writer
      const any = await db.selectFrom('scans').select('id').where('status', '=', 'queued').limit(1).executeTakeFirst();
      if (any === undefined) return undefined;
      return write(async (trx) => {
        const scan = await trx
          .selectFrom('scans')
          .select(['id', 'digest', 'config_id'])
          .where('status', '=', 'queued')
          .orderBy('queued_at')
          .orderBy('id')
          .limit(1)
          .executeTakeFirst();
        if (scan === undefined) return undefined;
        await trx
          .updateTable('scans')
          .set({ status: 'running', started_at: now.getTime() })
          .where('id', '=', scan.id)
          .execute();
        const job = await takeLease(trx, scan.id, owner, now.getTime() + leaseMs);
        return toJob(scan, job);
      });
    },

    async begin(scanId, owner, now, leaseMs) {
      return write(async (trx) => {
        const scan = await trx
          .selectFrom('scans')
          .select(['id', 'digest', 'config_id', 'status'])
          .where('id', '=', scanId)
          .executeTakeFirst();
        if (scan === undefined || (scan.status !== 'queued' && scan.status !== 'running')) return undefined;
        await trx
          .updateTable('scans')
          .set({ status: 'running', started_at: now.getTime() })
          .where('id', '=', scan.id)
          .execute();
        const job = await takeLease(trx, scan.id, owner, now.getTime() + leaseMs);
        return toJob(scan, job);
      });
    },

    async renew(scanId, owner, now, leaseMs) {
      const result = await write((trx) =>
        trx
          .updateTable('scan_jobs')
          .set({ lease_until: now.getTime() + leaseMs })
          .where('scan_id', '=', scanId)
          .where('lease_owner', '=', owner)
          .executeTakeFirst(),
      );
      return result.numUpdatedRows > 0n;
    },

    async release(scanId, owner) {
      await write(async (trx) => {
        const released = await trx
          .updateTable('scan_jobs')
          .set((eb) => ({ lease_owner: null, lease_until: null, attempts: eb('attempts', '-', 1) }))
          .where('scan_id', '=', scanId)
          .where('lease_owner', '=', owner)
          .executeTakeFirst();
        if (released.numUpdatedRows === 0n) return;
        await trx
          .updateTable('scans')
          .set({ status: 'queued', started_at: null })
          .where('id', '=', scanId)
          .where('status', '=', 'running')
          .execute();
      });
    },

    async recoverExpired(now) {
      return write(async (trx) => {
        const expired = await trx
          .selectFrom('scans as s')
          .innerJoin('scan_jobs as j', 'j.scan_id', 's.id')
          .select('s.id')
          .where('s.status', '=', 'running')
          .where('j.lease_until', '<', now.getTime())
          .execute();
        const ids = expired.map((r) => r.id);
        if (ids.length === 0) return [];
        await trx
          .updateTable('scans')
          .set({ status: 'queued', started_at: null })
          .where('id', 'in', ids)
          .where('status', '=', 'running')
          .execute();
        await trx
          .updateTable('scan_jobs')
          .set({ lease_owner: null, lease_until: null })
          .where('scan_id', 'in', ids)
          .execute();
        return ids;
      });
    },

    async markEventWatermark(scanId) {
      return write(async (trx) => {
        const row = await trx
          .selectFrom('scan_jobs')
          .select('event_watermark')
          .where('scan_id', '=', scanId)
          .executeTakeFirst();
        if (row?.event_watermark != null) return Number(row.event_watermark);
        const top = await trx
          .selectFrom('events')
          .select((eb) => eb.fn.max('id').as('top'))
          .executeTakeFirst();
        const mark = Number(top?.top ?? 0);
        await trx.updateTable('scan_jobs').set({ event_watermark: mark }).where('scan_id', '=', scanId).execute();
        return mark;
      });
    },

    async findingEvents(digest, afterId, upToId) {
      const rows = await db
        .selectFrom('events')
        .selectAll()
        .where('digest', '=', digest)
        .where('id', '>', afterId)
        .where('id', '<=', upToId)
        .where('type', 'in', ['finding.new', 'finding.resolved'])
        .orderBy('id')
        .execute();
      return rows.map(toEvent);
    },

    async claimTaskRun(task, slot, owner) {
      return write(async (trx) => {
        await trx
          .deleteFrom('runtime_task_runs')
          .where('slot', '<', slot.getTime() - TASK_RUN_RETENTION_MS)
          .execute();
        const inserted = await trx
          .insertInto('runtime_task_runs')
          .values({ task, slot: slot.getTime(), owner })
          .onConflict((oc) => oc.columns(['task', 'slot']).doNothing())
          .executeTakeFirst();
        return (inserted.numInsertedOrUpdatedRows ?? 0n) > 0n;
      });
    },

    async markDispatched(scanId) {
      await write((trx) => trx.updateTable('scan_jobs').set({ dispatched: 1 }).where('scan_id', '=', scanId).execute());
    },

    async undispatched(now, limit) {
      const rows = await db
        .selectFrom('scans as s')
        .innerJoin('scan_jobs as j', 'j.scan_id', 's.id')
        .select(['s.id', 's.digest', 's.config_id', 'j.registry_id', 'j.repository', 'j.tag', 'j.force'])
        .select(['j.attempts', 'j.event_watermark'])
        .where('s.status', 'in', ['completed', 'failed'])
        .where('j.dispatched', '=', 0)
        .where('j.event_watermark', 'is not', null)
        .where((eb) => eb.or([eb('j.lease_until', 'is', null), eb('j.lease_until', '<', now.getTime())]))
        .orderBy('s.finished_at')
        .limit(limit)
        .execute();
      return rows.map((r) => toJob(r, r));
    },

    async finishEvent(scanId, digest, afterId) {
      const rows = await db
        .selectFrom('events')
        .selectAll()
        .where('digest', '=', digest)
        .where('id', '>', afterId)
        .where('type', 'in', ['scan.completed', 'scan.failed'])
        .orderBy('id')
        .execute();
      return rows.map(toEvent).find((e) => e.payload.scanId === scanId);
    },

    close: () => db.destroy(),
  };
}

const TASK_RUN_RETENTION_MS = 7 * 86_400_000;

/** The same database URLs openStore takes; call after openStore so the Store's tables exist. */
export async function openScanQueueQueries(
  url: string,
  options: SqliteOptions & PostgresOptions = {},
): Promise<ScanQueueQueries> {
  let db: Kysely<QueueDatabase>;
  const dialect = isPostgresUrl(url) ? 'postgres' : 'sqlite';
  if (dialect === 'postgres') {
    db = openPostgres(url, { poolSize: 4, ...options }) as unknown as Kysely<QueueDatabase>;
  } else {
    const path = sqlitePath(url);
    if (path === undefined || path === '') {
      throw new VigilError('VIGIL_USAGE', 'database URL must be postgres://..., sqlite:///path or a file path', {
        scheme: url.split(':')[0],
      });
    }
    db = openSqlite(path, options) as unknown as Kysely<QueueDatabase>;
  }
  // the tables come from the Store's migrations (0002-scan-queue), which openStore has run
  return scanQueueQueriesOn(db);
}
