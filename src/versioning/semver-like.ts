import { compareDigits, compareText, isAllDigits, isDigitCode } from './digits.ts';
import { MAX_VERSION_LENGTH, type Ordering } from './types.ts';

/**
 * The "semver-like" reading OSV uses for SemVer, Pub, NuGet and Hackage (osv-scalibr
 * semantic/version-semver-like.go): an optional leading "v", any number of dot-separated numeric
 * components, then everything from the first other character on is the "tail" (prerelease and/or
 * build metadata, still with its leading "-" or "+"). Components beyond `maxComponents` move to the
 * end of the tail as ".N", so "1.1.3.4.5" orders like "1.1.3" with prerelease ".4.5".
 */
export interface SemverLike {
  readonly components: readonly string[];
  readonly tail: string;
  /** prerelease identifiers (tail without "+build" and one leading "-"), [] when there are none */
  readonly prerelease: readonly string[];
  /** build metadata identifiers after "+", [] when there are none */
  readonly build: readonly string[];
}

export function parseSemverLike(v: string, maxComponents: number): SemverLike {
  const components: string[] = [];
  let i = v.charCodeAt(0) === 118 ? 1 : 0;
  let tail = '';
  while (i < v.length) {
    const start = i;
    while (isDigitCode(v.charCodeAt(i))) i++;
    if (i > start) components.push(v.slice(start, i));
    if (i >= v.length) break;
    if (v.charCodeAt(i) === 46) {
      i++;
      continue;
    }
    tail = v.slice(i);
    break;
  }
  if (components.length > maxComponents) {
    for (const extra of components.splice(maxComponents)) tail += `.${extra.replace(/^0+(?=\d)/, '')}`;
  }
  const pre = prereleaseOf(tail);
  const plus = tail.indexOf('+');
  return {
    components,
    tail,
    prerelease: pre === '' ? [] : pre.split('.'),
    build: plus >= 0 && plus < tail.length - 1 ? tail.slice(plus + 1).split('.') : [],
  };
}

/** components padded with zeros (osv-scalibr semantic/version.go components.Cmp) */
export function compareComponents(a: readonly string[], b: readonly string[]): Ordering {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = compareDigits(a[i] ?? '0', b[i] ?? '0');
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Precedence of dot-separated identifiers (SemVer 2.0.0 item 11): numeric ones numerically and below
 * alphanumeric ones, alphanumeric ones in ASCII order, a longer list above its prefix.
 */
export function compareIdentifiers(a: readonly string[], b: readonly string[]): Ordering {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    const xNum = isAllDigits(x);
    const yNum = isAllDigits(y);
    let d: Ordering;
    if (xNum && yNum) d = compareDigits(x, y);
    else if (xNum) d = -1;
    else if (yNum) d = 1;
    else d = compareText(x, y);
    if (d !== 0) return d;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** the prerelease part of a tail: build metadata after "+" dropped, one leading "-" dropped */
export function prereleaseOf(tail: string): string {
  const plus = tail.indexOf('+');
  const pre = plus >= 0 ? tail.slice(0, plus) : tail;
  return pre.charCodeAt(0) === 45 ? pre.slice(1) : pre;
}

/** SemVer 2.0.0 item 9/11: a version with a prerelease sorts below the same version without one */
export function comparePrerelease(a: string, b: string): Ordering {
  if (a === b) return 0;
  if (a === '') return 1;
  if (b === '') return -1;
  return compareIdentifiers(a.split('.'), b.split('.'));
}

/** comparePrerelease on identifiers split already ([] = no prerelease) */
export function comparePrereleaseIds(a: readonly string[], b: readonly string[]): Ordering {
  if (a.length === 0 || b.length === 0) return a.length === b.length ? 0 : a.length === 0 ? 1 : -1;
  return compareIdentifiers(a, b);
}

const IDENTIFIERS = '[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*';
/** the shapes the semver-like reading accepts: [v]N[.N]...[-prerelease][+build] */
export const SEMVER_LIKE = new RegExp(`^v?\\d+(?:\\.\\d+)*(?:-${IDENTIFIERS})?(?:\\+${IDENTIFIERS})?$`);

export function semverLikeProblem(v: string): string | undefined {
  if (v.length === 0) return 'empty';
  if (v.length > MAX_VERSION_LENGTH) return `longer than ${MAX_VERSION_LENGTH}`;
  if (!SEMVER_LIKE.test(v)) return 'not [v]N[.N]...[-prerelease][+build]';
  return undefined;
}
