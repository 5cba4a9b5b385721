import type Database from 'better-sqlite3';
import type { EpssEntry, KevEntry, NvdCvss } from '../core/osv.ts';
import { osvRow } from './osv-row.ts';
import type { OsvRow, SourceItem } from './types.ts';

/** What one source's update did, for `db update` output and the API. */
export interface SourceCounts {
  added: number;
  updated: number;
  unchanged: number;
  /** records (or KEV/EPSS/NVD rows) the source no longer publishes */
  removed: number;
  skipped: number;
  /** the first MAX_SKIP_REASONS skipped entries, with why */
  skippedEntries: Array<{ readonly where: string; readonly reason: string }>;
}

export const MAX_SKIP_REASONS = 100;

/**
 * Applies one source's items to the DB inside one transaction: `commit` lands them whole (removing
 * what the source no longer publishes), `rollback` restores the source's previous rows and marks it
 * stale. The transaction spans the source's async iteration; nothing else writes to this file (it
 * is the private copy that `updateDatabase` swaps in at the end).
 */
export class SourceSession {
  readonly counts: SourceCounts = { added: 0, updated: 0, unchanged: 0, removed: 0, skipped: 0, skippedEntries: [] };
  readonly #db: Database.Database;
  readonly #source: string;
  readonly #statements: Statements;
  /**
   * The source had no rows before: every record is new, so the per-record lookup and the "seen"
   * bookkeeping (which only serves to find what the source dropped) are skipped.
   */
  readonly #fresh: boolean;
  /** index rows waiting for a multi-row insert: [base, name, record] flattened */
  readonly #pendingIndex: Array<string | number> = [];
  /** index rows with the matcher's form of the record, likewise: [base, name, record, form, head] */
  readonly #pendingForms: Array<string | number> = [];
  /** alias rows waiting likewise: [record, alias] flattened */
  readonly #pendingAliases: Array<string | number> = [];
  /** the ecosystem strings of every indexed record the source publishes, changed or not */
  readonly #ecosystems = new Set<string>();

  constructor(db: Database.Database, source: string) {
    this.#db = db;
    this.#source = source;
    this.#statements = prepare(db);
    db.exec('BEGIN');
    db.exec('DELETE FROM seen_records; DELETE FROM seen_keys;');
    this.#fresh = this.#statements.anyRecord.get(source) === undefined;
  }

  apply(item: SourceItem): void {
    switch (item.kind) {
      case 'osv':
        this.#applyRecord(item.row ?? osvRow(item.record, JSON.stringify(item.record)));
        break;
      case 'kev':
        this.#applyKev(item.entry);
        break;
      case 'epss':
        this.#applyEpss(item.entry);
        break;
      case 'nvd':
        this.#applyNvd(item.cvss);
        break;
      case 'skipped':
        this.counts.skipped++;
        if (this.counts.skippedEntries.length < MAX_SKIP_REASONS) {
          this.counts.skippedEntries.push({ where: item.where, reason: item.reason });
        }
        break;
    }
  }

