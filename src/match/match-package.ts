import { baseEcosystem, normalizePackageName } from '../core/ecosystem.ts';
import type {
  OsvAffected,
  OsvAffectedEntry,
  OsvRecord,
  OsvRecordHead,
  PackageAdvisory,
  VulnDbReader,
} from '../core/osv.ts';
import { getScheme } from '../versioning/index.ts';
import type { Candidate } from './finding.ts';
import { type CompiledAffected, compileAffected, evaluateAffected, GIT_IGNORED } from './ranges.ts';
import { rebuiltFixVerdict } from './rpm-streams.ts';
import { schemeForEcosystem } from './schemes.ts';

/**
 * Per reader (see readerCaches in index.ts): affected entries compiled (events validated and
 * sorted) on first use, and, for a reader that hands out whole records only, each record's entries
 * indexed by package. Many packages share records (the binary packages of one source package;
 * AlmaLinux records list hundreds of binaries), so this work is done once.
 */
export class CompiledCache {
  /**
   * a Map, not a WeakMap: the entries it holds live as long as the reader's own caches, and a
   * WeakMap of thousands of entries costs every young-generation collection (ephemerons)
   */
  #compiled = new Map<OsvAffected, CompiledAffected>();
  /** whole records by id and modification time: a reader may hand out fresh objects per lookup */
  readonly #records = new Map<string, Map<string, PackageAdvisory>>();
  /** the same record object again (an in-memory DB, a memoised lookup) skips building the key */
  #byObject = new WeakMap<OsvRecord, Map<string, PackageAdvisory>>();
  readonly #capacity: number;

  constructor(capacity = 50_000) {
    this.#capacity = capacity;
  }

  /** a whole record as matching the package with this key (see packageKey) reads it */
  advisory(record: OsvRecord, key: string): PackageAdvisory {
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
    return index.get(key) ?? { record, entries: [] };
  }

