import { compareDigits, compareText, isDigitCode, isPrintableAscii } from '../digits.ts';
import { ParseCache } from '../parse-cache.ts';
import { invalidVersion, MAX_VERSION_LENGTH, type Ordering, type VersionScheme } from '../types.ts';

/**
 * Alpine package versions: number{.number}...{letter}{_suffix{number}}...{~hash}{-r#}
 * (apk-tools doc/apk-package.5.scd; ordering of apk-tools src/version.c). Where apk-tools and OSV
 * disagree on malformed versions, this follows OSV's reference implementation (osv-scalibr
 * semantic/version-alpine.go, whose testdata ../testdata/alpine-versions*.txt pins it): a string
 * with an unparseable tail still orders by its parsed prefix, and two such strings order as text.
 * One deliberate difference from osv-scalibr: a longer list of numbers wins over its own prefix
 * (1.0.0 > 1.0, 1.0 < 1.0.0_alpha) as apk-tools orders them; osv-scalibr pads with zeros.
 * The text fallback, like apk's own, is not transitive across malformed versions ("1.9x!" < "1.10"
 * < "1.10x!" < "1.9x!"); on versions in apk's grammar (isWellFormedApkVersion) the order is total.
 */
interface ApkVersion {
  readonly original: string;
  readonly numbers: readonly string[];
  readonly letter: string;
  readonly suffixes: readonly ApkSuffix[];
  readonly hash: string;
  readonly release: string;
  readonly remainder: string;
  /** the tail matched no grammar element; apk-tools falls back to text comparison */
  readonly malformed: boolean;
}

interface ApkSuffix {
  readonly weight: number;
  readonly number: string;
}

/** Suffix order of apk-tools: _alpha < _beta < _pre < _rc < (none) < _cvs < _svn < _git < _hg < _p */
const SUFFIX_WEIGHT: Readonly<Record<string, number>> = {
  alpha: 0,
  beta: 1,
  pre: 2,
  rc: 3,
  cvs: 5,
  svn: 6,
  git: 7,
  hg: 8,
  p: 9,
};
const NO_SUFFIX: ApkSuffix = { weight: 4, number: '0' };

const SUFFIX = /_(alpha|beta|pre|rc|cvs|svn|git|hg|p)(\d*)/g;
const HASH = /^~[0-9a-f]+/;
const RELEASE = /^-r(\d*)/;

/** the prefix matched by `^(\d+\.?)*`: digit runs, each optionally closed by one dot */
function leadingNumbers(s: string): string {
  let i = 0;
  while (isDigitCode(s.charCodeAt(i))) {
    while (isDigitCode(s.charCodeAt(i))) i++;
    if (s.charCodeAt(i) === 46) i++;
  }
  return s.slice(0, i);
}

function parseApk(original: string): ApkVersion {
  let rest = original;
  const numbers: string[] = [];
  const run = leadingNumbers(rest);
  for (const part of run.split('.')) {
    // apk accepts a dot not followed by a digit; the component list simply ends there
    if (part === '') break;
    numbers.push(part);
  }
  rest = rest.slice(run.length);
  let letter = '';
  const first = rest.charCodeAt(0);
  if (first >= 97 && first <= 122) {
    letter = rest[0] as string;
    rest = rest.slice(1);
  }
  const suffixes: ApkSuffix[] = [];
  // osv-scalibr collects every _suffix in the tail but only consumes the ones leading it
  for (const m of rest.matchAll(SUFFIX)) {
    suffixes.push({ weight: SUFFIX_WEIGHT[m[1] as string] as number, number: m[2] || '0' });
    if (rest.startsWith(m[0])) rest = rest.slice(m[0].length);
  }
  const hash = HASH.exec(rest)?.[0] ?? '';
  rest = rest.slice(hash.length);
  let release = '0';
  let malformed = false;
  if (rest !== '') {
    const m = RELEASE.exec(rest);
    if (m === null) malformed = true;
    else {
      release = m[1] || '0';
      rest = rest.slice(m[0].length);
    }
  }
  return { original, numbers, letter, suffixes, hash, release, remainder: rest, malformed };
}

/**
 * apk-tools token_cmp: the first component is numeric; later ones with a leading zero compare as
 * text. When one list is a prefix of the other, the longer one is greater (apk's "the
 * non-terminating version is greater"), so 1.0.0 > 1.0 as `apk version -t` says.
 */
