import { ParseCache } from '../parse-cache.ts';
import { compareComponents } from '../semver-like.ts';
import { invalidVersion, MAX_VERSION_LENGTH, type Ordering, type VersionScheme } from '../types.ts';

/**
 * CRAN package versions: non-negative integers separated by "." or "-" (R base::package_version),
 * compared numerically; when one is a prefix of the other the longer one is greater, as R's
 * compareVersion and OSV (osv-scalibr semantic/version-cran.go) order them. R requires two
 * components for a package; one is accepted here because advisories use "0" as a range start.
 */
const CRAN = /^\d+(?:[.-]\d+)*$/;

function problem(v: string): string | undefined {
  if (v.length === 0) return 'empty';
  if (v.length > MAX_VERSION_LENGTH) return `longer than ${MAX_VERSION_LENGTH}`;
  if (!CRAN.test(v)) return 'not N[.N|-N]...';
  return undefined;
}

function parseValid(v: string): readonly string[] {
  const reason = problem(v);
  if (reason !== undefined) throw invalidVersion('cran', v, reason);
  return v.split(/[.-]/);
}

const cache = new ParseCache<readonly string[]>();

/** each distinct string is validated and parsed once while cached */
function parsed(v: string): readonly string[] {
  return cache.get(v, parseValid);
}

export const cran = {
  id: 'cran',
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
