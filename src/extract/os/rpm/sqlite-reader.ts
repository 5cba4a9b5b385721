import { copyFile, mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { WarningSink } from './warnings.ts';

/**
 * rpm's SQLite backend (rpm >= 4.16, lib/backend/sqlite.c): table Packages(hnum INTEGER PRIMARY
 * KEY, blob BLOB) holds one header blob per installed package; the other tables are indexes.
 * Rows are stepped one at a time, so memory stays at one header however large the database.
 */

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

export function isSqlite(head: Buffer): boolean {
  return head.length >= SQLITE_MAGIC.length && head.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC);
}

/**
 * Yields every header blob in the Packages table; problems go to `warnings`. `walPath` is the
 * image's `rpmdb.sqlite-wal` beside the database, when the walker captured one.
 */
export async function* sqliteHeaderBlobs(
  path: string,
  head: Buffer,
  warnings: WarningSink,
  walPath?: string,
): AsyncGenerator<Buffer> {
  // https://sqlite.org/fileformat2.html#database_header: bytes 18/19 are 2 in WAL mode. A read-only
  // open of a WAL database still creates -shm/-wal beside it (or fails where it cannot), and the
  // extractor must not write next to the layer cache; better-sqlite3 offers no immutable=1 URI.
  // So a WAL database is read from a private copy: with the image's -wal file beside it when there
  // is one (SQLite replays its committed frames on open), else switched to rollback mode (bytes
  // 18/19 = 1), which holds every transaction checkpointed into the main file.
  const walMode = head.length >= 20 && (head[18] === 2 || head[19] === 2);
  if (!walMode) {
    yield* packagesTable(path, warnings);
    return;
  }
  const scratch = await mkdtemp(join(tmpdir(), 'vigil-rpmdb-'));
  try {
    const dbPath = join(scratch, 'rpmdb.sqlite');
    await copyFile(path, dbPath);
    const walSize =
      walPath === undefined
        ? 0
        : await stat(walPath).then(
            (s) => s.size,
            () => 0,
          );
    if (walPath !== undefined && walSize > 0) {
      await copyFile(walPath, `${dbPath}-wal`);
    } else {
      const handle = await open(dbPath, 'r+');
      try {
        await handle.write(Buffer.from([1, 1]), 0, 2, 18);
      } finally {
        await handle.close();
      }
    }
    yield* packagesTable(dbPath, warnings);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function* packagesTable(path: string, warnings: WarningSink): Generator<Buffer> {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const rows = db.prepare('SELECT hnum, blob FROM Packages').raw(true).iterate() as IterableIterator<unknown[]>;
    for (const [hnum, blob] of rows) {
      if (Buffer.isBuffer(blob)) yield blob;
      else warnings.push(`SQLite Packages row ${String(hnum)} holds no blob; skipped`);
    }
  } catch (err) {
    warnings.push(`SQLite rpmdb unreadable: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    db?.close();
  }
}