  /** an entry compiled on first use, so entries of other releases are never compiled */
  compiled(affected: OsvAffected): CompiledAffected {
    let compiled = this.#compiled.get(affected);
    if (compiled === undefined) {
      if (this.#compiled.size >= this.#capacity * 4) this.#compiled = new Map();
      compiled = compileAffected(affected);
      this.#compiled.set(affected, compiled);
    }
    return compiled;
  }
}

/** base ecosystem and normalised name, the key affected entries are indexed under */
export function packageKey(base: string, normalizedName: string): string {
  return `${base}\u0000${normalizedName}`;
}

function indexRecord(record: OsvRecord): Map<string, PackageAdvisory> {
  const index = new Map<string, { record: OsvRecord; entries: OsvAffectedEntry[] }>();
  const list = record.affected ?? [];
  for (let i = 0; i < list.length; i++) {
    const affected = list[i] as OsvAffected;
    if (affected.package === undefined) continue;
    const { ecosystem, name } = affected.package;
    const key = packageKey(baseEcosystem(ecosystem), normalizePackageName(ecosystem, name));
    let advisory = index.get(key);
    if (advisory === undefined) {
      advisory = { record, entries: [] };
      index.set(key, advisory);
    }
    advisory.entries.push({ index: i, affected });
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
  return saysWontFix(affected.ecosystem_specific) || saysWontFix(affected.database_specific);
}

function saysWontFix(extra: Record<string, unknown> | undefined): boolean {
  if (extra === undefined) return false;
  if (extra.wont_fix === true) return true;
  const status = extra.status ?? extra.fix_state;
  return typeof status === 'string' && WONT_FIX.test(status);
}

const WONT_FIX = /^(ignored|wont[-_ ]?fix|will[-_ ]not[-_ ]fix)$/i;

/** where matching reports what it could not evaluate */
export interface MatchNotes {
  note(message: string): void;
  /** a record whose GIT range was skipped (summed up in one note) */
  gitRange(recordId: string): void;
}

/** advisories for one base ecosystem and package name, memoised within one matchInventory call */
export type AdvisoryLookup = (baseEcosystem: string, name: string) => readonly PackageAdvisory[];

/**
 * The reader's own advisories when it keeps them (the SQLite store), else its whole records, each
 * cut to the package's entries here.
 */
export function memoisedLookup(db: VulnDbReader, cache: CompiledCache): AdvisoryLookup {
  const memo = new Map<string, readonly PackageAdvisory[]>();
  return (base, name) => {
    const normalized = normalizePackageName(base, name);
    const key = packageKey(base, normalized);
    let advisories = memo.get(key);
    if (advisories === undefined) {
      advisories =
        db.advisoriesFor !== undefined
          ? db.advisoriesFor(base, name)
          : db.recordsFor(base, name).map((record) => cache.advisory(record, key));
      memo.set(key, advisories);
    }
    return advisories;
  };
}

/**
 * IsVulnerable (OSV schema "Evaluation") for one installed package against every record the DB has
 * for its names: affected entries whose package is this one (ecosystem accepted, name equal after
 * normalizePackageName) and whose versions or ranges contain the installed version.
 */
export function matchPackage(
  lookup: Lookup,
  advisories: AdvisoryLookup,
  cache: CompiledCache,
  notes: MatchNotes,
): Candidate[] {
  const candidates: Candidate[] = [];
  const base = lookup.baseEcosystem;
  if (lookup.names.length === 1) {
    const list = advisories(base, lookup.names[0] as string);
    // a record once, should a reader list it twice
    const seen = list.length > 1 ? new Set<string>() : undefined;
    for (let a = 0; a < list.length; a++) {
      const { record, entries } = list[a] as PackageAdvisory;
      if (record.withdrawn !== undefined || seen?.has(record.id)) continue;
      seen?.add(record.id);
      const candidate = matchRecord(record, [entries], lookup, cache, notes);
      if (candidate !== undefined) candidates.push(candidate);
    }
    return candidates;
  }
  // rpm: binary and source name. A record naming both is one candidate with the entries of each.
  const records = new Map<
    string,
    { record: OsvRecordHead; groups: Array<readonly OsvAffectedEntry[]>; name: number }
  >();
  const keys = new Set<string>();
  lookup.names.forEach((name, n) => {
    const key = packageKey(base, normalizePackageName(base, name));
    if (keys.has(key)) return;
    keys.add(key);
    for (const { record, entries } of advisories(base, name)) {
      if (record.withdrawn !== undefined) continue;
      const known = records.get(record.id);
      if (known === undefined) records.set(record.id, { record, groups: [entries], name: n });
      else if (known.name !== n) {
        known.groups.push(entries);
        known.name = n;
      }
    }
  });
  for (const { record, groups } of records.values()) {
    const candidate = matchRecord(record, groups, lookup, cache, notes);
    if (candidate !== undefined) candidates.push(candidate);
  }
  return candidates;
}

/**
 * `groups`: the record's entries for each name of the package. Indexed loops and no closures: a
 * first match in a process runs this thousands of times before V8 optimises it, when each for-of
 * step and each closure is an allocation.
 */
function matchRecord(
  record: OsvRecordHead,
  groups: ReadonlyArray<readonly OsvAffectedEntry[]>,
  lookup: Lookup,
  cache: CompiledCache,
  notes: MatchNotes,
): Candidate | undefined {
  const matched: OsvAffectedEntry[] = [];
  const fixed: string[] = [];
  let wontFixAll = true;
  const rpm = schemeForEcosystem(lookup.baseEcosystem) === 'rpm';
  for (let g = 0; g < groups.length; g++) {
    const entries = accepted(groups[g] as readonly OsvAffectedEntry[], lookup);
    for (let e = 0; e < entries.length; e++) {
      const { affected } = entries[e] as OsvAffectedEntry;
      const problems = cache.compiled(affected).problems;
      for (let p = 0; p < problems.length; p++) {
        const problem = problems[p] as string;
        const pkg = affected.package as { ecosystem: string; name: string };
        if (problem === GIT_IGNORED) notes.gitRange(record.id);
        else notes.note(`${record.id} (${pkg.ecosystem}/${pkg.name}): ${problem}`);
      }
    }
    const rebuilt = rpm && entries.length > 1 ? rebuiltFixVerdict(entries.map(affectedOf), lookup.version) : undefined;
    if (rebuilt !== undefined) {
      if (!rebuilt.affected) continue;
      for (const e of entries) if (!holds(matched, e)) matched.push(e);
      for (const f of rebuilt.fixed) if (!fixed.includes(f)) fixed.push(f);
      if (!entries.every((e) => wontFix(e.affected))) wontFixAll = false;
      continue;
    }
    for (let e = 0; e < entries.length; e++) {
      const entry = entries[e] as OsvAffectedEntry;
      if (holds(matched, entry)) continue;
      const { affected } = entry;
      const result = evaluateAffected(lookup.version, cache.compiled(affected));
      for (let u = 0; u < result.unorderable.length; u++) {
        const pkg = affected.package as { ecosystem: string; name: string };
        notes.note(
          `${pkg.ecosystem}/${pkg.name}: installed version ${JSON.stringify(lookup.version)} is not a valid ${result.unorderable[u]} version; ${record.id} not evaluated`,
        );
      }
      if (!result.affected) continue;
      matched.push(entry);
      for (let f = 0; f < result.fixed.length; f++) {
        const version = result.fixed[f] as string;
        if (!fixed.includes(version)) fixed.push(version);
      }
      if (!wontFix(affected)) wontFixAll = false;
    }
  }
  if (matched.length === 0) return undefined;
  if (matched.length > 1) matched.sort(byIndex);
  return { record, entries: matched, fixed, wontFix: wontFixAll };
}

/** the entries whose full ecosystem string applies to the package (all of them, mostly) */
function accepted(all: readonly OsvAffectedEntry[], lookup: Lookup): readonly OsvAffectedEntry[] {
  for (let e = 0; e < all.length; e++) {
    if (!lookup.accepts(ecosystemOf(all[e] as OsvAffectedEntry))) {
      return all.filter((entry) => lookup.accepts(ecosystemOf(entry)));
    }
  }
  return all;
}

function ecosystemOf(entry: OsvAffectedEntry): string {
  return (entry.affected.package as { ecosystem: string }).ecosystem;
}

function affectedOf(entry: OsvAffectedEntry): OsvAffected {
  return entry.affected;
}

function holds(matched: readonly OsvAffectedEntry[], entry: OsvAffectedEntry): boolean {
  for (let m = 0; m < matched.length; m++) if ((matched[m] as OsvAffectedEntry).index === entry.index) return true;
  return false;
}

function byIndex(a: OsvAffectedEntry, b: OsvAffectedEntry): number {
  return a.index - b.index;
}

/** whether the version is one the ecosystem's scheme can order (else: a note, no finding) */
export function orderable(scheme: string, version: string): boolean {
  return getScheme(scheme).isValid(version);
}
