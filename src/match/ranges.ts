import type { OsvAffected, OsvRange } from '../core/osv.ts';
import { getScheme, type VersionScheme } from '../versioning/index.ts';
import { schemeForEcosystem } from './schemes.ts';

/**
 * OSV range evaluation, as the OSV schema's "Evaluation" section gives it (IsVulnerable,
 * IncludedInVersions, IncludedInRanges, BeforeLimits). An affected entry is compiled once
 * (events validated and sorted in the range's ordering) and then evaluated against any number of
 * installed versions.
 */

/** the problem recorded for a GIT range; the matcher reports these once, summed up */
export const GIT_IGNORED = 'GIT range ignored (needs the commit graph)';

type EventKind = 'introduced' | 'last_affected' | 'fixed';

interface SortedEvent {
  readonly kind: EventKind;
  readonly version: string;
  /** `introduced: "0"`: sorts before every version ("Special values") */
  readonly zero: boolean;
}

export interface CompiledRange {
  readonly scheme: VersionScheme;
  /** sorted per the scheme; at equal versions introduced < last_affected < fixed (see kindOrder) */
  readonly events: readonly SortedEvent[];
  /** `limit` versions other than "*" */
  readonly limits: readonly string[];
  /** no `limit` event (the implicit "*") or a "*" limit: BeforeLimits is always true */
  readonly unbounded: boolean;
}

export interface CompiledAffected {
  readonly ranges: readonly CompiledRange[];
  /** the explicit `versions` list */
  readonly versions: ReadonlySet<string>;
  /** the scheme of the entry's ecosystem, to compare `versions` entries; undefined when unknown */
  readonly scheme: VersionScheme | undefined;
  /** why parts of the entry could not be used (GIT ranges, unknown types, invalid event versions) */
  readonly problems: readonly string[];
}

/**
 * At equal versions the schema's loop lets the last event win. Sorting `fixed` after `introduced`
 * makes a version equal to a `fixed` never affected, and makes the answer independent of the order
 * of events in the record (the schema only recommends that events be sorted).
 */
const kindOrder: Record<EventKind, number> = { introduced: 0, last_affected: 1, fixed: 2 };

