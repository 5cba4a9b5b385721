import { compareDigits, compareText, isAllDigits, isPrintableAscii } from '../digits.ts';
import { ParseCache } from '../parse-cache.ts';
import { invalidVersion, MAX_VERSION_LENGTH, type Ordering, type VersionScheme } from '../types.ts';
import { compareLegacy, legacyKey } from './legacy.ts';

/**
 * Python package versions, PEP 440 "Version scheme" with packaging.version's sort key: epoch,
 * release (trailing zeros ignored), pre (a < b < rc; a dev-only release sorts before its
 * pre-releases), post, dev, local (numeric parts above alphanumeric ones). Strings that are not
 * PEP 440 still order, below all PEP 440 versions, the way packaging < 22 ordered LegacyVersion:
 * OSV's PyPI data and osv-scalibr (semantic/version-pypi.go) keep them.
 *
 * @renovatebot/pep440 is not used: it converts numbers with Number() (inexact past 2^53, e.g.
 * 99999999999999999999 = 99999999999999999998) and its compare() throws a TypeError on legacy
 * versions, both of which OSV data contains.
 */
type Pep440 =
  | {
      readonly legacy: false;
      readonly epoch: string;
      readonly release: readonly string[];
      /** 0 = dev-only release (sorts first), 1..3 = a/b/rc, 4 = no pre-release */
      readonly preRank: number;
      readonly pre: string;
      readonly post: string | undefined;
      readonly dev: string | undefined;
      readonly local: readonly string[] | undefined;
    }
  | { readonly legacy: true; readonly key: readonly string[] };

// PEP 440 Appendix B, as packaging.version.VERSION_PATTERN (case-insensitive)
const PEP440 =
  /^v?(?:(?:([0-9]+)!)?([0-9]+(?:\.[0-9]+)*)(?:[-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?([0-9]+)?)?(-([0-9]+)|[-_.]?(?:post|rev|r)[-_.]?([0-9]+)?)?([-_.]?dev[-_.]?([0-9]+)?)?)(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?$/;

const PRE_RANK: Readonly<Record<string, number>> = { a: 1, alpha: 1, b: 2, beta: 2, c: 3, pre: 3, preview: 3, rc: 3 };

function parsePep440(raw: string): Pep440 {
  const v = raw.toLowerCase();
  const m = PEP440.exec(v);
  if (m === null) return { legacy: true, key: legacyKey(raw) };
  const [, epoch, release, preLetter, preNumber, postPart, postImplicit, postNumber, devPart, devNumber, local] = m;
  const releaseParts = (release as string).split('.');
  while (releaseParts.length > 1 && /^0+$/.test(releaseParts.at(-1) as string)) releaseParts.pop();
  const dev = devPart === undefined ? undefined : (devNumber ?? '0');
  const post = postPart !== undefined ? (postImplicit ?? postNumber ?? '0') : undefined;
  let preRank = 4;
  if (preLetter !== undefined) preRank = PRE_RANK[preLetter] as number;
  else if (post === undefined && dev !== undefined) preRank = 0;
  return {
    legacy: false,
    epoch: epoch ?? '0',
    release: releaseParts,
    preRank,
    pre: preLetter === undefined ? '0' : (preNumber ?? '0'),
    post,
    dev,
    local: local?.split(/[-_.]/),
  };
}

function compareOptional(a: string | undefined, b: string | undefined, absent: Ordering): Ordering {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? absent : (-absent as Ordering);
  return compareDigits(a, b);
}

function compareRelease(a: readonly string[], b: readonly string[]): Ordering {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = compareDigits(a[i] ?? '0', b[i] ?? '0');
    if (d !== 0) return d;
  }
  return 0;
}

/** PEP 440 local versions: numeric segments above alphanumeric ones, a longer list above its prefix */
function compareLocal(a: readonly string[] | undefined, b: readonly string[] | undefined): Ordering {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    const xNum = isAllDigits(x);
    const yNum = isAllDigits(y);
    const d = xNum && yNum ? compareDigits(x, y) : xNum ? 1 : yNum ? -1 : compareText(x, y);
    if (d !== 0) return d;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

function compareParsed(a: Pep440, b: Pep440): Ordering {
  if (a.legacy || b.legacy) {
    if (a.legacy && b.legacy) return compareLegacy(a.key, b.key);
    return a.legacy ? -1 : 1;
  }
  return (
    compareDigits(a.epoch, b.epoch) ||
    compareRelease(a.release, b.release) ||
    (a.preRank !== b.preRank ? (a.preRank < b.preRank ? -1 : 1) : 0) ||
    compareDigits(a.pre, b.pre) ||
    compareOptional(a.post, b.post, -1) ||
    compareOptional(a.dev, b.dev, 1) ||
    compareLocal(a.local, b.local)
  );
}

function problem(v: string): string | undefined {
  if (v.length === 0) return 'empty';
  if (v.length > MAX_VERSION_LENGTH) return `longer than ${MAX_VERSION_LENGTH}`;
  if (!isPrintableAscii(v)) return 'contains whitespace, control or non-ASCII characters';
  return undefined;
}

const cache = new ParseCache<Pep440>();

function parseValid(v: string): Pep440 {
  const reason = problem(v);
  if (reason !== undefined) throw invalidVersion('pep440', v, reason);
  return parsePep440(v);
}

/** each distinct string is validated and parsed once while cached */
function parsed(v: string): Pep440 {
  return cache.get(v, parseValid);
}

/** true when `v` is a PEP 440 version rather than a legacy one */
export function isPep440(v: string): boolean {
  return problem(v) === undefined && PEP440.test(v.toLowerCase());
}

export const pep440 = {
  id: 'pep440',
  isValid(v: string): boolean {
    return problem(v) === undefined;
  },
  compare(a: string, b: string): Ordering {
    return compareParsed(parsed(a), parsed(b));
  },
} as const satisfies VersionScheme;