  /** The source arrived whole: drop what it no longer publishes, record its status, land it. */
  commit(updatedAt: string): SourceCounts {
    const s = this.#statements;
    const source = this.#source;
    this.#flushIndex();
    const gone = this.#fresh
      ? []
      : (this.#db
          .prepare('SELECT rowid FROM records WHERE source = ? AND rowid NOT IN (SELECT rowid FROM seen_records)')
          .pluck()
          .all(source) as number[]);
    for (const rowid of gone) {
      s.deleteAffected.run(rowid);
      s.deleteAliases.run(rowid);
      s.deleteRecord.run(rowid);
    }
    this.counts.removed += gone.length;
    this.#db.prepare('DELETE FROM source_ecosystems WHERE source = ?').run(source);
    for (const ecosystem of this.#ecosystems) s.insertEcosystem.run(source, ecosystem);
    this.counts.removed += this.#db
      .prepare("DELETE FROM kev WHERE source = ? AND cve_id NOT IN (SELECT key FROM seen_keys WHERE kind = 'kev')")
      .run(source).changes;
    this.counts.removed += this.#db
      .prepare("DELETE FROM epss WHERE source = ? AND cve_id NOT IN (SELECT key FROM seen_keys WHERE kind = 'epss')")
      .run(source).changes;
    this.counts.removed += this.#db
      .prepare(
        `DELETE FROM nvd_cvss WHERE source = ?
         AND (cve_id || char(0) || type || char(0) || vector) NOT IN (SELECT key FROM seen_keys WHERE kind = 'nvd')`,
      )
      .run(source).changes;
    const records = this.#db
      .prepare(
        `SELECT (SELECT count(*) FROM records WHERE source = @source) + (SELECT count(*) FROM kev WHERE source = @source)
              + (SELECT count(*) FROM epss WHERE source = @source) + (SELECT count(*) FROM nvd_cvss WHERE source = @source)`,
      )
      .pluck()
      .get({ source }) as number;
    this.#db
      .prepare(
        `INSERT INTO sources (name, records, updated_at, stale, last_error) VALUES (?, ?, ?, 0, NULL)
         ON CONFLICT (name) DO UPDATE SET records = excluded.records, updated_at = excluded.updated_at,
           stale = 0, last_error = NULL`,
      )
      .run(source, records, updatedAt);
    this.#db.exec('COMMIT');
    return this.counts;
  }

  /** The source failed or arrived partly: keep its previous rows whole and mark it stale. */
  rollback(error: string): void {
    if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
    this.#db
      .prepare(
        `INSERT INTO sources (name, records, stale, last_error) VALUES (?, 0, 1, ?)
         ON CONFLICT (name) DO UPDATE SET stale = 1, last_error = excluded.last_error`,
      )
      .run(this.#source, error);
  }

  #applyRecord(row: OsvRow): void {
    const s = this.#statements;
    for (const ecosystem of row.ecosystems) this.#ecosystems.add(ecosystem);
    const withdrawn = row.withdrawn ? 1 : 0;
    if (this.#fresh) {
      const inserted = s.insertNewRecord.run(this.#source, row.id, row.modified, withdrawn, row.json);
      // 0 changes: the id came twice in this source; the second copy takes the incremental path.
      if (inserted.changes === 1) {
        this.counts.added++;
        this.#index(Number(inserted.lastInsertRowid), row);
        return;
      }
    }
    const existing = s.selectRecord.get(this.#source, row.id) as { rowid: number; modified: string } | undefined;
    // Incremental: a record whose `modified` is not newer than the stored one is left as it is.
    if (existing !== undefined && !isNewer(row.modified, existing.modified)) {
      s.markRecord.run(existing.rowid);
      this.counts.unchanged++;
      return;
    }
    let rowid: number;
    if (existing !== undefined) {
      rowid = existing.rowid;
      this.#flushIndex();
      s.updateRecord.run(row.modified, withdrawn, row.json, rowid);
      s.deleteAffected.run(rowid);
      s.deleteAliases.run(rowid);
      this.counts.updated++;
    } else {
      rowid = Number(s.insertRecord.run(this.#source, row.id, row.modified, withdrawn, row.json).lastInsertRowid);
      this.counts.added++;
    }
    s.markRecord.run(rowid);
    this.#index(rowid, row);
  }

  #index(rowid: number, row: OsvRow): void {
    const aliases = this.#pendingAliases;
    for (const alias of row.aliases) {
      aliases.push(rowid, alias);
      if (aliases.length === INDEX_BATCH_ROWS * 2) {
        this.#statements.insertAliasBatch.run(aliases);
        aliases.length = 0;
      }
    }
    // osvRow leaves a withdrawn record's packages out: it stays stored but out of the index
    const { packages } = row;
    // the matcher's form of a record that names one package goes with its index row; the others'
    // rows take the three-column insert (binding two nulls per row cost 6% of a distro import)
    if (row.entries !== '') {
      const forms = this.#pendingForms;
      forms.push(packages[0] as string, packages[1] as string, rowid, row.entries, row.head);
      if (forms.length === FORM_BATCH_ROWS * 5) {
        this.#statements.insertFormBatch.run(forms);
        forms.length = 0;
      }
      return;
    }
    const pending = this.#pendingIndex;
    for (let at = 0; at < packages.length; at += 2) {
      pending.push(packages[at] as string, packages[at + 1] as string, rowid);
      if (pending.length === INDEX_BATCH_ROWS * 3) {
        this.#statements.insertAffectedBatch.run(pending);
        pending.length = 0;
      }
    }
  }

  /** Writes the index rows still pending; before anything deletes index rows, and at commit. */
  #flushIndex(): void {
    const pending = this.#pendingIndex;
    for (let at = 0; at < pending.length; at += 3) this.#statements.insertAffected.run(pending.slice(at, at + 3));
    pending.length = 0;
    const forms = this.#pendingForms;
    for (let at = 0; at < forms.length; at += 5) this.#statements.insertForm.run(forms.slice(at, at + 5));
    forms.length = 0;
    const aliases = this.#pendingAliases;
    for (let at = 0; at < aliases.length; at += 2) this.#statements.insertAlias.run(aliases.slice(at, at + 2));
    aliases.length = 0;
  }

  #applyKev(entry: KevEntry): void {
    const json = JSON.stringify(entry);
    const existing = this.#statements.selectKev.get(entry.cveId) as string | undefined;
    this.#count(existing, existing === json);
    this.#statements.upsertKev.run(entry.cveId, this.#source, json);
    this.#statements.markKey.run('kev', entry.cveId);
  }

  #applyEpss(entry: EpssEntry): void {
    const existing = this.#statements.selectEpss.get(entry.cveId) as
      | { score: number; percentile: number; date: string | null }
      | undefined;
    const same =
      existing?.score === entry.score &&
      existing.percentile === entry.percentile &&
      existing.date === (entry.date ?? null);
    this.#count(existing, same);
    this.#statements.upsertEpss.run(entry.cveId, this.#source, entry.score, entry.percentile, entry.date ?? null);
    this.#statements.markKey.run('epss', entry.cveId);
  }

  #applyNvd(cvss: NvdCvss): void {
    const existing = this.#statements.selectNvd.get(cvss.cveId, cvss.type, cvss.vector) as
      | { base_score: number | null }
      | undefined;
    this.#count(existing, existing?.base_score === (cvss.baseScore ?? null));
    this.#statements.upsertNvd.run(cvss.cveId, cvss.type, cvss.vector, cvss.baseScore ?? null, this.#source);
    this.#statements.markKey.run('nvd', `${cvss.cveId}\0${cvss.type}\0${cvss.vector}`);
  }

