import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { normalizePackageName } from '../core/ecosystem.ts';
import { VigilError } from '../core/errors.ts';
import type { EpssEntry, KevEntry, NvdCvss, OsvRecord, VulnDbReader, VulnDbStatus } from '../core/osv.ts';
import { readSchemaVersion, SCHEMA_VERSION } from './store-schema.ts';

const EMPTY: readonly OsvRecord[] = Object.freeze([]);
const HOW_TO_GET_ONE = 'run `vigil db update` to download one (or `vigil db import DIR` from a mirror)';

/**
 * Opens the vulnerability DB read-only. Throws VIGIL_DB_MISSING when there is none yet and
 * VIGIL_DB_CORRUPT when the file is not a Vigil DB of this schema version.
 */
export function openVulnDb(path: string): VulnDbReader {
  if (!existsSync(path)) {
    throw new VigilError('VIGIL_DB_MISSING', `no vulnerability database at ${path}; ${HOW_TO_GET_ONE}`, { path });
  }
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const version = readSchemaVersion(db);
    if (version !== SCHEMA_VERSION) {
      const found = version === undefined ? 'is not a Vigil vulnerability database' : `has schema ${version}`;
      throw new VigilError(
        'VIGIL_DB_CORRUPT',
        `${path} ${found}, this Vigil reads schema ${SCHEMA_VERSION}; ${HOW_TO_GET_ONE}`,
        { path },
      );
    }
    return new SqliteVulnDbReader(db, path);
  } catch (err) {
    db?.close();
    if (err instanceof VigilError) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    throw new VigilError(
      'VIGIL_DB_CORRUPT',
      `cannot read ${path}: ${reason}; ${HOW_TO_GET_ONE}`,
      { path },
      { cause: err },
    );
  }
}

/**
 * `VulnDbReader` over the SQLite file with prepared statements. Parsed records are cached per row,
 * and answers per package, for the life of the reader: the matcher asks once per package, many
 * packages (every binary of one Debian source package) share records, and re-matching stored
 * inventories asks the same questions again.
 */
class SqliteVulnDbReader implements VulnDbReader {
  readonly #db: Database.Database;
  readonly #path: string;
  /** parsed records by row; null for a row withdrawn or superseded by a newer copy in another source */
  readonly #records = new Map<number, OsvRecord | null>();
  readonly #answers = new Map<string, readonly OsvRecord[]>();
  readonly #byPackage: Database.Statement;
  readonly #record: Database.Statement;
  readonly #superseded: ReadonlySet<number>;
  readonly #kev: Database.Statement;
  readonly #epss: Database.Statement;
  readonly #nvd: Database.Statement;
  #ecosystems: readonly string[] | undefined;
  readonly #facts = new Map<string, { kev?: KevEntry; epss?: EpssEntry; nvd: readonly NvdCvss[] }>();
  /**
   * Which of the KEV, EPSS and NVD tables hold anything: a DB built from OSV alone has none, and a
   * dense match asks for a few thousand CVEs.
   */
  readonly #held: { kev: boolean; epss: boolean; nvd: boolean };

  constructor(db: Database.Database, path: string) {
    this.#db = db;
    this.#path = path;
    // Served by the primary key of `affected` alone (a covering index range scan).
    this.#byPackage = db.prepare('SELECT record FROM affected WHERE base = ? AND name = ?').pluck();
    this.#record = db.prepare('SELECT json FROM records WHERE rowid = ? AND withdrawn = 0').pluck();
    // Only the newest copy of an id counts; markSuperseded listed the others when the file was
    // built. They are few (ids published by several sources), and a lookup in a Set is cheaper
    // than a join per record.
    this.#superseded = new Set(db.prepare('SELECT record FROM superseded').pluck().all() as number[]);
    this.#kev = db.prepare('SELECT json FROM kev WHERE cve_id = ?').pluck();
    this.#epss = db.prepare('SELECT cve_id AS cveId, score, percentile, date FROM epss WHERE cve_id = ?');
    this.#nvd = db.prepare('SELECT type, vector, base_score AS baseScore FROM nvd_cvss WHERE cve_id = ? ORDER BY type');
    const holds = (table: string) => db.prepare(`SELECT 1 FROM ${table} LIMIT 1`).get() !== undefined;
    this.#held = { kev: holds('kev'), epss: holds('epss'), nvd: holds('nvd_cvss') };
  }

