import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isVigilError } from '../core/errors.ts';
import type { SchemeId } from './api.ts';
import { isWellFormedApkVersion } from './apk/index.ts';
import { getScheme, MAX_VERSION_LENGTH, schemes } from './index.ts';

/**
 * Properties every scheme must have: a total order on its valid versions (reflexive,
 * antisymmetric, transitive) and, for any other input, VIGIL_VERSION_INVALID and nothing else.
 */
const joined = (pieces: readonly string[], first: fc.Arbitrary<string>, maxLength = 6) =>
  fc.tuple(first, fc.array(fc.constantFrom(...pieces), { maxLength })).map(([f, rest]) => f + rest.join(''));
const digit = fc.constantFrom('0', '1', '2', '10', '01');

/**
 * Where the upstream ordering itself is not transitive, the transitivity property runs on the
 * subset where it is: apk's text fallback applies only to versions outside apk's grammar, and
 * Maven's cycle needs ".sp" next to a "-qualifier" (both documented in the schemes and pinned there).
 */
const TRANSITIVE_DOMAIN: Partial<Record<SchemeId, (v: string) => boolean>> = {
  apk: isWellFormedApkVersion,
  maven: (v) => !/sp/i.test(v),
};

/** realistic versions per scheme, from small alphabets so that generated versions often tie or nearly tie */
const REALISTIC: Readonly<Record<SchemeId, fc.Arbitrary<string>>> = {
  deb: joined(['0', '1', '10', '01', 'a', 'b', '~', '+', '.', ':', '-1', '-0', '-a1', '~rc'], digit).map((v) =>
    v.endsWith('-') ? `${v}0` : v,
  ),
  rpm: joined(['0', '1', '10', '01', 'a', 'B', '~', '^', '.', '_', '+', '-1', '-el8', ':'], digit),
  apk: joined(
    [
      '0',
      '1',
      '10',
      '01',
      '.',
      'a',
      'z',
      '_alpha',
      '_rc2',
      '_p1',
      '_git',
      '_pre',
      '~ab12',
      '~0f',
      '-r1',
      '-r0',
      'bc',
      '!',
    ],
    digit,
  ),
  semver: joined(
    ['.0', '.1', '.10', '-alpha', '-1', '.beta', '.2', '+build', '+1', '-rc.1'],
    fc.constantFrom('1', '0', 'v1', '2.0'),
  ),
  go: fc
    .tuple(
      fc.constantFrom('v', ''),
      fc.constantFrom('0.0.0', '1.2.3', '1.2.4', '2.0.0', '1', '1.2'),
      fc.constantFrom('', '-0.20191109021931-daa7c04131f5', '-0.20200101000000-aaaaaaaaaaaa', '-rc.1', '-beta', '-1'),
      fc.constantFrom('', '+incompatible'),
    )
    .map(([v, core, pre, build]) => (/^\d+(\.\d+)?$/.test(core) ? `${v}${core}` : `${v}${core}${pre}${build}`)),
  pep440: fc.oneof(
    joined(
      ['.0', '.1', '.10', 'a1', 'b2', 'rc1', '.post1', '-1', '.dev0', 'dev1', '+local.1', '+a'],
      fc.constantFrom('1', '0', '1!1', 'v2'),
    ),
    joined(['-bulbasaur', '.x', 'pre', '-', 'final', 'z'], fc.constantFrom('0.1', '1', 'foo')),
  ),
  maven: joined(
    [
      '.',
      '-',
      '0',
      '1',
      '01',
      'alpha',
      'a1',
      'b',
      'm2',
      'rc',
      'cr',
      'sp',
      'snapshot',
      'ga',
      'final',
      'release',
      'foo',
      'X',
    ],
    digit,
  ),
  rubygems: joined(['.0', '.1', '.10', '.a', '.pre', '.rc1', 'b', '1', '-beta', '.pre.1'], digit).filter((v) =>
    getScheme('rubygems').isValid(v),
  ),
  nuget: fc
    .tuple(
      fc.array(fc.constantFrom('0', '1', '10', '01'), { minLength: 1, maxLength: 4 }),
      fc.constantFrom('', '-beta', '-BETA.2', '-rc.1', '-1'),
      fc.constantFrom('', '+meta'),
    )
    .map(([parts, pre, meta]) => parts.join('.') + pre + meta),
  composer: joined(
    ['.', '-', '_', '+', '0', '1', '10', 'dev', 'alpha', 'a', 'b', 'beta', 'RC', 'rc', 'pl', 'p', '#', 'foo'],
    fc.constantFrom('1', 'v1', 'dev-', '0', 'V2'),
  ),
  pub: joined(
    ['.0', '.1', '.10', '-alpha', '-1', '.beta', '+build', '+1', '+a1', '.2'],
    fc.constantFrom('1.0.0', '0.1.0', 'v1.2.3', '1'),
  ),
  hackage: fc.array(fc.constantFrom('0', '1', '2', '10', '01'), { minLength: 1, maxLength: 5 }).map((p) => p.join('.')),
  cran: joined(['.0', '.1', '-1', '-10', '.01', '.2'], digit),
};

