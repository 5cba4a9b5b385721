import {
  detailsSummary,
  type OsvAffected,
  type OsvAffectedEntry,
  type OsvRecord,
  type OsvRecordHead,
  type OsvSeverity,
} from '../core/osv.ts';

/**
 * What the store keeps of a record for the matcher (`VulnDbReader.advisoriesFor`): the record's
 * head once per record, and per (package, record) the affected entries naming that package, each
 * cut to the fields matching and findings read (src/match: ranges.ts, match-package.ts,
 * severity.ts, finding.ts, dedupe.ts). A dense match then parses a tenth of the bytes of the whole
 * records, which stay stored for `recordsFor`. Whatever a finding shows comes out the same: the
 * differential test in advisory-form.test.ts matches through both.
 */

/** `affected[].ecosystem_specific` / `database_specific` keys the matcher reads (wontFix, ecosystemRating) */
const EXTRA_KEYS = ['wont_fix', 'status', 'fix_state', 'urgency'] as const;

/**
 * The head of a record. Fields of the wrong type (the import checks only those it indexes) are left
 * out. Built by assignment, in the order the JSON is written: this runs on the import's parse
 * thread for most language records.
 */
export function recordHead(record: OsvRecord): OsvRecordHead {
  const head: Record<string, unknown> = { id: record.id, modified: record.modified };
  if (typeof record.published === 'string') head.published = record.published;
  if (record.aliases !== undefined && record.aliases.length > 0) head.aliases = record.aliases;
  if (Array.isArray(record.upstream)) {
    const upstream = record.upstream.filter(isString);
    if (upstream.length > 0) head.upstream = upstream;
  }
  const summary = typeof record.summary === 'string' ? record.summary : undefined;
  if (summary !== undefined) head.summary = summary;
  // a finding shows the start of `details` only when none of its records has a summary
  if ((summary === undefined || summary.trim() === '') && typeof record.details === 'string') {
    const details = detailsSummary(record.details);
    if (details !== '') head.details = details;
  }
  const severity = severities(record.severity);
  if (severity !== undefined) head.severity = severity;
  const rating = record.database_specific?.severity;
  if (typeof rating === 'string') head.database_specific = { severity: rating };
  if (Array.isArray(record.references)) {
    const references: Array<{ type?: string; url: string }> = [];
    for (const ref of record.references as unknown[]) {
      if (!isObject(ref) || typeof ref.url !== 'string') continue;
      references.push(typeof ref.type === 'string' ? { type: ref.type, url: ref.url } : { url: ref.url });
    }
    if (references.length > 0) head.references = references;
  }
  return head as unknown as OsvRecordHead;
}

/** An affected entry cut to what matching reads; `package` is present (the caller indexes by it). */
export function matchingAffected(affected: OsvAffected): OsvAffected {
  const pkg = affected.package as { ecosystem: string; name: string };
  const kept: Record<string, unknown> = { package: { ecosystem: pkg.ecosystem, name: pkg.name } };
  const severity = severities(affected.severity);
  if (severity !== undefined) kept.severity = severity;
  const ranges = affected.ranges;
  if (ranges !== undefined) {
    const cut: Array<{ type: string; events: unknown }> = [];
    for (let r = 0; r < ranges.length; r++) {
      const range = ranges[r] as (typeof ranges)[number];
      cut.push({ type: range.type, events: range.events });
    }
    kept.ranges = cut;
  }
  if (affected.versions !== undefined) kept.versions = affected.versions;
  const ecosystemSpecific = extras(affected.ecosystem_specific);
  if (ecosystemSpecific !== undefined) kept.ecosystem_specific = ecosystemSpecific;
  const databaseSpecific = extras(affected.database_specific);
  if (databaseSpecific !== undefined) kept.database_specific = databaseSpecific;
  return kept as unknown as OsvAffected;
}

function severities(list: unknown): OsvSeverity[] | undefined {
  if (!Array.isArray(list)) return undefined;
  const kept: OsvSeverity[] = [];
  for (const s of list) {
    if (isObject(s) && typeof s.type === 'string' && typeof s.score === 'string')
      kept.push({ type: s.type, score: s.score });
  }
  return kept.length > 0 ? kept : undefined;
}

/** the keys the matcher reads, with their values as published, whatever their type */
function extras(extra: unknown): Record<string, unknown> | undefined {
  if (!isObject(extra)) return undefined;
  let kept: Record<string, unknown> | undefined;
  for (const key of EXTRA_KEYS) {
    if (extra[key] === undefined) continue;
    kept ??= {};
    kept[key] = extra[key];
  }
  return kept;
}

