import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import type { PackageKey } from '../store/types.ts';

/**
 * The packages a vulnerability DB update touched, found by comparing the file before and after:
 * `updateDatabase` renames a new file over the old one, so a hard link taken before the update
 * keeps the old file's inode readable at no cost. A record counts as changed when it was added,
 * removed, or its `modified` or `withdrawn` differs; its packages are taken from both sides (a
 * withdrawn record is out of the new index but its old packages must be re-matched to resolve).
 * KEV changes reach packages through the records that name the CVE. EPSS and NVD scores move
 * daily for most CVEs and are left to the daily full re-match.
 *
 * The diff runs in SQLite over the two files attached to an in-memory database, so memory stays
 * flat however large the data is.
 */
export async function withDbDelta<T>(
  dbPath: string,
  update: () => Promise<T>,
): Promise<{ result: T; changedPackages: PackageKey[] | undefined }> {
  // no previous file: every package is new, which is what a full re-match does
  if (!existsSync(dbPath)) return { result: await update(), changedPackages: undefined };
  const snapshot = join(
    dirname(dbPath),
    `.${basename(dbPath)}.${process.pid}-before-${randomBytes(4).toString('hex')}`,
  );
  linkSync(dbPath, snapshot);
  try {
    const result = await update();
    let changedPackages: PackageKey[] | undefined;
    try {
      changedPackages = diffPackages(snapshot, dbPath);
    } catch {
      // the old file was of another schema (the update rebuilt it): re-match everything
      changedPackages = undefined;
    }
    return { result, changedPackages };
  } finally {
    rmSync(snapshot, { force: true });
  }
}

const CHANGED = `
WITH changed_new AS (
  SELECT r.rowid AS rid FROM cur.records r
  LEFT JOIN old.records o ON o.source = r.source AND o.id = r.id
  WHERE o.rowid IS NULL OR o.modified <> r.modified OR o.withdrawn <> r.withdrawn
), changed_old AS (
  SELECT o.rowid AS rid FROM old.records o
  LEFT JOIN cur.records r ON r.source = o.source AND r.id = o.id
  WHERE r.rowid IS NULL OR o.modified <> r.modified OR o.withdrawn <> r.withdrawn
), kev_changed AS (
  SELECT k.cve_id FROM cur.kev k LEFT JOIN old.kev ok ON ok.cve_id = k.cve_id
  WHERE ok.cve_id IS NULL OR ok.json <> k.json
  UNION
  SELECT ok.cve_id FROM old.kev ok LEFT JOIN cur.kev k ON k.cve_id = ok.cve_id WHERE k.cve_id IS NULL
), kev_records AS (
  SELECT r.rowid AS rid FROM cur.records r WHERE r.id IN (SELECT cve_id FROM kev_changed)
  UNION
  SELECT a.record FROM cur.aliases a WHERE a.alias IN (SELECT cve_id FROM kev_changed)
)
SELECT base, name FROM cur.affected WHERE record IN (SELECT rid FROM changed_new UNION SELECT rid FROM kev_records)
UNION
SELECT base, name FROM old.affected WHERE record IN (SELECT rid FROM changed_old)
`;

function diffPackages(before: string, after: string): PackageKey[] {
  const db = new Database(':memory:');
  try {
    db.prepare('ATTACH DATABASE ? AS cur').run(after);
    db.prepare('ATTACH DATABASE ? AS old').run(before);
    const rows = db.prepare(CHANGED).all() as Array<{ base: string; name: string }>;
    return rows.map((r) => ({ ecosystem: r.base, name: r.name }));
  } finally {
    db.close();
  }
}