const HOSTILE = [
  '9'.repeat(MAX_VERSION_LENGTH),
  `${'1.'.repeat(MAX_VERSION_LENGTH / 2 - 1)}1`,
  `${'1-'.repeat(MAX_VERSION_LENGTH / 2 - 1)}1`,
  `${'1'.repeat(MAX_VERSION_LENGTH - 1)}!`,
  `1${'a1'.repeat(MAX_VERSION_LENGTH / 2 - 1)}`,
  `1${'~'.repeat(MAX_VERSION_LENGTH - 1)}`,
  `1.0${'_p1'.repeat(300)}`,
  `1${'-r'.repeat(500)}`,
  `v1.0.0-${'a.'.repeat(MAX_VERSION_LENGTH / 2 - 5)}a`,
  `1.0.0+${'0'.repeat(MAX_VERSION_LENGTH - 10)}`,
  `1!${'1.'.repeat(300)}post${'.'.repeat(200)}dev`,
  `1${'.post'.repeat(150)}`,
  `1.0${'-'.repeat(MAX_VERSION_LENGTH - 10)}x`,
];

const INVALID_EVERYWHERE = [
  '',
  ' ',
  '1 2',
  ' 1.0',
  '1.0 ',
  '1.0\n',
  '\t1',
  '1\u0000',
  'x'.repeat(MAX_VERSION_LENGTH + 1),
  '1'.repeat(MAX_VERSION_LENGTH + 1),
];

function outcome(id: SchemeId, a: string, b: string): number | 'invalid' {
  try {
    return getScheme(id).compare(a, b);
  } catch (err) {
    if (isVigilError(err, 'VIGIL_VERSION_INVALID')) return 'invalid';
    throw err;
  }
}

describe.each([...schemes.keys()] as SchemeId[])('%s', (id) => {
  const scheme = getScheme(id);

  it('accepts "0", the range start OSV writes for every ecosystem', () => {
    expect(scheme.isValid('0')).toBe(true);
    expect(scheme.compare('0', '0')).toBe(0);
  });

  it.each(INVALID_EVERYWHERE)('rejects %j with VIGIL_VERSION_INVALID naming the scheme', (bad) => {
    expect(scheme.isValid(bad)).toBe(false);
    for (const call of [() => scheme.compare(bad, '1'), () => scheme.compare('1', bad)]) {
      expect(call).toThrow(
        expect.objectContaining({ code: 'VIGIL_VERSION_INVALID', context: expect.objectContaining({ scheme: id }) }),
      );
    }
  });

  it('orders or rejects any string, and throws nothing but VIGIL_VERSION_INVALID', () => {
    const anyString = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ maxLength: 40 }),
      REALISTIC[id],
    );
    fc.assert(
      fc.property(anyString, anyString, (a, b) => {
        const result = outcome(id, a, b);
        const bothValid = scheme.isValid(a) && scheme.isValid(b);
        expect(result === 'invalid').toBe(!bothValid);
      }),
      { numRuns: 2000, seed: 7 },
    );
  });

  it('orders hostile long inputs (or rejects them) without blowing up', () => {
    for (const v of HOSTILE) {
      for (const other of [v, '1', HOSTILE[0] as string]) {
        const r = outcome(id, v, other);
        if (r !== 'invalid' && other === v) expect(r).toBe(0);
      }
    }
  });

  it('is a total order on realistic versions: reflexive, antisymmetric, transitive', () => {
    fc.assert(
      fc.property(REALISTIC[id], REALISTIC[id], REALISTIC[id], (a, b, c) => {
        const inDomain = TRANSITIVE_DOMAIN[id] ?? scheme.isValid;
        fc.pre(inDomain(a) && inDomain(b) && inDomain(c));
        expect(scheme.compare(a, a)).toBe(0);
        const ab = scheme.compare(a, b);
        expect(scheme.compare(b, a) + ab).toBe(0);
        const bc = scheme.compare(b, c);
        const ac = scheme.compare(a, c);
        if (ab <= 0 && bc <= 0) expect(ac).toBeLessThanOrEqual(0);
        if (ab >= 0 && bc >= 0) expect(ac).toBeGreaterThanOrEqual(0);
        if (ab === 0) expect(ac).toBe(bc);
      }),
      { numRuns: 3000, seed: 11 },
    );
  });
});
