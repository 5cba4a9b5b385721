import { compareDigits, compareText } from '../digits.ts';
import { ParseCache } from '../parse-cache.ts';
import { invalidVersion, MAX_VERSION_LENGTH, type Ordering, type VersionScheme } from '../types.ts';

/**
 * RubyGems versions, ordered as Gem::Version#<=> (rubygems lib/rubygems/version.rb): "-" introduces
 * a prerelease (".pre."); segments are runs of digits or of letters; trailing zero segments of the
 * release part and of the prerelease part are dropped (canonical_segments); then segment by segment,
 * missing ones as 0, numbers numerically, strings bytewise, and a string below a number.
 *
 * Gem::Version requires a "." before letters; "1beta" is accepted here as OSV's reading does
 * (osv-scalibr semantic/version-rubygems.go, ../testdata/rubygems-versions.txt).
 */
type Segment = string;

const GEM = /^[0-9][0-9A-Za-z]*(?:\.[0-9A-Za-z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;
const SEGMENT = /[0-9]+|[a-z]+/gi;

function isNumber(s: Segment): boolean {
  const c = s.charCodeAt(0);
  return c >= 48 && c <= 57;
}

function isZero(s: Segment): boolean {
  return /^0+$/.test(s);
}

function dropTrailingZeros(segments: Segment[]): Segment[] {
  let end = segments.length;
  while (end > 0 && isZero(segments[end - 1] as Segment)) end--;
  return segments.slice(0, end);
}

function canonicalSegments(v: string): readonly Segment[] {
  const segments = v.replaceAll('-', '.pre.').match(SEGMENT) ?? [];
  const firstString = segments.findIndex((s) => !isNumber(s));
  const split = firstString < 0 ? segments.length : firstString;
  return [...dropTrailingZeros(segments.slice(0, split)), ...dropTrailingZeros(segments.slice(split))];
}

function problem(v: string): string | undefined {
  if (v.length === 0) return 'empty';
  if (v.length > MAX_VERSION_LENGTH) return `longer than ${MAX_VERSION_LENGTH}`;
  if (!GEM.test(v)) return 'not a gem version N[.segment]...[-prerelease]';
  return undefined;
}

const cache = new ParseCache<readonly Segment[]>();

function parseValid(v: string): readonly Segment[] {
  const reason = problem(v);
  if (reason !== undefined) throw invalidVersion('rubygems', v, reason);
  return canonicalSegments(v);
}

/** each distinct string is validated and parsed once while cached */
function parsed(v: string): readonly Segment[] {
  return cache.get(v, parseValid);
}

export const rubygems = {
  id: 'rubygems',
  isValid(v: string): boolean {
    return problem(v) === undefined;
  },
  compare(a: string, b: string): Ordering {
    const sa = parsed(a);
    const sb = parsed(b);
    const n = Math.max(sa.length, sb.length);
    for (let i = 0; i < n; i++) {
      const x = sa[i] ?? '0';
      const y = sb[i] ?? '0';
      if (x === y) continue;
      const xNum = isNumber(x);
      const yNum = isNumber(y);
      if (xNum !== yNum) return xNum ? 1 : -1;
      const d = xNum ? compareDigits(x, y) : compareText(x, y);
      if (d !== 0) return d;
    }
    return 0;
  },
} as const satisfies VersionScheme;
