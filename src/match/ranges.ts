import type { OsvAffected, OsvEvent, OsvRange } from '../core/osv.ts';
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
  /**
   * the explicit `versions` list; a list, not a Set: it is searched once per installed version,
   * mostly only when the ranges did not already say affected, and PyPI lists run to hundreds
   */
  readonly versions: readonly string[];
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
  // Indexed loops, no array per event: this runs for every entry of a first match in a process,
  // before V8 optimises it, when each for-of step and each temporary array is an allocation.
  const list = range.events;
  let introduced = false;
  for (let e = 0; e < list.length; e++) {
    const event = list[e] as OsvEvent;
    // "Requirements": exactly one of introduced/fixed/last_affected/limit per event object
    let kinds = 0;
    let kind: EventKind | 'limit' = 'introduced';
    for (let k = 0; k < EVENT_KINDS.length; k++) {
      const candidate = EVENT_KINDS[k] as EventKind | 'limit';
      if (event[candidate] === undefined) continue;
      if (kinds++ === 0) kind = candidate;
    }
    if (kinds !== 1) {
      problems.push(`range event with ${kinds} versions ignored (${shown(JSON.stringify(event))})`);
      return undefined;
    }
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
    if (kind === 'introduced') introduced = true;
    events.push({ kind, version, zero });
  }
  if (!introduced) {
    problems.push('range without an introduced event ignored');
    return undefined;
  }
  sortEvents(events, scheme);
  return { scheme, events, limits: limits.length === 0 ? NONE : limits, unbounded: limitEvents === 0 || starLimit };
}

const EVENT_KINDS = ['introduced', 'fixed', 'last_affected', 'limit'] as const;

/** shared by every compiled entry without limits or problems: they are kept for the reader's life */
const NONE: readonly string[] = Object.freeze([]);

function eventOrder(a: SortedEvent, b: SortedEvent, scheme: VersionScheme): number {
  if (a.zero !== b.zero) return a.zero ? -1 : 1;
  const byVersion = a.zero ? 0 : scheme.compare(a.version, b.version);
  return byVersion !== 0 ? byVersion : kindOrder[a.kind] - kindOrder[b.kind];
}

/**
 * A stable insertion sort: ranges hold a handful of events, often already in order, and
 * Array.prototype.sort allocates a work array per call.
 */
function sortEvents(events: SortedEvent[], scheme: VersionScheme): void {
  for (let i = 1; i < events.length; i++) {
    const event = events[i] as SortedEvent;
    let j = i - 1;
    while (j >= 0 && eventOrder(events[j] as SortedEvent, event, scheme) > 0) {
      events[j + 1] = events[j] as SortedEvent;
      j--;
    }
    events[j + 1] = event;
  }
}

export function compileAffected(affected: OsvAffected): CompiledAffected {
  const ecosystem = affected.package?.ecosystem ?? '';
  const problems: string[] = [];
  const ranges: CompiledRange[] = [];
  const list = affected.ranges ?? [];
  for (let r = 0; r < list.length; r++) {
    const compiled = compileRange(list[r] as OsvRange, ecosystem, problems);
    if (compiled !== undefined) ranges.push(compiled);
  }
  const schemeId = schemeForEcosystem(ecosystem);
  return {
    ranges,
    versions: affected.versions ?? [],
    scheme: schemeId === undefined ? undefined : getScheme(schemeId),
    problems: problems.length === 0 ? NONE : problems,
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
  for (let e = 0; e < events.length; e++) {
    const event = events[e] as SortedEvent;
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
  const ranges = compiled.ranges;
  for (let r = 0; r < ranges.length; r++) {
    const range = ranges[r] as CompiledRange;
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
  const versions = compiled.versions;
  if (versions.length === 0) return false;
  if (versions.includes(v)) return true;
  const scheme = compiled.scheme;
  if (compiled.ranges.length > 0 || scheme === undefined || !scheme.isValid(v)) return false;
  for (let i = 0; i < versions.length; i++) {
    const listed = versions[i] as string;
    if (scheme.isValid(listed) && scheme.compare(v, listed) === 0) return true;
  }
  return false;
}