  #count(existing: unknown, same: boolean): void {
    if (existing === undefined) this.counts.added++;
    else if (same) this.counts.unchanged++;
    else this.counts.updated++;
  }
}

/** RFC 3339 times compared as instants ("…Z" and "…+00:00", with or without fractions). */
export function isNewer(candidate: string, stored: string): boolean {
  const a = Date.parse(candidate);
  const b = Date.parse(stored);
  if (Number.isNaN(a) || Number.isNaN(b)) return candidate !== stored;
  return a > b;
}

/** Refreshes the list `ecosystems()` answers from, after all sources landed. */
export function rebuildEcosystems(db: Database.Database): void {
  db.exec('DELETE FROM ecosystems; INSERT INTO ecosystems (name) SELECT DISTINCT ecosystem FROM source_ecosystems;');
}

/**
 * Lists every copy of an id that another source's copy supersedes, after all sources landed: only
 * the newest copy counts, withdrawn or not, so that a withdrawal or a narrowed `affected` list
 * published anywhere wins over an older copy elsewhere; at equal times the copy stored first
 * stands for all. Ids held by several sources are few (a GHSA in the npm and Maven zips).
 */
export function markSuperseded(db: Database.Database): void {
  db.transaction(() => {
    db.exec('DELETE FROM superseded');
    const copiesOf = db.prepare('SELECT rowid, modified FROM records WHERE id = ?');
    const insert = db.prepare('INSERT INTO superseded (record) VALUES (?)');
    // served by records_by_id alone
    const ids = db.prepare('SELECT id FROM records GROUP BY id HAVING count(*) > 1').pluck().all() as string[];
    for (const id of ids) {
      const copies = (copiesOf.all(id) as Array<{ rowid: number; modified: string }>).map((copy) => ({
        rowid: copy.rowid,
        time: Date.parse(copy.modified),
      }));
      for (const copy of copies) {
        const superseded = copies.some(
          (other) => other.time > copy.time || (other.time === copy.time && other.rowid < copy.rowid),
        );
        if (superseded) insert.run(copy.rowid);
      }
    }
  })();
}

/** rows per multi-row insert into the index and the aliases: one native call instead of 64 */
const INDEX_BATCH_ROWS = 64;
/** likewise for index rows with a form, which are a hundred times larger */
const FORM_BATCH_ROWS = 16;

interface Statements {
  anyRecord: Database.Statement;
  insertNewRecord: Database.Statement;
  insertAffectedBatch: Database.Statement;
  insertFormBatch: Database.Statement;
  insertForm: Database.Statement;
  selectRecord: Database.Statement;
  insertRecord: Database.Statement;
  updateRecord: Database.Statement;
  deleteRecord: Database.Statement;
  markRecord: Database.Statement;
  insertAffected: Database.Statement;
  insertEcosystem: Database.Statement;
  deleteAffected: Database.Statement;
  insertAlias: Database.Statement;
  insertAliasBatch: Database.Statement;
  deleteAliases: Database.Statement;
  selectKev: Database.Statement;
  upsertKev: Database.Statement;
  selectEpss: Database.Statement;
  upsertEpss: Database.Statement;
  selectNvd: Database.Statement;
  upsertNvd: Database.Statement;
  markKey: Database.Statement;
}

