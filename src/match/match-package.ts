import { baseEcosystem, normalizePackageName } from '../core/ecosystem.ts';
import type { OsvAffected, OsvRecord, VulnDbReader } from '../core/osv.ts';
import { getScheme } from '../versioning/index.ts';
import type { Candidate } from './finding.ts';
import { type CompiledAffected, compileAffected, evaluateAffected } from './ranges.ts';

/**
 * Compiled affected entries, per record id, modification time and entry index: the DB may hand out
 * fresh record objects on every lookup, and many packages share records (binary packages of one
 * source package), so events are validated and sorted once. Bounded: cleared when full.
 */
export class CompiledCache {
  readonly #entries = new Map<string, CompiledAffected>();
  readonly #capacity: number;

  constructor(capacity = 200_000) {
    this.#capacity = capacity;
  }

  get(record: OsvRecord, index: number, affected: OsvAffected): CompiledAffected {
    const key = `${record.id}\u0000${record.modified}\u0000${index}`;
    let compiled = this.#entries.get(key);
    if (compiled === undefined) {
      if (this.#entries.size >= this.#capacity) this.#entries.clear();
      compiled = compileAffected(affected);
      this.#entries.set(key, compiled);
    }
    return compiled;
  }
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
  note: (message: string) => void,
): Candidate[] {
  const candidates: Candidate[] = [];
  const seen = new Set<string>();
  const wanted = new Set(lookup.names.map((n) => normalizePackageName(lookup.baseEcosystem, n)));
  for (const name of lookup.names) {
    for (const record of records(lookup.baseEcosystem, name)) {
      if (record.withdrawn !== undefined || seen.has(record.id)) continue;
      seen.add(record.id);
      const candidate = matchRecord(record, lookup, wanted, cache, note);
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
  note: (message: string) => void,
): Candidate | undefined {
  const indexes: number[] = [];
  const fixed: string[] = [];
  let wontFixAll = true;
  const affectedList = record.affected ?? [];
  for (let i = 0; i < affectedList.length; i++) {
    const affected = affectedList[i] as OsvAffected;
    const pkg = affected.package;
    if (pkg === undefined || baseEcosystem(pkg.ecosystem) !== lookup.baseEcosystem) continue;
    if (!lookup.accepts(pkg.ecosystem)) continue;
    if (!wanted.has(normalizePackageName(pkg.ecosystem, pkg.name))) continue;
    const compiled = cache.get(record, i, affected);
    for (const problem of compiled.problems) note(`${record.id} (${pkg.ecosystem}/${pkg.name}): ${problem}`);
    const result = evaluateAffected(lookup.version, compiled);
    for (const scheme of result.unorderable) {
      note(
        `${pkg.ecosystem}/${pkg.name}: installed version ${JSON.stringify(lookup.version)} is not a valid ${scheme} version; ${record.id} not evaluated`,
      );
    }
    if (!result.affected) continue;
    indexes.push(i);
    for (const f of result.fixed) if (!fixed.includes(f)) fixed.push(f);
    if (!wontFix(affected)) wontFixAll = false;
  }
  if (indexes.length === 0) return undefined;
  return { record, affectedIndexes: indexes, fixed, wontFix: wontFixAll };
}

/** whether the version is one the ecosystem's scheme can order (else: a note, no finding) */
export function orderable(scheme: string, version: string): boolean {
  return getScheme(scheme).isValid(version);
}
