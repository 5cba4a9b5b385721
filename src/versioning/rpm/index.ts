import { compareDigitRuns, compareDigits, compareTextRuns } from '../digits.ts';
import { ParseCache } from '../parse-cache.ts';
import { invalidVersion, MAX_VERSION_LENGTH, type Ordering, type VersionScheme } from '../types.ts';

/**
 * RPM labels, [epoch:]version[-release], ordered like rpm's python labelCompare(): epoch numerically
 * with a missing epoch as 0, then version and release with rpmvercmp (rpmio/rpmvercmp.c). A label
 * without a release sorts before the same version with any release, as labelCompare orders None.
 */
interface RpmLabel {
  readonly epoch: string;
  readonly version: string;
  readonly release: string | undefined;
}

/** whitespace or control characters: rpm never produces them and they cannot be told apart in reports */
const UNPRINTABLE = /[\s\p{Cc}]/u;

/**
 * rpm's parseEVR (lib/rpmver.c): leading digits followed by ":" are the epoch (":" alone is epoch
 * 0); a string whose text before ":" is not all digits has no epoch and keeps the ":" in its
 * version, where rpmvercmp treats it as a separator; the release follows the last "-".
 */
function parseLabel(v: string): RpmLabel | string {
  if (v.length === 0) return 'empty';
  if (v.length > MAX_VERSION_LENGTH) return `longer than ${MAX_VERSION_LENGTH}`;
  if (UNPRINTABLE.test(v)) return 'contains whitespace or control characters';
  let digits = 0;
  while (digits < v.length && isDigit(v.charCodeAt(digits))) digits++;
  let epoch = '0';
  let rest = v;
  if (v.charCodeAt(digits) === 58) {
    if (digits > 0) epoch = v.slice(0, digits);
    rest = v.slice(digits + 1);
  }
  const hyphen = rest.lastIndexOf('-');
  const version = hyphen >= 0 ? rest.slice(0, hyphen) : rest;
  if (version.length === 0) return 'version is empty';
  return { epoch, version, release: hyphen >= 0 ? rest.slice(hyphen + 1) : undefined };
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

// character classes of rpmvercmp: everything but ASCII letters, digits, "~" and "^" separates
const SEPARATOR = 0;
const DIGIT = 1;
const ALPHA = 2;
const TILDE = 3;
const CARET = 4;
const END = 5;
const CLASS = new Uint8Array(128);
for (let c = 48; c <= 57; c++) CLASS[c] = DIGIT;
for (let c = 65; c <= 90; c++) CLASS[c] = ALPHA;
for (let c = 97; c <= 122; c++) CLASS[c] = ALPHA;
CLASS[126] = TILDE;
CLASS[94] = CARET;

function classAt(s: string, i: number): number {
  if (i >= s.length) return END;
  const c = s.charCodeAt(i);
  return c < 128 ? (CLASS[c] as number) : SEPARATOR;
}

/**
 * rpmvercmp(): segments of digits or letters, anything else separates; "~" sorts before everything
 * (even the end of the string), "^" after the end but before any further segment; numeric segments
 * are newer than alphabetic ones.
 */
export function rpmvercmp(a: string, b: string): Ordering {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  for (;;) {
    let ka = classAt(a, i);
    let kb = classAt(b, j);
    while (ka === SEPARATOR) ka = classAt(a, ++i);
    while (kb === SEPARATOR) kb = classAt(b, ++j);
    if (ka === TILDE || kb === TILDE) {
      if (ka !== TILDE) return 1;
      if (kb !== TILDE) return -1;
      i++;
      j++;
      continue;
    }
    if (ka === CARET || kb === CARET) {
      if (ka === END) return -1;
      if (kb === END) return 1;
      if (ka !== CARET) return 1;
      if (kb !== CARET) return -1;
      i++;
      j++;
      continue;
    }
    if (ka === END || kb === END) return ka === kb ? 0 : ka === END ? -1 : 1;
    const startA = i;
    const startB = j;
    while (classAt(a, i) === ka) i++;
    while (classAt(b, j) === ka) j++;
    // a numeric segment is newer than an alphabetic one
    if (startB === j) return ka === DIGIT ? 1 : -1;
    const rc =
      ka === DIGIT ? compareDigitRuns(a, startA, i, b, startB, j) : compareTextRuns(a, startA, i, b, startB, j);
    if (rc !== 0) return rc;
  }
}

function parseValid(v: string): RpmLabel {
  const p = parseLabel(v);
  if (typeof p === 'string') throw invalidVersion('rpm', v, p);
  return p;
}

const cache = new ParseCache<RpmLabel>();

/** each distinct string is validated and parsed once while cached */
function parsed(v: string): RpmLabel {
  return cache.get(v, parseValid);
}

function compareRelease(a: string | undefined, b: string | undefined): Ordering {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  return rpmvercmp(a, b);
}

export const rpm = {
  id: 'rpm',
  isValid(v: string): boolean {
    return typeof parseLabel(v) !== 'string';
  },
  compare(a: string, b: string): Ordering {
    const la = parsed(a);
    const lb = parsed(b);
    return (
      compareDigits(la.epoch, lb.epoch) || rpmvercmp(la.version, lb.version) || compareRelease(la.release, lb.release)
    );
  },
} as const satisfies VersionScheme;
