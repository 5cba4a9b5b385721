import { compareDigits, isAllDigits, isPrintableAscii } from '../digits.ts';
import { ParseCache } from '../parse-cache.ts';
import { invalidVersion, MAX_VERSION_LENGTH, type Ordering, type VersionScheme } from '../types.ts';

/**
 * Composer (Packagist) versions, ordered as PHP's version_compare() after composer's normalisation
 * drops a leading "v", which is how OSV reads the Packagist ecosystem (osv-scalibr
 * semantic/version-packagist.go, pinned by ../testdata/packagist-versions*.txt):
 * "-", "_" and "+" become ".", and "." is inserted at every digit/non-digit boundary; numbers compare
 * numerically; words by stability: dev (and any unknown word) < alpha/a < beta/b < RC/rc < number
 * ("#") < pl/p. A longer version wins when its next part is a number; otherwise its next word
 * faces a number. So "dev-foo" branches sort below every release, as composer/semver orders them.
 */
const SPECIALS = ['dev', 'a', 'b', 'rc', '#', 'p'];
const NUMBER_WEIGHT = 4;

function canonicalParts(v: string): readonly string[] {
  let s = v;
  if (s.startsWith('v')) s = s.slice(1);
  if (s.startsWith('V')) s = s.slice(1);
  return s
    .replace(/[-_+]/g, '.')
    .replace(/([^\d.])(\d)/g, '$1.$2')
    .replace(/(\d)([^\d.])/g, '$1.$2')
    .split('.');
}

/** PHP version_compare's special forms, matched by prefix as php_version_compare() does */
function weight(part: string): number {
  if (part.startsWith('RC')) return 3;
  for (let i = 0; i < SPECIALS.length; i++) if (part.startsWith(SPECIALS[i] as string)) return i;
  return 0;
}

function comparePart(a: string, b: string): Ordering {
  const aNum = isAllDigits(a);
  const bNum = isAllDigits(b);
  if (aNum && bNum) return compareDigits(a, b);
  const wa = aNum ? NUMBER_WEIGHT : weight(a);
  const wb = bNum ? NUMBER_WEIGHT : weight(b);
  return wa < wb ? -1 : wa > wb ? 1 : 0;
}

function compareParts(a: readonly string[], b: readonly string[]): Ordering {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = comparePart(a[i] as string, b[i] as string);
    if (d !== 0) return d;
  }
  if (a.length > b.length) return isAllDigits(a[n] as string) ? 1 : compareParts(a.slice(n), ['#']);
  if (a.length < b.length) return isAllDigits(b[n] as string) ? -1 : compareParts(['#'], b.slice(n));
  return 0;
}

function problem(v: string): string | undefined {
  if (v.length === 0) return 'empty';
  if (v.length > MAX_VERSION_LENGTH) return `longer than ${MAX_VERSION_LENGTH}`;
  if (!isPrintableAscii(v)) return 'contains whitespace, control or non-ASCII characters';
  return undefined;
}

const cache = new ParseCache<readonly string[]>();

function parseValid(v: string): readonly string[] {
  const reason = problem(v);
  if (reason !== undefined) throw invalidVersion('composer', v, reason);
  return canonicalParts(v);
}

/** each distinct string is validated and parsed once while cached */
function parsed(v: string): readonly string[] {
  return cache.get(v, parseValid);
}

export const composer = {
  id: 'composer',
  isValid(v: string): boolean {
    return problem(v) === undefined;
  },
  compare(a: string, b: string): Ordering {
    return compareParts(parsed(a), parsed(b));
  },
} as const satisfies VersionScheme;