/** A stored head or entry list that is not what the store writes: the file was damaged or edited. */
export class AdvisoryFormError extends Error {}

/*
 * The checks below run for every row of a first match in a process, before V8 optimises them:
 * indexed loops, as each for-of step there allocates.
 */

/** A stored head, parsed and checked to be the shape `recordHead` writes. */
export function readHead(text: string): OsvRecordHead {
  const head = parse(text);
  if (!isObject(head)) throw new AdvisoryFormError('head is not an object');
  if (typeof head.id !== 'string' || typeof head.modified !== 'string') {
    throw new AdvisoryFormError('head has no string id and modified');
  }
  optionalString(head.published, 'published');
  optionalString(head.summary, 'summary');
  optionalString(head.details, 'details');
  optionalStrings(head.aliases, 'aliases');
  optionalStrings(head.upstream, 'upstream');
  optionalSeverity(head.severity, 'severity');
  if (head.database_specific !== undefined && !isObject(head.database_specific)) {
    throw new AdvisoryFormError('database_specific is not an object');
  }
  const references = head.references;
  if (references !== undefined) {
    if (!Array.isArray(references)) throw new AdvisoryFormError('references is not an array');
    for (let r = 0; r < references.length; r++) {
      const ref = references[r];
      if (!isObject(ref) || typeof ref.url !== 'string') throw new AdvisoryFormError('a reference has no string url');
    }
  }
  return head as unknown as OsvRecordHead;
}

/** A stored entry list, parsed and checked to be the shape `matchingAffected` writes. */
export function readEntries(text: string): OsvAffectedEntry[] {
  const entries = parse(text);
  if (!Array.isArray(entries) || entries.length === 0) throw new AdvisoryFormError('entries is not a non-empty array');
  for (let e = 0; e < entries.length; e++) {
    const entry = entries[e];
    if (!isObject(entry) || !Number.isSafeInteger(entry.index) || (entry.index as number) < 0) {
      throw new AdvisoryFormError('an entry has no index');
    }
    checkAffected(entry.affected);
  }
  return entries as OsvAffectedEntry[];
}

function checkAffected(affected: unknown): void {
  if (!isObject(affected)) throw new AdvisoryFormError('an entry has no affected object');
  const pkg = affected.package;
  if (!isObject(pkg) || typeof pkg.ecosystem !== 'string' || typeof pkg.name !== 'string') {
    throw new AdvisoryFormError('an affected entry has no package ecosystem and name');
  }
  optionalSeverity(affected.severity, 'affected severity');
  optionalStrings(affected.versions, 'versions');
  if (affected.ecosystem_specific !== undefined && !isObject(affected.ecosystem_specific)) {
    throw new AdvisoryFormError('ecosystem_specific is not an object');
  }
  if (affected.database_specific !== undefined && !isObject(affected.database_specific)) {
    throw new AdvisoryFormError('database_specific is not an object');
  }
  const ranges = affected.ranges;
  if (ranges === undefined) return;
  if (!Array.isArray(ranges)) throw new AdvisoryFormError('ranges is not an array');
  for (let r = 0; r < ranges.length; r++) {
    const range = ranges[r];
    if (!isObject(range) || typeof range.type !== 'string' || !Array.isArray(range.events)) {
      throw new AdvisoryFormError('a range has no type and events');
    }
    const events = range.events;
    for (let e = 0; e < events.length; e++) {
      const event = events[e];
      if (
        !isObject(event) ||
        !isOptionalString(event.introduced) ||
        !isOptionalString(event.fixed) ||
        !isOptionalString(event.last_affected) ||
        !isOptionalString(event.limit)
      ) {
        throw new AdvisoryFormError('a range event is not an object of version strings');
      }
    }
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new AdvisoryFormError(`invalid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function optionalString(value: unknown, field: string): void {
  if (!isOptionalString(value)) throw new AdvisoryFormError(`${field} is not a string`);
}

function optionalStrings(value: unknown, field: string): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) throw new AdvisoryFormError(`${field} is not a list of strings`);
  for (let i = 0; i < value.length; i++) {
    if (typeof value[i] !== 'string') throw new AdvisoryFormError(`${field} is not a list of strings`);
  }
}

function optionalSeverity(value: unknown, field: string): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) throw new AdvisoryFormError(`${field} is not an array`);
  for (let i = 0; i < value.length; i++) {
    const s = value[i];
    if (!isObject(s) || typeof s.type !== 'string' || typeof s.score !== 'string') {
      throw new AdvisoryFormError(`${field} holds an entry without string type and score`);
    }
  }
}

function isOptionalString(value: unknown): boolean {
  return value === undefined || typeof value === 'string';
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
