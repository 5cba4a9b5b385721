import { compareDigits } from '../digits.ts';
import { ParseCache } from '../parse-cache.ts';
import { comparePrerelease } from '../semver-like.ts';
import { invalidVersion, MAX_VERSION_LENGTH, type Ordering, type VersionScheme } from '../types.ts';

/**
 * Go module versions: SemVer 2.0.0 as golang.org/x/mod/semver reads it. The "v" that Go requires is
 * optional because OSV Go ranges drop it ("1.2.3"); "v1" and "v1.2" are shorthands for "v1.0.0" and
 * "v1.2.0"; build metadata, including "+incompatible", carries no order. Pseudo-versions
 * (v0.0.0-20191109021931-daa7c04131f5, vX.Y.(Z+1)-0.yyyymmddhhmmss-abcdef) are prereleases and sort
 * correctly under the ordinary prerelease rules, which is why Go chose that shape.
 */
interface GoVersion {
  readonly major: string;
  readonly minor: string;
  readonly patch: string;
  readonly prerelease: string;
}

const NUMBER = '(0|[1-9]\\d*)';
const PRE_ID = '(?:0|[1-9]\\d*|\\d*[A-Za-z-][0-9A-Za-z-]*)';
const BUILD_ID = '[0-9A-Za-z-]+';
const FULL = new RegExp(
  `^v?${NUMBER}\\.${NUMBER}\\.${NUMBER}(?:-(${PRE_ID}(?:\\.${PRE_ID})*))?(?:\\+${BUILD_ID}(?:\\.${BUILD_ID})*)?$`,
);
const SHORTHAND = new RegExp(`^v?${NUMBER}(?:\\.${NUMBER})?$`);

function parseGo(v: string): GoVersion | string {
  if (v.length === 0) return 'empty';
  if (v.length > MAX_VERSION_LENGTH) return `longer than ${MAX_VERSION_LENGTH}`;
  const full = FULL.exec(v);
  if (full !== null) {
    return { major: full[1] as string, minor: full[2] as string, patch: full[3] as string, prerelease: full[4] ?? '' };
  }
  const short = SHORTHAND.exec(v);
  if (short !== null) return { major: short[1] as string, minor: short[2] ?? '0', patch: '0', prerelease: '' };
  return 'not a semantic version vMAJOR[.MINOR[.PATCH[-prerelease][+build]]]';
}

function parseValid(v: string): GoVersion {
  const p = parseGo(v);
  if (typeof p === 'string') throw invalidVersion('go', v, p);
  return p;
}

const cache = new ParseCache<GoVersion>();

/** each distinct string is validated and parsed once while cached */
function parsed(v: string): GoVersion {
  return cache.get(v, parseValid);
}

export const go = {
  id: 'go',
  isValid(v: string): boolean {
    return typeof parseGo(v) !== 'string';
  },
  compare(a: string, b: string): Ordering {
    const va = parsed(a);
    const vb = parsed(b);
    return (
      compareDigits(va.major, vb.major) ||
      compareDigits(va.minor, vb.minor) ||
      compareDigits(va.patch, vb.patch) ||
      comparePrerelease(va.prerelease, vb.prerelease)
    );
  },
} as const satisfies VersionScheme;
