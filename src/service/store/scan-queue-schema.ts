import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

/**
 * The tables the scan runtime keeps beside the Store's (see scan-queue.ts), created by the Store's
 * migration 0002-scan-queue. `ifNotExists` because databases made before that migration existed
 * already hold them.
 */
export interface ScanJobTable {
  scan_id: string;
  registry_id: string | null;
  repository: string | null;
  tag: string | null;
  force: number;
  lease_owner: string | null;
  lease_until: number | null;
  attempts: number;
  event_watermark: number | null;
  dispatched: number;
}

export interface TaskRunTable {
  task: string;
  slot: number;
  owner: string;
}

export interface QueueDatabase extends Database {
  scan_jobs: ScanJobTable;
  runtime_task_runs: TaskRunTable;
}

export async function ensureScanJobTable(db: Kysely<QueueDatabase>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  await db.schema
    .createTable('scan_jobs')
    .ifNotExists()
    // the type of scans.id, so the two join without a cast (uuid on PostgreSQL)
    .addColumn('scan_id', dialect === 'postgres' ? 'uuid' : 'text', (c) => c.primaryKey())
    .addColumn('registry_id', 'text')
    .addColumn('repository', 'text')
    .addColumn('tag', 'text')
    .addColumn('force', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'bigint')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('event_watermark', 'bigint')
    .addColumn('dispatched', 'integer', (c) => c.notNull().defaultTo(0))
    .execute()
    .catch(tolerateRace);
  await db.schema
    .createTable('runtime_task_runs')
    .ifNotExists()
    .addColumn('task', 'text', (c) => c.notNull())
    .addColumn('slot', 'bigint', (c) => c.notNull())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('runtime_task_runs_pk', ['task', 'slot'])
    .execute()
    .catch(tolerateRace);
  // the claim looks for the oldest queued scan; without this it reads every scan ever made. Named
  // for the runtime so a later Store migration adding its own index cannot collide with it.
  await db.schema
    .createIndex('runtime_scans_status')
    .ifNotExists()
    .on('scans')
    .columns(['status', 'queued_at'])
    .execute()
    .catch(tolerateRace);
}

/** two processes creating the same object at once on PostgreSQL: the loser sees 23505 or 42P07 */
const tolerateRace = (err: { code?: string }) => {
  if (err.code !== '23505' && err.code !== '42P07') throw err;
};
