import { baseEcosystem, normalizePackageName } from '../core/ecosystem.ts';
import type { OsvAffected, OsvRecord, VulnDbReader } from '../core/osv.ts';
import { getScheme } from '../versioning/index.ts';
import type { Candidate } from './finding.ts';
import { type CompiledAffected, compileAffected, evaluateAffected, GIT_IGNORED } from './ranges.ts';
import { rebuiltFixVerdict } from './rpm-streams.ts';
import { schemeForEcosystem } from './schemes.ts';

interface IndexedEntry {
  readonly index: number;
  readonly affected: OsvAffected;
  compiled?: CompiledAffected;
}

/**
 * Per record (id and modification time): its affected entries indexed by base ecosystem and
 * normalised package name, each compiled (events validated and sorted) on first use. The DB may hand
 * out fresh record objects on every lookup, and many packages share records (the binary packages
 * of one source package; AlmaLinux records list hundreds of binaries), so this work is done once.
 * Bounded: cleared when full.
 */
export class CompiledCache {
  readonly #records = new Map<string, Map<string, IndexedEntry[]>>();
  /** the same record object again (an in-memory DB, a memoised lookup) skips building the key */
  #byObject = new WeakMap<OsvRecord, Map<string, IndexedEntry[]>>();
  readonly #capacity: number;

  constructor(capacity = 50_000) {
    this.#capacity = capacity;
  }

  /** the record's affected entries for a package key (see packageKey); compile them with `compiled` */
  entries(record: OsvRecord, key: string): readonly IndexedEntry[] {
    let index = this.#byObject.get(record);
    if (index === undefined) {
      const key = `${record.id}\u0000${record.modified}`;
      index = this.#records.get(key);
      if (index === undefined) {
        if (this.#records.size >= this.#capacity) {
          this.#records.clear();
          this.#byObject = new WeakMap();
        }
        index = indexRecord(record);
        this.#records.set(key, index);
      }
      this.#byObject.set(record, index);
    }
    return index.get(key) ?? [];
  }

  /** an entry compiled on first use, so entries of other releases are never compiled */
  compiled(entry: IndexedEntry): CompiledAffected {
    entry.compiled ??= compileAffected(entry.affected);
    return entry.compiled;
  }
}

/** base ecosystem and normalised name, the key affected entries are indexed under */
export function packageKey(base: string, normalizedName: string): string {
  return `${base}\u0000${normalizedName}`;
}

function indexRecord(record: OsvRecord): Map<string, IndexedEntry[]> {
  const index = new Map<string, IndexedEntry[]>();
  const list = record.affected ?? [];
  for (let i = 0; i < list.length; i++) {
    const affected = list[i] as OsvAffected;
    if (affected.package === undefined) continue;
    const { ecosystem, name } = affected.package;
    const key = packageKey(baseEcosystem(ecosystem), normalizePackageName(ecosystem, name));
    const entries = index.get(key) ?? [];
    entries.push({ index: i, affected });
    index.set(key, entries);
  }
  return index;
}

/** What to look up for one installed package. */
export interface Lookup {
  /** names the records may use (deb/apk: the source package; rpm: binary and source rpm) */
  readonly names: readonly string[];
  /** the version in the ecosystem's spelling (see installedVersion) */
  readonly version: string;
  /** the base ecosystem records are indexed under */
  readonly baseEcosystem: string;
  /** whether an affected entry's full ecosystem string applies to this package */
  accepts(ecosystem: string): boolean;
}

/**
 * Fields by which a record says the distro will not fix the vulnerability for this package. Debian's
 * tracker marks such issues "<ignored>" or no-dsa "ignored"; Vigil's native-feed converters write
 * `wont_fix: true` into the affected entry's ecosystem_specific or database_specific.
 */
export function wontFix(affected: OsvAffected): boolean {
  for (const extra of [affected.ecosystem_specific, affected.database_specific]) {
    if (extra === undefined) continue;
    if (extra.wont_fix === true) return true;
    const status = extra.status ?? extra.fix_state;
    if (typeof status === 'string' && /^(ignored|wont[-_ ]?fix|will[-_ ]not[-_ ]fix)$/i.test(status)) return true;
  }
  return false;
}

/** where matching reports what it could not evaluate */
export interface MatchNotes {
  note(message: string): void;
  /** a record whose GIT range was skipped (summed up in one note) */
  gitRange(recordId: string): void;
}

