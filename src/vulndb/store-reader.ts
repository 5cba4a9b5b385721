import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { baseEcosystem as baseOf, normalizePackageName } from '../core/ecosystem.ts';
import { VigilError } from '../core/errors.ts';
import type {
  EpssEntry,
  KevEntry,
  NvdCvss,
  OsvAffected,
  OsvAffectedEntry,
  OsvRecord,
  OsvRecordHead,
  PackageAdvisory,
  VulnDbReader,
  VulnDbStatus,
} from '../core/osv.ts';
import { AdvisoryFormError, readEntries, readHead } from './advisory-form.ts';
import { readSchemaVersion, SCHEMA_VERSION } from './store-schema.ts';

const EMPTY: readonly never[] = Object.freeze([]);
interface SharedForm {
  readonly record: OsvRecordHead;
  readonly entries: ReadonlyMap<string, readonly OsvAffectedEntry[]>;
}

/** what a DB without KEV, EPSS and NVD tables (one built from OSV alone) knows of any CVE */
const NO_FACTS = Object.freeze({ nvd: EMPTY });
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
    holdUnchanging(db);
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
 * The file never changes under a reader: `updateDatabase` builds a new file beside it and renames
 * it over the old one, whose inode an open reader keeps. So the reader takes its shared lock once
 * and keeps it (`locking_mode = EXCLUSIVE`, which on a read-only connection never takes more than a
 * shared lock) instead of locking, checking for a hot journal and re-reading the change counter
 * around every statement, and reads pages through a memory map instead of one pread(2) each. Both
 * are system calls per statement or per page: a dense match makes thousands.
 */
function holdUnchanging(db: Database.Database): void {
  db.pragma('locking_mode = EXCLUSIVE');
  db.pragma(`mmap_size = ${MMAP_BYTES}`);
}

/** the most of the file mapped; pages are mapped as read, so a match maps only what it touches */
const MMAP_BYTES = 1 << 30;

/**
 * `VulnDbReader` over the SQLite file with prepared statements. Parsed records and heads are cached
 * per row, and answers per package, for the life of the reader: the matcher asks once per package,
 * many packages (every binary of one Debian source package) share records, and re-matching stored
 * inventories asks the same questions again.
 */
class SqliteVulnDbReader implements VulnDbReader {
  readonly #db: Database.Database;
  readonly #path: string;
  /** parsed records by row; null for a row withdrawn or superseded by a newer copy in another source */
  readonly #records = new Map<number, OsvRecord | null>();
  readonly #answers = new Map<string, readonly OsvRecord[]>();
  /** records that name several packages, read whole, their entries by package (advisoriesFor) */
  readonly #shared = new Map<number, SharedForm | null>();
  readonly #advisories = new Map<string, readonly PackageAdvisory[]>();
  readonly #byPackage: Database.Statement;
  readonly #formsByPackage: Database.Statement;
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
    // One statement per package: its index rows, with the forms of records that name one package;
    // the others are read whole, once per reader (see store-schema.ts; the index holds
    // non-withdrawn records only).
    this.#formsByPackage = db.prepare('SELECT record, form, head FROM affected WHERE base = ? AND name = ?').raw();
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

  // The first lines repeat recordsFor's on purpose: the two sharing one generic memo helper made
  // a dense first match slower (median 212 against 176 ms, five alternating runs each).
  advisoriesFor(baseEcosystem: string, name: string): readonly PackageAdvisory[] {
    const normalized = normalizePackageName(baseEcosystem, name);
    const key = `${baseEcosystem}\0${normalized}`;
    const answered = this.#advisories.get(key);
    if (answered !== undefined) return answered;
    const advisories: PackageAdvisory[] = [];
    const superseded = this.#superseded;
    const rows = this.#formsByPackage.all(baseEcosystem, normalized) as Array<[number, string | null, string | null]>;
    for (let r = 0; r < rows.length; r++) {
      const [rowid, form, head] = rows[r] as [number, string | null, string | null];
      if (superseded.has(rowid)) continue;
      try {
        if (form === null || head === null) {
          const shared = this.#shared.get(rowid) ?? this.#readShared(rowid);
          // withdrawn, or superseded by a copy in another source
          if (shared === null) continue;
          const entries = shared.entries.get(key);
          if (entries === undefined) throw new AdvisoryFormError('no entries name the package');
          advisories.push({ record: shared.record, entries });
        } else {
          advisories.push({ record: readHead(head), entries: readEntries(form) });
        }
      } catch (err) {
        if (!(err instanceof AdvisoryFormError)) throw err;
        throw new VigilError(
          'VIGIL_DB_CORRUPT',
          `${this.#path}: the stored form of record row ${rowid} for ${baseEcosystem}/${normalized} is damaged (${err.message}); ${HOW_TO_GET_ONE}`,
          { path: this.#path },
          { cause: err },
        );
      }
    }
    const answer = advisories.length === 0 ? EMPTY : Object.freeze(advisories);
    this.#advisories.set(key, answer);
    return answer;
  }

  /** a record that names several packages, read whole, its entries grouped by package */
  #readShared(rowid: number): SharedForm | null {
    const record = this.#current(rowid);
    let shared: SharedForm | null = null;
    if (record !== undefined) {
      const entries = new Map<string, OsvAffectedEntry[]>();
      const list = record.affected ?? [];
      for (let index = 0; index < list.length; index++) {
        const affected = list[index] as OsvAffected;
        if (affected.package === undefined) continue;
        const { ecosystem, name } = affected.package;
        const key = `${baseOf(ecosystem)}\0${normalizePackageName(ecosystem, name)}`;
        const known = entries.get(key);
        if (known === undefined) entries.set(key, [{ index, affected }]);
        else known.push({ index, affected });
      }
      shared = { record, entries };
    }
    this.#shared.set(rowid, shared);
    return shared;
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
    const held = this.#held;
    if (!held.kev && !held.epss && !held.nvd) return NO_FACTS;
    let facts = this.#facts.get(cveId);
    if (facts === undefined) {
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
    this.#shared.clear();
    this.#advisories.clear();
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
