import { VigilError } from '../core/errors.ts';

export type Ordering = -1 | 0 | 1;

/**
 * One ecosystem's version ordering (after renovate lib/modules/versioning/types.ts). `compare` never
 * guesses an order for a string the scheme rejects. Each scheme is a total order on its valid
 * versions except where the ecosystem's own tool is not (apk's malformed versions, Maven's ".sp";
 * see README.md).
 */
export interface VersionScheme {
  /** scheme id as used by `compare(scheme, a, b)`: "deb", "rpm", "pep440", ... */
  readonly id: string;
  /** true when `v` is a version this scheme can order */
  isValid(v: string): boolean;
  /** total order; throws VigilError VIGIL_VERSION_INVALID naming scheme and version when a side is invalid */
  compare(a: string, b: string): Ordering;
}

/**
 * Longest version string any scheme accepts. Real versions stay far below it (Debian and Maven
 * timestamps reach ~100 characters); the bound keeps hostile input from filling parse caches.
 */
export const MAX_VERSION_LENGTH = 1024;

export function invalidVersion(scheme: string, version: string, reason: string): VigilError {
  const shown = version.length > 80 ? `${version.slice(0, 80)}…` : version;
  return new VigilError('VIGIL_VERSION_INVALID', `invalid ${scheme} version ${JSON.stringify(shown)}: ${reason}`, {
    scheme,
    version: shown,
    reason,
  });
}