/** record text in a note, bounded: records are untrusted input */
function shown(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

function compileRange(range: OsvRange, ecosystem: string, problems: string[]): CompiledRange | undefined {
  // "affected[].ranges[].type": SEMVER is SemVer 2.0 precedence whatever the ecosystem; ECOSYSTEM is
  // the ecosystem's own order; GIT needs the repository's commit graph, which Vigil does not have.
  let schemeId: string | undefined;
  if (range.type === 'SEMVER') schemeId = 'semver';
  else if (range.type === 'ECOSYSTEM') schemeId = schemeForEcosystem(ecosystem);
  else if (range.type === 'GIT') {
    problems.push(GIT_IGNORED);
    return undefined;
  } else {
    problems.push(`unknown range type ${shown(JSON.stringify(range.type))} ignored`);
    return undefined;
  }
  if (schemeId === undefined) {
    problems.push(`no version ordering for ecosystem ${JSON.stringify(ecosystem)}; ECOSYSTEM range ignored`);
    return undefined;
  }
  const scheme = getScheme(schemeId);
  const events: SortedEvent[] = [];
  const limits: string[] = [];
  let limitEvents = 0;
  let starLimit = false;
  for (const event of range.events) {
    // "Requirements": exactly one of introduced/fixed/last_affected/limit per event object
    const kinds = (['introduced', 'fixed', 'last_affected', 'limit'] as const).filter((k) => event[k] !== undefined);
    if (kinds.length !== 1) {
      problems.push(`range event with ${kinds.length} versions ignored (${shown(JSON.stringify(event))})`);
      return undefined;
    }
    const kind = kinds[0] as 'introduced' | 'fixed' | 'last_affected' | 'limit';
    const version = event[kind] as string;
    if (kind === 'limit') {
      limitEvents++;
      if (version.includes('*')) {
        starLimit = true;
        continue;
      }
      if (!scheme.isValid(version)) {
        problems.push(`invalid ${scheme.id} version ${shown(JSON.stringify(version))} in limit; range ignored`);
        return undefined;
      }
      limits.push(version);
      continue;
    }
    const zero = kind === 'introduced' && version === '0';
    if (!zero && !scheme.isValid(version)) {
      problems.push(`invalid ${scheme.id} version ${shown(JSON.stringify(version))} in ${kind}; range ignored`);
      return undefined;
    }
    events.push({ kind, version, zero });
  }
  if (!events.some((e) => e.kind === 'introduced')) {
    problems.push('range without an introduced event ignored');
    return undefined;
  }
  events.sort((a, b) => {
    if (a.zero !== b.zero) return a.zero ? -1 : 1;
    const byVersion = a.zero ? 0 : scheme.compare(a.version, b.version);
    return byVersion !== 0 ? byVersion : kindOrder[a.kind] - kindOrder[b.kind];
  });
  return { scheme, events, limits, unbounded: limitEvents === 0 || starLimit };
}

export function compileAffected(affected: OsvAffected): CompiledAffected {
  const ecosystem = affected.package?.ecosystem ?? '';
  const problems: string[] = [];
  const ranges: CompiledRange[] = [];
  for (const range of affected.ranges ?? []) {
    const compiled = compileRange(range, ecosystem, problems);
    if (compiled !== undefined) ranges.push(compiled);
  }
  const schemeId = schemeForEcosystem(ecosystem);
  return {
    ranges,
    versions: new Set(affected.versions ?? []),
    scheme: schemeId === undefined ? undefined : getScheme(schemeId),
    problems,
  };
}

/** BeforeLimits: v is below some limit; no limit events means the implicit "*" */
function beforeLimits(v: string, range: CompiledRange): boolean {
  return range.unbounded || range.limits.some((limit) => range.scheme.compare(v, limit) < 0);
}

const OPEN: RangeHit = Object.freeze({});

export interface RangeHit {
  /** the `fixed` that closes the interval holding v, when the range has one */
  readonly fixed?: string;
}

/**
 * IncludedInRanges for one range: walk the sorted events; the last one at or below v decides.
 * Returns undefined when v is not affected.
 */
function includedInRange(v: string, range: CompiledRange): RangeHit | undefined {
  if (!beforeLimits(v, range)) return undefined;
  const { scheme, events } = range;
  let vulnerable = false;
  let closing: string | undefined;
  for (const event of events) {
    if (event.kind === 'introduced') {
      if (event.zero || scheme.compare(v, event.version) >= 0) vulnerable = true;
    } else if (event.kind === 'fixed') {
      const order = scheme.compare(v, event.version);
      if (order >= 0) vulnerable = false;
      else if (vulnerable && closing === undefined) closing = event.version;
    } else if (scheme.compare(v, event.version) > 0) {
      vulnerable = false;
    }
    // once v is below an event's version, later events (sorted) can only be below-v introduced
    // events, which change nothing, or fixed events, of which the first is the closing one
    if (closing !== undefined) break;
  }
  if (!vulnerable) return undefined;
  return closing === undefined ? OPEN : { fixed: closing };
}

export interface AffectedResult {
  readonly affected: boolean;
  /** `fixed` versions of the ranges that contain v */
  readonly fixed: readonly string[];
  /** schemes of ranges that could not be evaluated because v is not a valid version in them */
  readonly unorderable: readonly string[];
}

/**
 * IsVulnerable for one affected entry: v lies within any range or is listed in `versions`. Ranges
 * first: they decide most entries, and the `versions` list is then only a fallback.
 */
export function evaluateAffected(v: string, compiled: CompiledAffected): AffectedResult {
  let fixed: string[] | undefined;
  let unorderable: string[] | undefined;
  let affected = false;
  for (const range of compiled.ranges) {
    if (!range.scheme.isValid(v)) {
      unorderable ??= [];
      if (!unorderable.includes(range.scheme.id)) unorderable.push(range.scheme.id);
      continue;
    }
    const rangeHit = includedInRange(v, range);
    if (rangeHit === undefined) continue;
    affected = true;
    if (rangeHit.fixed === undefined) continue;
    fixed ??= [];
    if (!fixed.includes(rangeHit.fixed)) fixed.push(rangeHit.fixed);
  }
  if (!affected) affected = includedInVersions(v, compiled);
  if (!affected && unorderable === undefined) return NOT_AFFECTED;
  return { affected, fixed: fixed ?? [], unorderable: unorderable ?? [] };
}

const NOT_AFFECTED: AffectedResult = Object.freeze({ affected: false, fixed: [], unorderable: [] });

/**
 * IncludedInVersions: the schema compares strings. Where the entry has no range Vigil can evaluate
 * (GIT-only entries, explicit lists), equal versions spelled differently ("1.0" and "1.0.0" in
 * PEP 440, an explicit "0:" epoch) also count when the scheme orders both; where ranges exist the
 * list is their expansion (schema "affected[].versions") and the ranges have already answered.
 */
function includedInVersions(v: string, compiled: CompiledAffected): boolean {
  if (compiled.versions.size === 0) return false;
  if (compiled.versions.has(v)) return true;
  const scheme = compiled.scheme;
  if (compiled.ranges.length > 0 || scheme === undefined || !scheme.isValid(v)) return false;
  for (const listed of compiled.versions) {
    if (scheme.isValid(listed) && scheme.compare(v, listed) === 0) return true;
  }
  return false;
}
