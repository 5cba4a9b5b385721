import { ParseCache } from '../parse-cache.ts';
import {
  compareComponents,
  comparePrereleaseIds,
  parseSemverLike,
  type SemverLike,
  semverLikeProblem,
} from '../semver-like.ts';
import { invalidVersion, type Ordering, type VersionScheme } from '../types.ts';

/**
 * SemVer 2.0.0 precedence (semver.org item 11) as OSV applies it to the SemVer ecosystem type
 * (osv-scalibr semantic/version-semver.go): a leading "v" is ignored, missing minor/patch are zero,
 * numbers are unbounded, build metadata is ignored, components past the third act as prerelease.
 *
 * The `semver` npm package is not used for ordering: it rejects numbers above 2^53, one- and
 * two-component versions and extra components that OSV data contains; on strict SemVer both agree,
 * which semver.test.ts checks against it.
 */
const cache = new ParseCache<SemverLike>();

function parseValid(v: string): SemverLike {
  const reason = semverLikeProblem(v);
  if (reason !== undefined) throw invalidVersion('semver', v, reason);
  return parseSemverLike(v, 3);
}

/** each distinct string is validated and parsed once while cached */
function parsed(v: string): SemverLike {
  return cache.get(v, parseValid);
}

export const semver = {
  id: 'semver',
  isValid(v: string): boolean {
    return semverLikeProblem(v) === undefined;
  },
  compare(a: string, b: string): Ordering {
    const va = parsed(a);
    const vb = parsed(b);
    return compareComponents(va.components, vb.components) || comparePrereleaseIds(va.prerelease, vb.prerelease);
  },
} as const satisfies VersionScheme;
