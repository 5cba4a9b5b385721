import { randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, fsyncSync, openSync, renameSync, rmSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { VigilError } from '../core/errors.ts';
import { makeDirectory } from '../core/make-directory.ts';
import { createSchema, readSchemaVersion, SCHEMA_VERSION } from './store-schema.ts';
import { markSuperseded, rebuildEcosystems, type SourceCounts, SourceSession } from './store-writer.ts';
import type { Transport, VulnSource } from './types.ts';

export interface UpdateOptions {
  readonly dbPath: string;
  readonly sources: readonly VulnSource[];
  readonly transport: Transport;
  readonly now?: () => Date;
  readonly signal?: AbortSignal;
  readonly onProgress?: (event: UpdateProgress) => void;
}

export type UpdateProgress =
  | { readonly type: 'source-start'; readonly source: string }
  | { readonly type: 'items'; readonly source: string; readonly items: number }
  | { readonly type: 'source-done'; readonly source: string; readonly result: SourceUpdateResult };

export interface SourceUpdateResult extends SourceCounts {
  readonly name: string;
  /** landed: the source's data was replaced; failed: its previous data was kept and marked stale */
  readonly outcome: 'landed' | 'failed';
  readonly error?: string;
}

export interface UpdateResult {
  readonly dbPath: string;
  readonly builtAt: string;
  readonly sources: readonly SourceUpdateResult[];
}

const PROGRESS_EVERY = 1000;

/**
 * Builds the new DB beside the old one and swaps it in with rename(2), which is atomic on POSIX:
 * readers and a crash mid-update only ever see the old file or the new one whole. The new file
 * starts as a copy of the old one, so sources not in this update keep their rows; each source lands
 * in its own transaction, and one that throws rolls back to its previous rows and is marked stale
 * while the others still land.
 */
export async function updateDatabase(options: UpdateOptions): Promise<UpdateResult> {
  const now = options.now ?? (() => new Date());
  const { dbPath, signal } = options;
  makeDirectory(dirname(dbPath));
  await removeLeftovers(dbPath);
  const prefix = join(dirname(dbPath), `.${basename(dbPath)}.${process.pid}-`);
  const building = `${prefix}${randomBytes(4).toString('hex')}.new`;
  const tmpDir = await mkdtemp(`${prefix}scratch-`);
  let db: Database.Database | undefined;
  try {
    db = openBuildCopy(dbPath, building, now().toISOString());
    const results: SourceUpdateResult[] = [];
    for (const source of options.sources) {
      throwIfAborted(signal);
      results.push(await applySource(db, source, options, tmpDir, now));
      throwIfAborted(signal);
    }
    const builtAt = now().toISOString();
    rebuildEcosystems(db);
    markSuperseded(db);
    db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('built_at', ?)").run(builtAt);
    db.close();
    db = undefined;
    syncFile(building);
    renameSync(building, dbPath);
    syncFile(dirname(dbPath));
    return { dbPath, builtAt, sources: results };
  } finally {
    db?.close();
    rmSync(building, { force: true });
    rmSync(`${building}-journal`, { force: true });
    await rm(tmpDir, { recursive: true, force: true });
  }
}

async function applySource(
  db: Database.Database,
  source: VulnSource,
  options: UpdateOptions,
  tmpDir: string,
  now: () => Date,
): Promise<SourceUpdateResult> {
  const { signal, onProgress } = options;
  onProgress?.({ type: 'source-start', source: source.name });
  const sourceDir = await mkdtemp(join(tmpDir, 'source-'));
  const session = new SourceSession(db, source.name);
  let items = 0;
  let result: SourceUpdateResult;
  try {
    const iterable = source.fetch({
      transport: options.transport,
      tmpDir: sourceDir,
      itemsUsedAtOnce: true,
      ...(signal !== undefined ? { signal } : {}),
    });
    for await (const item of iterable) {
      session.apply(item);
      if (++items % PROGRESS_EVERY === 0) onProgress?.({ type: 'items', source: source.name, items });
    }
    throwIfAborted(signal);
    result = { name: source.name, outcome: 'landed', ...session.commit(now().toISOString()) };
  } catch (err) {
    session.rollback(describe(err));
    // Cancelling stops the whole update; the old DB stays as it was.
    if (signal?.aborted || (err instanceof VigilError && err.code === 'VIGIL_ABORTED')) throw abortedError(signal);
    // Nothing of this run landed for the source; only what was skipped is worth telling.
    result = {
      name: source.name,
      outcome: 'failed',
      error: describe(err),
      ...session.counts,
      added: 0,
      updated: 0,
      unchanged: 0,
      removed: 0,
    };
  } finally {
    await rm(sourceDir, { recursive: true, force: true });
  }
  onProgress?.({ type: 'source-done', source: source.name, result });
  return result;
}

/**
 * The file the update writes: a copy of the current DB when it is a readable Vigil DB of this
 * schema, else a fresh one (an older schema is rebuilt from the sources of this update).
 */
function openBuildCopy(dbPath: string, building: string, builtAt: string): Database.Database {
  if (existsSync(dbPath) && currentSchemaOf(dbPath) === SCHEMA_VERSION) {
    copyFileSync(dbPath, building);
    return openForBuild(building);
  }
  const db = openForBuild(building);
  // Larger pages: an average record (1-4 kB of JSON) then fits without overflow pages.
  db.pragma('page_size = 16384');
  createSchema(db, builtAt);
  return db;
}

function currentSchemaOf(path: string): number | undefined {
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      return readSchemaVersion(db);
    } finally {
      db.close();
    }
  } catch {
    return undefined;
  }
}

function openForBuild(path: string): Database.Database {
  const db = new Database(path);
  // The file is private until the rename, so durability during the build buys nothing; a rollback
  // journal is still kept (on disk, so memory stays flat) because a failed source rolls back.
  db.pragma('journal_mode = TRUNCATE');
  db.pragma('synchronous = OFF');
  // 16 MiB of page cache: measured flat at ~225 MB RSS over 100k-500k records, where 64 MiB let
  // the process grow past 450 MB (bench/match.ts).
  db.pragma('cache_size = -16384');
  return db;
}

/** Files an update killed mid-way left beside the DB (`.vuln.db.<pid>-…`), when that pid is gone. */
async function removeLeftovers(dbPath: string): Promise<void> {
  const pattern = new RegExp(`^\\.${escapeRegExp(basename(dbPath))}\\.(\\d+)-`);
  for (const name of await readdir(dirname(dbPath))) {
    const pid = pattern.exec(name)?.[1];
    if (pid !== undefined && !isRunning(Number(pid))) {
      await rm(join(dirname(dbPath), name), { recursive: true, force: true });
    }
  }
}

function isRunning(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function syncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortedError(signal);
}

function abortedError(signal: AbortSignal | undefined): VigilError {
  return new VigilError(
    'VIGIL_ABORTED',
    'database update was cancelled; the previous database is unchanged',
    {},
    {
      cause: signal?.reason,
    },
  );
}

function describe(err: unknown): string {
  if (err instanceof VigilError) return `${err.message} (${err.code})`;
  return err instanceof Error ? err.message : String(err);
}
