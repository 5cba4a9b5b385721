import type { OsvRecord } from '../../../core/osv.ts';

/**
 * The minimal shape of an OSV record (https://ossf.github.io/osv-schema/) that the store and the
 * matcher rely on: `id` and `modified` are required by the schema; `affected[].package` names what
 * the index is built from; ranges carry `type` and `events`. Everything else passes through.
 *
 * Checked by hand rather than with a schema library: this runs once per record of every import
 * (hundreds of thousands), where zod cost as much as the JSON parse itself. Reasons keep zod's
 * wording ("affected.0.package.name: Invalid input: expected string, received number"), for the
 * first problem in the order the fields are listed here. Paths are only built for a problem, so a
 * valid record allocates nothing.
 */
export type ParsedOsvRecord = { ok: true; record: OsvRecord } | { ok: false; reason: string };

/** Parses one `<ID>.json` entry; the record returned is the JSON as written, not a copy. */
export function parseOsvRecord(text: string): ParsedOsvRecord {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `invalid JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  const problem = checkRecord(json);
  if (problem !== undefined) {
    const where = problem.path.length > 0 ? problem.path.join('.') : 'record';
    return { ok: false, reason: `not an OSV record: ${where}: ${problem.message}` };
  }
  return { ok: true, record: json as OsvRecord };
}

interface Problem {
  /** filled in from the innermost field outwards as the check unwinds */
  readonly path: Array<string | number>;
  readonly message: string;
}

type Check = (value: unknown) => Problem | undefined;
type Fields = Record<string, unknown>;

const string: Check = (value) => (typeof value === 'string' ? undefined : mismatch('string', value));
const optionalString: Check = (value) => (value === undefined ? undefined : string(value));
const nonEmptyString =
  (maxLength = Number.POSITIVE_INFINITY): Check =>
  (value) => {
    if (typeof value !== 'string') return mismatch('string', value);
    if (value.length < 1) return { path: [], message: 'Too small: expected string to have >=1 characters' };
    if (value.length > maxLength) {
      return { path: [], message: `Too big: expected string to have <=${maxLength} characters` };
    }
    return undefined;
  };
const rfc3339: Check = (value) =>
  string(value) ??
  (Number.isNaN(Date.parse(value as string)) ? { path: [], message: 'is not an RFC 3339 time' } : undefined);
const optional =
  (check: Check): Check =>
  (value) =>
    value === undefined ? undefined : check(value);

function arrayOf(item: Check): Check {
  return (value) => {
    if (!Array.isArray(value)) return mismatch('array', value);
    for (let i = 0; i < value.length; i++) {
      const problem = item(value[i]);
      if (problem !== undefined) return within(i, problem);
    }
    return undefined;
  };
}

/** An object whose listed fields pass their checks; other fields pass through unchecked. */
function objectOf(fields: Record<string, Check>): Check {
  const entries = Object.entries(fields);
  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return mismatch('object', value);
    for (const [key, check] of entries) {
      const problem = check((value as Fields)[key]);
      if (problem !== undefined) return within(key, problem);
    }
    return undefined;
  };
}

const event = objectOf({
  introduced: optionalString,
  fixed: optionalString,
  last_affected: optionalString,
  limit: optionalString,
});

const affected = objectOf({
  package: optional(objectOf({ ecosystem: nonEmptyString(), name: nonEmptyString(), purl: optionalString })),
  ranges: optional(arrayOf(objectOf({ type: nonEmptyString(), events: arrayOf(event) }))),
  versions: optional(arrayOf(string)),
});

const checkRecord = objectOf({
  id: nonEmptyString(256),
  modified: rfc3339,
  withdrawn: optionalString,
  aliases: optional(arrayOf(string)),
  affected: optional(arrayOf(affected)),
});

function within(key: string | number, problem: Problem): Problem {
  problem.path.unshift(key);
  return problem;
}

function mismatch(type: string, value: unknown): Problem {
  const received = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  return { path: [], message: `Invalid input: expected ${type}, received ${received}` };
}
