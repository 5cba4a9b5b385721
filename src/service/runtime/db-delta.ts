import Database from 'better-sqlite3';
import type { PackageKey } from '../store/types.ts';

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

/**
 * The packages a vulnerability DB update touched, found by comparing the file before and after
 * (DbWatch keeps a hard link to the file before: `updateDatabase` renames a new file over the old
 * one, so the link keeps the old inode readable at no cost). A record counts as changed when it
 * was added, removed, or its `modified` or `withdrawn` differs; its packages are taken from both
 * sides (a withdrawn record is out of the new index but its old packages must be re-matched to
 * resolve). KEV changes reach packages through the records that name the CVE. EPSS and NVD scores
 * move daily for most CVEs and are left to the daily full re-match.
 *
 * The diff runs in SQLite over the two files attached to an in-memory database, so memory stays
 * flat however large the data is. It throws when either file is not of this schema.
 */
export function diffPackages(before: string, after: string): PackageKey[] {
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