/** lookups memoised within one matchInventory call */
export type RecordLookup = (baseEcosystem: string, name: string) => readonly OsvRecord[];

export function memoisedLookup(db: VulnDbReader): RecordLookup {
  const memo = new Map<string, readonly OsvRecord[]>();
  return (base, name) => {
    const key = `${base}\u0000${normalizePackageName(base, name)}`;
    let records = memo.get(key);
    if (records === undefined) {
      records = db.recordsFor(base, name);
      memo.set(key, records);
    }
    return records;
  };
}

/**
 * IsVulnerable (OSV schema "Evaluation") for one installed package against every record the DB has
 * for its names: affected entries whose package is this one (ecosystem accepted, name equal after
 * normalizePackageName) and whose versions or ranges contain the installed version.
 */
export function matchPackage(
  lookup: Lookup,
  records: RecordLookup,
  cache: CompiledCache,
  notes: MatchNotes,
): Candidate[] {
  const candidates: Candidate[] = [];
  const seen = new Set<string>();
  const wanted = new Set(
    lookup.names.map((n) => packageKey(lookup.baseEcosystem, normalizePackageName(lookup.baseEcosystem, n))),
  );
  for (const name of lookup.names) {
    for (const record of records(lookup.baseEcosystem, name)) {
      if (record.withdrawn !== undefined || seen.has(record.id)) continue;
      seen.add(record.id);
      const candidate = matchRecord(record, lookup, wanted, cache, notes);
      if (candidate !== undefined) candidates.push(candidate);
    }
  }
  return candidates;
}

function matchRecord(
  record: OsvRecord,
  lookup: Lookup,
  wanted: ReadonlySet<string>,
  cache: CompiledCache,
  notes: MatchNotes,
): Candidate | undefined {
  const indexes: number[] = [];
  const fixed: string[] = [];
  let wontFixAll = true;
  const rpm = schemeForEcosystem(lookup.baseEcosystem) === 'rpm';
  for (const key of wanted) {
    const all = cache.entries(record, key);
    if (all.length === 0) continue;
    const entries = all.every((e) => lookup.accepts((e.affected.package as { ecosystem: string }).ecosystem))
      ? all
      : all.filter((e) => lookup.accepts((e.affected.package as { ecosystem: string }).ecosystem));
    for (const entry of entries) {
      const pkg = entry.affected.package as { ecosystem: string; name: string };
      for (const problem of cache.compiled(entry).problems) {
        if (problem === GIT_IGNORED) notes.gitRange(record.id);
        else notes.note(`${record.id} (${pkg.ecosystem}/${pkg.name}): ${problem}`);
      }
    }
    const rebuilt = rpm
      ? rebuiltFixVerdict(
          entries.map((e) => e.affected),
          lookup.version,
        )
      : undefined;
    if (rebuilt !== undefined) {
      if (!rebuilt.affected) continue;
      for (const e of entries) if (!indexes.includes(e.index)) indexes.push(e.index);
      for (const f of rebuilt.fixed) if (!fixed.includes(f)) fixed.push(f);
      if (!entries.every((e) => wontFix(e.affected))) wontFixAll = false;
      continue;
    }
    for (const entry of entries) {
      const { index, affected } = entry;
      if (indexes.includes(index)) continue;
      const pkg = affected.package as { ecosystem: string; name: string };
      const result = evaluateAffected(lookup.version, cache.compiled(entry));
      for (const scheme of result.unorderable) {
        notes.note(
          `${pkg.ecosystem}/${pkg.name}: installed version ${JSON.stringify(lookup.version)} is not a valid ${scheme} version; ${record.id} not evaluated`,
        );
      }
      if (!result.affected) continue;
      indexes.push(index);
      for (const f of result.fixed) if (!fixed.includes(f)) fixed.push(f);
      if (!wontFix(affected)) wontFixAll = false;
    }
  }
  if (indexes.length === 0) return undefined;
  indexes.sort((a, b) => a - b);
  return { record, affectedIndexes: indexes, fixed, wontFix: wontFixAll };
}

/** whether the version is one the ecosystem's scheme can order (else: a note, no finding) */
export function orderable(scheme: string, version: string): boolean {
  return getScheme(scheme).isValid(version);
}