  recordsFor(baseEcosystem: string, name: string): readonly OsvRecord[] {
    const normalized = normalizePackageName(baseEcosystem, name);
    const key = `${baseEcosystem}\0${normalized}`;
    const answered = this.#answers.get(key);
    if (answered !== undefined) return answered;
    const records: OsvRecord[] = [];
    for (const rowid of this.#byPackage.all(baseEcosystem, normalized) as number[]) {
      const record = this.#current(rowid);
      if (record !== undefined) records.push(record);
    }
    const answer = records.length === 0 ? EMPTY : Object.freeze(records);
    this.#answers.set(key, answer);
    return answer;
  }

  ecosystems(): readonly string[] {
    this.#ecosystems ??= Object.freeze(
      this.#db.prepare('SELECT name FROM ecosystems ORDER BY name').pluck().all() as string[],
    );
    return this.#ecosystems;
  }

  kev(cveId: string): KevEntry | undefined {
    return this.#enrichment(cveId).kev;
  }

  epss(cveId: string): EpssEntry | undefined {
    return this.#enrichment(cveId).epss;
  }

  nvdCvss(cveId: string): readonly NvdCvss[] {
    return this.#enrichment(cveId).nvd;
  }

  /**
   * KEV, EPSS and NVD facts for one CVE, read once per reader: re-matching stored inventories asks
   * for the same CVEs again and again, and three queries per finding were most of a warm match.
   * Bounded by the CVEs the matched records name.
   */
  #enrichment(cveId: string): { kev?: KevEntry; epss?: EpssEntry; nvd: readonly NvdCvss[] } {
    let facts = this.#facts.get(cveId);
    if (facts === undefined) {
      const held = this.#held;
      const kevJson = held.kev ? (this.#kev.get(cveId) as string | undefined) : undefined;
      const epssRow = held.epss
        ? (this.#epss.get(cveId) as
            | { cveId: string; score: number; percentile: number; date: string | null }
            | undefined)
        : undefined;
      const nvdRows = held.nvd
        ? (this.#nvd.all(cveId) as Array<{ type: string; vector: string; baseScore: number | null }>)
        : [];
      let epss: EpssEntry | undefined;
      if (epssRow !== undefined) {
        const { date, ...entry } = epssRow;
        epss = date === null ? entry : { ...entry, date };
      }
      facts = {
        ...(kevJson !== undefined ? { kev: JSON.parse(kevJson) as KevEntry } : {}),
        ...(epss !== undefined ? { epss } : {}),
        nvd: Object.freeze(
          nvdRows.map(({ baseScore, ...cvss }) =>
            baseScore === null ? { cveId, ...cvss } : { cveId, ...cvss, baseScore },
          ),
        ),
      };
      this.#facts.set(cveId, facts);
    }
    return facts;
  }

  status(): VulnDbStatus {
    return readStatus(this.#db, this.#path);
  }

  close(): void {
    this.#records.clear();
    this.#answers.clear();
    this.#facts.clear();
    this.#db.close();
  }

  /** The record in this row, unless it is withdrawn or superseded by another source's newer copy. */
  #current(rowid: number): OsvRecord | undefined {
    let entry = this.#records.get(rowid);
    if (entry === undefined) {
      const json = this.#superseded.has(rowid) ? undefined : (this.#record.get(rowid) as string | undefined);
      entry = json === undefined ? null : (JSON.parse(json) as OsvRecord);
      this.#records.set(rowid, entry);
    }
    return entry ?? undefined;
  }
}

export function readStatus(db: Database.Database, path: string): VulnDbStatus {
  const meta = new Map(
    (db.prepare('SELECT key, value FROM meta').all() as Array<{ key: string; value: string }>).map((row) => [
      row.key,
      row.value,
    ]),
  );
  const rows = db
    .prepare('SELECT name, records, updated_at, stale, last_error FROM sources ORDER BY name')
    .all() as Array<{
    name: string;
    records: number;
    updated_at: string | null;
    stale: number;
    last_error: string | null;
  }>;
  const builtAt = meta.get('built_at');
  return {
    path,
    schemaVersion: Number(meta.get('schema_version')),
    ...(builtAt !== undefined ? { builtAt } : {}),
    sources: rows.map((row) => ({
      name: row.name,
      records: row.records,
      stale: row.stale === 1,
      ...(row.updated_at !== null ? { updatedAt: row.updated_at } : {}),
      ...(row.last_error !== null ? { lastError: row.last_error } : {}),
    })),
  };
}
