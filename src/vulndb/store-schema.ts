import type Database from 'better-sqlite3';

/**
 * The vulnerability DB file. Records are kept per source (the same GHSA id is published in the zip
 * of every ecosystem it affects) with their JSON as published; `affected` is the index the matcher
 * reads, one row per (base ecosystem, normalized package name, record), built from
 * `affected[].package` of non-withdrawn records; `source_ecosystems` holds the full ecosystem
 * strings ("Debian:12") each source's indexed records name, for `ecosystems`. Only the newest copy
 * of an id counts: `superseded` lists every other copy, found through `records_by_id` once all
 * sources of an update landed, so that a lookup need not compare copies. Bump SCHEMA_VERSION on
 * any change: a file with another version is rebuilt from scratch by the next update.
 *
 * Version 3: a record that names one package (most language advisories) keeps the matcher's form
 * of it (advisory-form.ts), its head and its affected entries, in its index row, `affected.head`
 * and `.form`: a lookup then reads and parses a few hundred bytes per record in one seek, not the
 * whole record in two. A record that names several (an AlmaLinux advisory names dozens of binary
 * packages) is read whole, once per reader, for all of them: a copy of its form would double what
 * the import writes for it.
 *
 * Version 2: `affected` lost its `ecosystem` column (one row per package and record, not per
 * ecosystem string: a fifth fewer rows to write for AlmaLinux); `source_ecosystems` and
 * `superseded` are new.
 */
export const SCHEMA_VERSION = 3;

const DDL = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE sources (
  name TEXT PRIMARY KEY,
  records INTEGER NOT NULL DEFAULT 0,
  updated_at TEXT,
  stale INTEGER NOT NULL DEFAULT 0,
  last_error TEXT
) WITHOUT ROWID;
CREATE TABLE records (
  rowid INTEGER PRIMARY KEY,
  source TEXT NOT NULL,
  id TEXT NOT NULL,
  modified TEXT NOT NULL,
  withdrawn INTEGER NOT NULL,
  json TEXT NOT NULL,
  UNIQUE (source, id)
);
CREATE TABLE affected (
  base TEXT NOT NULL,
  name TEXT NOT NULL,
  record INTEGER NOT NULL,
  form TEXT,
  head TEXT,
  PRIMARY KEY (base, name, record)
) WITHOUT ROWID;
CREATE TABLE source_ecosystems (source TEXT NOT NULL, ecosystem TEXT NOT NULL, PRIMARY KEY (source, ecosystem)) WITHOUT ROWID;
CREATE TABLE superseded (record INTEGER PRIMARY KEY);
CREATE INDEX records_by_id ON records (id);
CREATE INDEX affected_by_record ON affected (record);
CREATE TABLE aliases (record INTEGER NOT NULL, alias TEXT NOT NULL, PRIMARY KEY (record, alias)) WITHOUT ROWID;
CREATE INDEX aliases_by_alias ON aliases (alias);
CREATE TABLE ecosystems (name TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE kev (cve_id TEXT PRIMARY KEY, source TEXT NOT NULL, json TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE epss (
  cve_id TEXT PRIMARY KEY,
  source TEXT NOT NULL,
  score REAL NOT NULL,
  percentile REAL NOT NULL,
  date TEXT
) WITHOUT ROWID;
CREATE TABLE nvd_cvss (
  cve_id TEXT NOT NULL,
  type TEXT NOT NULL,
  vector TEXT NOT NULL,
  base_score REAL,
  source TEXT NOT NULL,
  PRIMARY KEY (cve_id, type, vector)
) WITHOUT ROWID;
`;

export function createSchema(db: Database.Database, builtAt: string): void {
  db.exec(DDL);
  const meta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
  meta.run('schema_version', String(SCHEMA_VERSION));
  meta.run('built_at', builtAt);
}

/** The schema version stored in a file, or undefined when it is not a Vigil DB. */
export function readSchemaVersion(db: Database.Database): number | undefined {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
  if (table === undefined) return undefined;
  const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
  return row === undefined ? undefined : Number(row.value);
}
