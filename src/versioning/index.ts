import { VigilError } from '../core/errors.ts';
import { type SchemeId, schemeList } from './api.ts';
import type { Ordering, VersionScheme } from './types.ts';

export type { SchemeId } from './api.ts';
export { apkFuzzyCompare, isWellFormedApkVersion } from './apk/index.ts';
export { type DebVersion, parseDebVersion } from './deb/index.ts';
export { isPep440 } from './pep440/index.ts';
export { rpmvercmp } from './rpm/index.ts';
export { MAX_VERSION_LENGTH, type Ordering, type VersionScheme } from './types.ts';

/** every version scheme by id */
export const schemes: ReadonlyMap<string, VersionScheme> = new Map(schemeList.map((s) => [s.id, s]));

/** the scheme with this id; throws VigilError VIGIL_SCHEME_UNKNOWN for any other id */
export function getScheme(id: string): VersionScheme {
  const scheme = schemes.get(id);
  if (scheme === undefined) {
    throw new VigilError('VIGIL_SCHEME_UNKNOWN', `unknown version scheme ${JSON.stringify(id)}`, {
      scheme: id,
      known: [...schemes.keys()],
    });
  }
  return scheme;
}

export function isSchemeId(id: string): id is SchemeId {
  return schemes.has(id);
}

/**
 * Orders two versions of one ecosystem: -1 when a < b, 0 when equal, 1 when a > b. Throws VigilError
 * VIGIL_SCHEME_UNKNOWN for an unknown scheme and VIGIL_VERSION_INVALID when either version is not
 * valid in it.
 */
export function compare(scheme: SchemeId | (string & {}), a: string, b: string): Ordering {
  return getScheme(scheme).compare(a, b);
}

/** whether `v` is a version the scheme can order; throws VIGIL_SCHEME_UNKNOWN for an unknown scheme */
export function isValid(scheme: SchemeId | (string & {}), v: string): boolean {
  return getScheme(scheme).isValid(v);
}
