import { ParseCache } from '../parse-cache.ts';
import {
  compareComponents,
  compareIdentifiers,
  comparePrereleaseIds,
  parseSemverLike,
  type SemverLike,
  semverLikeProblem,
} from '../semver-like.ts';
import { invalidVersion, type Ordering, type VersionScheme } from '../types.ts';

/**
 * Dart pub versions: SemVer precedence, except that build metadata orders too (pub_semver
 * Version.compareTo): no build sorts below any build, and builds compare identifier by identifier
 * like prereleases. Read "semver-like" as OSV does (osv-scalibr semantic/version-pub.go).
 */
const cache = new ParseCache<SemverLike>();

function parseValid(v: string): SemverLike {
  const reason = semverLikeProblem(v);
  if (reason !== undefined) throw invalidVersion('pub', v, reason);
  return parseSemverLike(v, 3);
}

/** each distinct string is validated and parsed once while cached */
function parsed(v: string): SemverLike {
  return cache.get(v, parseValid);
}

/** pub_semver: no build metadata sorts below any; builds compare like prerelease identifiers */
function compareBuild(a: readonly string[], b: readonly string[]): Ordering {
  if (a.length === 0 || b.length === 0) return a.length === b.length ? 0 : a.length === 0 ? -1 : 1;
  return compareIdentifiers(a, b);
}

export const pub = {
  id: 'pub',
  isValid(v: string): boolean {
    return semverLikeProblem(v) === undefined;
  },
  compare(a: string, b: string): Ordering {
    const va = parsed(a);
    const vb = parsed(b);
    return (
      compareComponents(va.components, vb.components) ||
      comparePrereleaseIds(va.prerelease, vb.prerelease) ||
      compareBuild(va.build, vb.build)
    );
  },
} as const satisfies VersionScheme;
