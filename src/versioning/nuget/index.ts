import { ParseCache } from '../parse-cache.ts';
import { compareComponents, comparePrereleaseIds, parseSemverLike } from '../semver-like.ts';
import { invalidVersion, MAX_VERSION_LENGTH, type Ordering, type VersionScheme } from '../types.ts';

/**
 * NuGet versions (NuGet.Versioning NuGetVersion / VersionComparer.Default): up to four numeric parts
 * (missing ones are zero), a SemVer 2.0.0 prerelease compared case-insensitively, and build metadata
 * after "+" ignored. Matches OSV's reading (osv-scalibr semantic/version-nuget.go).
 */
interface NuGetVersion {
  readonly components: readonly string[];
  readonly prerelease: readonly string[];
}

const IDENTIFIERS = '[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*';
const NUGET = new RegExp(`^\\d+(?:\\.\\d+){0,3}(?:-${IDENTIFIERS})?(?:\\+${IDENTIFIERS})?$`);

function problem(v: string): string | undefined {
  if (v.length === 0) return 'empty';
  if (v.length > MAX_VERSION_LENGTH) return `longer than ${MAX_VERSION_LENGTH}`;
  if (!NUGET.test(v)) return 'not N[.N[.N[.N]]][-prerelease][+metadata]';
  return undefined;
}

const cache = new ParseCache<NuGetVersion>();

function parseValid(v: string): NuGetVersion {
  const reason = problem(v);
  if (reason !== undefined) throw invalidVersion('nuget', v, reason);
  const like = parseSemverLike(v, 4);
  return { components: like.components, prerelease: like.prerelease.map((id) => id.toLowerCase()) };
}

/** each distinct string is validated and parsed once while cached */
function parsed(v: string): NuGetVersion {
  return cache.get(v, parseValid);
}

export const nuget = {
  id: 'nuget',
  isValid(v: string): boolean {
    return problem(v) === undefined;
  },
  compare(a: string, b: string): Ordering {
    const va = parsed(a);
    const vb = parsed(b);
    return compareComponents(va.components, vb.components) || comparePrereleaseIds(va.prerelease, vb.prerelease);
  },
} as const satisfies VersionScheme;