const statementCache = new WeakMap<Database.Database, Statements>();

/**
 * A row's JSON comes as text or as UTF-8 bytes (OsvRow `json`); bytes bind as a BLOB, and
 * `CAST(? AS TEXT)` stores them as the text a string would have been (SQLite reads a BLOB cast to
 * TEXT in the database's encoding, UTF-8).
 */
function prepare(db: Database.Database): Statements {
  const cached = statementCache.get(db);
  if (cached !== undefined) return cached;
  db.exec(`CREATE TEMP TABLE IF NOT EXISTS seen_records (rowid INTEGER PRIMARY KEY);
    CREATE TEMP TABLE IF NOT EXISTS seen_keys (kind TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (kind, key)) WITHOUT ROWID;`);
  const statements: Statements = {
    anyRecord: db.prepare('SELECT 1 FROM records WHERE source = ? LIMIT 1'),
    insertNewRecord: db.prepare(
      'INSERT OR IGNORE INTO records (source, id, modified, withdrawn, json) VALUES (?, ?, ?, ?, CAST(? AS TEXT))',
    ),
    insertAffectedBatch: db.prepare(
      `INSERT OR IGNORE INTO affected (base, name, record) VALUES ${Array(INDEX_BATCH_ROWS).fill('(?, ?, ?)').join(', ')}`,
    ),
    insertFormBatch: db.prepare(
      `INSERT OR IGNORE INTO affected (base, name, record, form, head) VALUES ${Array(FORM_BATCH_ROWS).fill('(?, ?, ?, ?, ?)').join(', ')}`,
    ),
    selectRecord: db.prepare('SELECT rowid, modified FROM records WHERE source = ? AND id = ?'),
    insertRecord: db.prepare(
      'INSERT INTO records (source, id, modified, withdrawn, json) VALUES (?, ?, ?, ?, CAST(? AS TEXT))',
    ),
    updateRecord: db.prepare('UPDATE records SET modified = ?, withdrawn = ?, json = CAST(? AS TEXT) WHERE rowid = ?'),
    deleteRecord: db.prepare('DELETE FROM records WHERE rowid = ?'),
    markRecord: db.prepare('INSERT OR IGNORE INTO seen_records (rowid) VALUES (?)'),
    insertAffected: db.prepare('INSERT OR IGNORE INTO affected (base, name, record) VALUES (?, ?, ?)'),
    insertForm: db.prepare('INSERT OR IGNORE INTO affected (base, name, record, form, head) VALUES (?, ?, ?, ?, ?)'),
    insertEcosystem: db.prepare('INSERT INTO source_ecosystems (source, ecosystem) VALUES (?, ?)'),
    deleteAffected: db.prepare('DELETE FROM affected WHERE record = ?'),
    insertAlias: db.prepare('INSERT OR IGNORE INTO aliases (record, alias) VALUES (?, ?)'),
    insertAliasBatch: db.prepare(
      `INSERT OR IGNORE INTO aliases (record, alias) VALUES ${Array(INDEX_BATCH_ROWS).fill('(?, ?)').join(', ')}`,
    ),
    deleteAliases: db.prepare('DELETE FROM aliases WHERE record = ?'),
    selectKev: db.prepare('SELECT json FROM kev WHERE cve_id = ?').pluck(),
    upsertKev: db.prepare(
      'INSERT INTO kev (cve_id, source, json) VALUES (?, ?, ?) ON CONFLICT (cve_id) DO UPDATE SET source = excluded.source, json = excluded.json',
    ),
    selectEpss: db.prepare('SELECT score, percentile, date FROM epss WHERE cve_id = ?'),
    upsertEpss: db.prepare(
      `INSERT INTO epss (cve_id, source, score, percentile, date) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (cve_id) DO UPDATE SET source = excluded.source, score = excluded.score,
         percentile = excluded.percentile, date = excluded.date`,
    ),
    selectNvd: db.prepare('SELECT base_score FROM nvd_cvss WHERE cve_id = ? AND type = ? AND vector = ?'),
    upsertNvd: db.prepare(
      `INSERT INTO nvd_cvss (cve_id, type, vector, base_score, source) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (cve_id, type, vector) DO UPDATE SET base_score = excluded.base_score, source = excluded.source`,
    ),
    markKey: db.prepare('INSERT OR IGNORE INTO seen_keys (kind, key) VALUES (?, ?)'),
  };
  statementCache.set(db, statements);
  return statements;
}