function compareNumbers(a: readonly string[], b: readonly string[]): Ordering {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    const d = i !== 0 && (x[0] === '0' || y[0] === '0') ? compareText(x, y) : compareDigits(x, y);
    if (d !== 0) return d;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

function compareSuffixes(a: readonly ApkSuffix[], b: readonly ApkSuffix[]): Ordering {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? NO_SUFFIX;
    const y = b[i] ?? NO_SUFFIX;
    if (x.weight !== y.weight) return x.weight < y.weight ? -1 : 1;
    const d = compareDigits(x.number, y.number);
    if (d !== 0) return d;
  }
  return 0;
}

function compareParsed(a: ApkVersion, b: ApkVersion): Ordering {
  if (a.malformed && b.malformed) return compareText(a.original, b.original);
  const byNumbers = compareNumbers(a.numbers, b.numbers);
  if (byNumbers !== 0) return byNumbers;
  if (a.letter !== b.letter) return a.letter === '' ? -1 : b.letter === '' ? 1 : compareText(a.letter, b.letter);
  const bySuffix = compareSuffixes(a.suffixes, b.suffixes);
  if (bySuffix !== 0) return bySuffix;
  // apk-tools src/version.c: the hash token precedes the revision; a version whose token stream ends
  // (or reaches -r) where the other has ~hash is the lesser; two hashes compare as text
  if (a.hash !== b.hash) return a.hash === '' ? -1 : b.hash === '' ? 1 : compareText(a.hash, b.hash);
  const byRelease = compareDigits(a.release, b.release);
  if (byRelease !== 0) return byRelease;
  // an unconsumed tail sorts below a clean end
  if ((a.remainder === '') !== (b.remainder === '')) return a.remainder === '' ? 1 : -1;
  return 0;
}

/**
 * apk's fuzzy comparison (apk-tools src/version.c, APK_VERSION_FUZZY; the `~`, `<~`, `>~` and `!~`
 * operators of `apk version -c` and of dependency constraints such as "so:libc~3.6"): `b`'s number
 * components are compared against the same leading components of `a`, and once `b`'s token stream
 * ends the two are equal whatever `a` carries after ("3.6.9_post1 ~ 3.6"). Where `b` goes on past
 * its numbers (a letter, suffix, hash or revision), the full order decides.
 */
export function apkFuzzyCompare(a: string, b: string): Ordering {
  const x = parsed(a);
  const y = parsed(b);
  for (let i = 0; i < y.numbers.length; i++) {
    // `a` ran out of components first: the terminating version is the lesser, as in compareNumbers
    if (i >= x.numbers.length) return -1;
    const d = compareNumbers([x.numbers[i] as string], [y.numbers[i] as string]);
    if (d !== 0) return d;
  }
  const bEndsAtNumbers =
    y.letter === '' && y.suffixes.length === 0 && y.hash === '' && !y.original.includes('-r') && !y.malformed;
  return bEndsAtNumbers ? 0 : compareParsed(x, y);
}

const WELL_FORMED = /^\d+(?:\.\d+)*[a-z]?(?:_(?:alpha|beta|pre|rc|cvs|svn|git|hg|p)\d*)*(?:~[0-9a-f]+)?(?:-r\d+)?$/;

/**
 * apk-tools' strict grammar (apk_version_validate). `compare` still orders strings outside it, as
 * apk and OSV do; extractors can use this to flag a malformed installed version.
 */
export function isWellFormedApkVersion(v: string): boolean {
  return v.length <= MAX_VERSION_LENGTH && WELL_FORMED.test(v);
}

function problem(v: string): string | undefined {
  if (v.length === 0) return 'empty';
  if (v.length > MAX_VERSION_LENGTH) return `longer than ${MAX_VERSION_LENGTH}`;
  if (!isPrintableAscii(v)) return 'contains whitespace, control or non-ASCII characters';
  return undefined;
}

const cache = new ParseCache<ApkVersion>();

function parseValid(v: string): ApkVersion {
  const reason = problem(v);
  if (reason !== undefined) throw invalidVersion('apk', v, reason);
  return parseApk(v);
}

/** each distinct string is validated and parsed once while cached */
function parsed(v: string): ApkVersion {
  return cache.get(v, parseValid);
}

export const apk = {
  id: 'apk',
  isValid(v: string): boolean {
    return problem(v) === undefined;
  },
  compare(a: string, b: string): Ordering {
    return compareParsed(parsed(a), parsed(b));
  },
} as const satisfies VersionScheme;
