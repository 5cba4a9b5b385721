import { ParseCache } from '../parse-cache.ts';
import { compareComponents } from '../semver-like.ts';
import { invalidVersion, MAX_VERSION_LENGTH, type Ordering, type VersionScheme } from '../types.ts';

/**
 * Hackage (Haskell PVP) versions: dot-separated non-negative integers, Data.Version ordering: compare
 * component by component, and when one is a prefix of the other the longer one is greater
 * (so 1.0 < 1.0.0, unlike SemVer). OSV's reading: osv-scalibr semantic/version-hackage.go.
 */
const HACKAGE = /^\d+(?:\.\d+)*$/;

function problem(v: string): string | undefined {
  if (v.length === 0) return 'empty';
  if (v.length > MAX_VERSION_LENGTH) return `longer than ${MAX_VERSION_LENGTH}`;
  if (!HACKAGE.test(v)) return 'not N[.N]...';
  return undefined;
}

function parseValid(v: string): readonly string[] {
  const reason = problem(v);
  if (reason !== undefined) throw invalidVersion('hackage', v, reason);
  return v.split('.');
}

const cache = new ParseCache<readonly string[]>();

/** each distinct string is validated and parsed once while cached */
function parsed(v: string): readonly string[] {
  return cache.get(v, parseValid);
}

export const hackage = {
  id: 'hackage',
  isValid(v: string): boolean {
    return problem(v) === undefined;
  },
  compare(a: string, b: string): Ordering {
    const va = parsed(a);
    const vb = parsed(b);
    const byValue = compareComponents(va, vb);
    if (byValue !== 0) return byValue;
    return va.length === vb.length ? 0 : va.length < vb.length ? -1 : 1;
  },
} as const satisfies VersionScheme;
