import { compareDigits, compareText, isAllDigits, isPrintableAscii } from '../digits.ts';
import { ParseCache } from '../parse-cache.ts';
import { invalidVersion, MAX_VERSION_LENGTH, type Ordering, type VersionScheme } from '../types.ts';

/**
 * Maven versions, ordered as maven-artifact's ComparableVersion and as OSV reads it (osv-scalibr
 * semantic/version-maven.go, pinned by ../testdata/maven-versions*.txt):
 * - split at "." and "-" keeping the separator as the token's prefix, and at every digit/non-digit
 *   transition (which acts as "-"); empty tokens are "0"; qualifiers are case-insensitive;
 * - aliases: cr = rc; ga = final = release = ""; a/b/m directly followed by a digit = alpha/beta/milestone;
 * - trailing null tokens ("0", "") are trimmed, repeated before each remaining "-";
 * - token order: qualifiers alpha < beta < milestone < rc < snapshot < "" < sp < other (lexical),
 *   numbers above qualifiers; with different prefixes ".qualifier" < "-qualifier" < "-number" < ".number";
 * - the shorter version is padded with null tokens taking the other side's prefix ("0" after ".",
 *   "" after "-", and "" after "." facing "sp").
 * Like ComparableVersion, this is not transitive where ".sp" meets a "-qualifier":
 * 1.sp < 1-alpha-1 < 1 < 1.sp (maven/index.test.ts pins the cycle); elsewhere it is a total order.
 */
interface MavenToken {
  readonly prefix: '' | '.' | '-';
  readonly value: string;
  readonly numeric: boolean;
  readonly isNull: boolean;
}

const QUALIFIER_ORDER = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const SHORT_QUALIFIER: Readonly<Record<string, string>> = { a: 'alpha', b: 'beta', m: 'milestone' };

function token(prefix: MavenToken['prefix'], raw: string, followedByDigits: boolean): MavenToken {
  let value = raw.toLowerCase();
  if (value === '') value = '0';
  if (value === 'cr') value = 'rc';
  if (value === 'ga' || value === 'final' || value === 'release') value = '';
  if (followedByDigits) value = SHORT_QUALIFIER[value] ?? value;
  const numeric = isAllDigits(value);
  if (numeric) value = value.replace(/^0+(?=\d)/, '');
  return { prefix, value, numeric, isNull: false };
}

function isDigit(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57;
}

function parseMaven(v: string): readonly MavenToken[] {
  const tokens: MavenToken[] = [];
  let prefix: MavenToken['prefix'] = '';
  let start = 0;
  for (let i = 0; i <= v.length; i++) {
    const c = v[i];
    if (i < v.length && c !== '.' && c !== '-') continue;
    const raw = v.slice(start, i);
    // digit/non-digit transitions inside a raw token split it, the later pieces prefixed with "-"
    let pieceStart = 0;
    for (let j = 1; j <= raw.length; j++) {
      if (j < raw.length && isDigit(raw, j) === isDigit(raw, j - 1)) continue;
      tokens.push(token(pieceStart === 0 ? prefix : '-', raw.slice(pieceStart, j), j < raw.length));
      pieceStart = j;
    }
    if (raw.length === 0) tokens.push(token(prefix, '', false));
    prefix = c === '-' ? '-' : '.';
    start = i + 1;
  }
  // trim trailing nulls, then again before each remaining "-" from the end to the start
  let i = tokens.length - 1;
  while (i > 0) {
    const t = tokens[i] as MavenToken;
    if (t.value === '0' || t.value === '') {
      tokens.splice(i, 1);
      i--;
      continue;
    }
    while (i >= 0 && (tokens[i] as MavenToken).prefix !== '-') i--;
    i--;
  }
  return tokens;
}

function nullToken(facing: MavenToken): MavenToken {
  if (facing.prefix === '-') return { prefix: '-', value: '', numeric: false, isNull: true };
  // "sp" is the only qualifier above the empty one, so a null facing it must be "" to order below it
  return facing.value === 'sp'
    ? { prefix: '.', value: '', numeric: false, isNull: true }
    : { prefix: '.', value: '0', numeric: true, isNull: true };
}

function prefixRank(t: MavenToken): number {
  if (t.numeric) return t.prefix === '-' ? 2 : 3;
  return t.prefix === '-' ? 1 : 0;
}

function qualifierRank(value: string): number {
  const i = QUALIFIER_ORDER.indexOf(value);
  return i < 0 ? QUALIFIER_ORDER.length : i;
}

function compareTokens(a: MavenToken, b: MavenToken): Ordering {
  if (a.prefix !== b.prefix) {
    const d = prefixRank(a) - prefixRank(b);
    return d < 0 ? -1 : d > 0 ? 1 : 0;
  }
  if (a.numeric && b.numeric) return compareDigits(a.value, b.value);
  // numbers sort after qualifiers, except padded nulls (ComparableVersion IntItem vs StringItem)
  if (a.numeric && !a.isNull) return 1;
  if (b.numeric && !b.isNull) return -1;
  const ra = qualifierRank(a.value);
  const rb = qualifierRank(b.value);
  if (ra === QUALIFIER_ORDER.length && rb === QUALIFIER_ORDER.length) return compareText(a.value, b.value);
  return ra < rb ? -1 : ra > rb ? 1 : 0;
}

function lessThan(a: readonly MavenToken[], b: readonly MavenToken[]): boolean {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const left = a[i] ?? nullToken(b[i] as MavenToken);
    const right = b[i] ?? nullToken(a[i] as MavenToken);
    if (left.prefix === right.prefix && left.value === right.value) continue;
    return compareTokens(left, right) < 0;
  }
  return false;
}

function problem(v: string): string | undefined {
  if (v.length === 0) return 'empty';
  if (v.length > MAX_VERSION_LENGTH) return `longer than ${MAX_VERSION_LENGTH}`;
  if (!isPrintableAscii(v)) return 'contains whitespace, control or non-ASCII characters';
  return undefined;
}

const cache = new ParseCache<readonly MavenToken[]>();

function parseValid(v: string): readonly MavenToken[] {
  const reason = problem(v);
  if (reason !== undefined) throw invalidVersion('maven', v, reason);
  return parseMaven(v);
}

/** each distinct string is validated and parsed once while cached */
function parsed(v: string): readonly MavenToken[] {
  return cache.get(v, parseValid);
}

export const maven = {
  id: 'maven',
  isValid(v: string): boolean {
    return problem(v) === undefined;
  },
  compare(a: string, b: string): Ordering {
    const ta = parsed(a);
    const tb = parsed(b);
    if (lessThan(ta, tb)) return -1;
    return lessThan(tb, ta) ? 1 : 0;
  },
} as const satisfies VersionScheme;
