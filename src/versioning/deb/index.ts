import { compareDigitRuns, compareDigits, isPrintableAscii } from '../digits.ts';
import { ParseCache } from '../parse-cache.ts';
import { invalidVersion, MAX_VERSION_LENGTH, type Ordering, type VersionScheme } from '../types.ts';

/**
 * Debian package versions, [epoch:]upstream[-revision] (Debian Policy 5.6.12), ordered as dpkg's
 * lib/dpkg/version.c does: epochs numerically, then upstream and revision each with verrevcmp.
 *
 * Validity follows dpkg's parseversion(): the conditions dpkg treats as errors are errors here;
 * the ones it only warns about (upstream not starting with a digit, printable ASCII outside the
 * Policy alphabet) still order, as `dpkg --compare-versions` orders them. Whitespace, control and
 * non-ASCII characters, which no Debian archive accepts, are rejected.
 */
export interface DebVersion {
  readonly epoch: string;
  readonly upstream: string;
  readonly revision: string;
}

const INT_MAX = '2147483647';

function parseDeb(v: string): DebVersion | string {
  if (v.length === 0) return 'empty';
  if (v.length > MAX_VERSION_LENGTH) return `longer than ${MAX_VERSION_LENGTH}`;
  if (!isPrintableAscii(v)) return 'contains whitespace, control or non-ASCII characters';
  let epoch = '0';
  let rest = v;
  const colon = v.indexOf(':');
  if (colon >= 0) {
    epoch = v.slice(0, colon);
    if (epoch.length === 0) return 'epoch is empty';
    if (!/^[0-9]+$/.test(epoch)) return 'epoch is not a number';
    if (compareDigits(epoch, INT_MAX) > 0) return 'epoch is too big';
    rest = v.slice(colon + 1);
    if (rest.length === 0) return 'nothing after the epoch colon';
  }
  let upstream = rest;
  let revision = '';
  const hyphen = rest.lastIndexOf('-');
  if (hyphen >= 0) {
    upstream = rest.slice(0, hyphen);
    revision = rest.slice(hyphen + 1);
    if (revision.length === 0) return 'revision is empty';
  }
  if (upstream.length === 0) return 'upstream version is empty';
  return { epoch, upstream, revision };
}

/** dpkg order(): digits 0, letters their code, '~' before everything (even the end), others after letters */
function order(s: string, i: number): number {
  if (i >= s.length) return 0;
  const c = s.charCodeAt(i);
  if (c >= 48 && c <= 57) return 0;
  if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) return c;
  if (c === 126) return -1;
  return c + 256;
}

function isDigitAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57;
}

/** dpkg verrevcmp(): alternating non-digit runs (by order()) and digit runs (numerically). */
export function verrevcmp(a: string, b: string): Ordering {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigitAt(a, i)) || (j < b.length && !isDigitAt(b, j))) {
      const ac = order(a, i);
      const bc = order(b, j);
      if (ac !== bc) return ac < bc ? -1 : 1;
      i++;
      j++;
    }
    const startA = i;
    const startB = j;
    while (i < a.length && isDigitAt(a, i)) i++;
    while (j < b.length && isDigitAt(b, j)) j++;
    const byValue = compareDigitRuns(a, startA, i, b, startB, j);
    if (byValue !== 0) return byValue;
  }
  return 0;
}

/** epoch (0 when absent), upstream version and revision ("" when absent); throws VIGIL_VERSION_INVALID */
export function parseDebVersion(v: string): DebVersion {
  const p = parseDeb(v);
  if (typeof p === 'string') throw invalidVersion('deb', v, p);
  return p;
}

/** each distinct string is validated and parsed once while cached */
const cache = new ParseCache<DebVersion>();

export const deb = {
  id: 'deb',
  isValid(v: string): boolean {
    return typeof parseDeb(v) !== 'string';
  },
  compare(a: string, b: string): Ordering {
    const va = cache.get(a, parseDebVersion);
    const vb = cache.get(b, parseDebVersion);
    return (
      compareDigits(va.epoch, vb.epoch) || verrevcmp(va.upstream, vb.upstream) || verrevcmp(va.revision, vb.revision)
    );
  },
} as const satisfies VersionScheme;
