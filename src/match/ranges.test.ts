import fc from 'fast-check';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import type { OsvAffected, OsvEvent } from '../core/osv.ts';
import { compileAffected, evaluateAffected } from './ranges.ts';

function entry(ecosystem: string, type: string, events: OsvEvent[], versions?: string[]): OsvAffected {
  return {
    package: { ecosystem, name: 'p' },
    ranges: [{ type, events }],
    ...(versions !== undefined && { versions }),
  };
}

function evaluate(affected: OsvAffected, v: string) {
  return evaluateAffected(v, compileAffected(affected));
}

// The OSV schema's "Examples" section and its "Evaluation" pseudocode, case by case.
type Case = readonly [name: string, affected: OsvAffected, v: string, affected: boolean, fixed: readonly string[]];

describe('OSV range evaluation (schema "Evaluation")', () => {
  const cases: readonly Case[] = [
    ['unfixed: every version', entry('npm', 'SEMVER', [{ introduced: '0' }]), '0.0.1', true, []],
    [
      'fixed example: below fix',
      entry('npm', 'SEMVER', [{ introduced: '0' }, { fixed: '1.0.2' }]),
      '1.0.1',
      true,
      ['1.0.2'],
    ],
    ['fixed example: at fix', entry('npm', 'SEMVER', [{ introduced: '0' }, { fixed: '1.0.2' }]), '1.0.2', false, []],
    [
      'fixed example: prerelease of the fix',
      entry('npm', 'SEMVER', [{ introduced: '0' }, { fixed: '1.0.2' }]),
      '1.0.2-rc.1',
      true,
      ['1.0.2'],
    ],
    ...['1.0.0', '1.0.1', '3.0.0', '3.2.4'].map(
      (v): Case => [
        `multiple ranges: ${v} inside`,
        entry('npm', 'SEMVER', [
          { introduced: '1.0.0' },
          { fixed: '1.0.2' },
          { introduced: '3.0.0' },
          { fixed: '3.2.5' },
        ]),
        v,
        true,
        [v.startsWith('1') ? '1.0.2' : '3.2.5'],
      ],
    ),
    ...['0.9.9', '1.0.2', '2.5.0', '3.2.5', '4.0.0'].map(
      (v): Case => [
        `multiple ranges: ${v} outside`,
        entry('npm', 'SEMVER', [
          { introduced: '1.0.0' },
          { fixed: '1.0.2' },
          { introduced: '3.0.0' },
          { fixed: '3.2.5' },
        ]),
        v,
        false,
        [],
      ],
    ),
    [
      'unsorted events sort first',
      entry('npm', 'SEMVER', [
        { fixed: '3.2.5' },
        { introduced: '3.0.0' },
        { fixed: '1.0.2' },
        { introduced: '1.0.0' },
      ]),
      '3.1.0',
      true,
      ['3.2.5'],
    ],
    [
      'last_affected: at it',
      entry('Maven', 'ECOSYSTEM', [{ introduced: '0' }, { last_affected: '2.1.214' }]),
      '2.1.214',
      true,
      [],
    ],
    [
      'last_affected: above it',
      entry('Maven', 'ECOSYSTEM', [{ introduced: '0' }, { last_affected: '2.1.214' }]),
      '2.1.215',
      false,
      [],
    ],
    ['limit: below', entry('npm', 'SEMVER', [{ introduced: '0' }, { limit: '2.0.0' }]), '1.9.0', true, []],
    ['limit: at it', entry('npm', 'SEMVER', [{ introduced: '0' }, { limit: '2.0.0' }]), '2.0.0', false, []],
    ['limit "*" is infinity', entry('npm', 'SEMVER', [{ introduced: '0' }, { limit: '*' }]), '99.0.0', true, []],
    [
      'introduced = fixed: empty',
      entry('npm', 'SEMVER', [{ introduced: '1.0.0' }, { fixed: '1.0.0' }]),
      '1.0.0',
      false,
      [],
    ],
    [
      'SEMVER tolerates a leading v (osv.dev)',
      entry('Go', 'SEMVER', [{ introduced: 'v1.2.0' }, { fixed: 'v1.3.0' }]),
      'v1.2.5',
      true,
      ['v1.3.0'],
    ],
    [
      'Go ECOSYSTEM without v',
      entry('Go', 'ECOSYSTEM', [{ introduced: '0' }, { fixed: '1.21.4' }]),
      '1.21.3',
      true,
      ['1.21.4'],
    ],
    [
      'PyPI: PEP 440 order, not semver',
      entry('PyPI', 'ECOSYSTEM', [{ introduced: '0' }, { fixed: '2.0' }]),
      '2.0rc1',
      true,
      ['2.0'],
    ],
    [
      'PyPI: post release above the fix',
      entry('PyPI', 'ECOSYSTEM', [{ introduced: '0' }, { fixed: '2.0' }]),
      '2.0.post1',
      false,
      [],
    ],
    [
      'deb: epoch orders first',
      entry('Debian:12', 'ECOSYSTEM', [{ introduced: '0' }, { fixed: '1:1.0-1' }]),
      '2.0-1',
      true,
      ['1:1.0-1'],
    ],
    [
      'deb: tilde below release',
      entry('Debian:12', 'ECOSYSTEM', [{ introduced: '0' }, { fixed: '1.0-1' }]),
      '1.0~rc1-1',
      true,
      ['1.0-1'],
    ],
    [
      'deb: +deb12u1 above the fix',
      entry('Debian:12', 'ECOSYSTEM', [{ introduced: '0' }, { fixed: '1.0-1' }]),
      '1.0-1+deb12u1',
      false,
      [],
    ],
    [
      'rpm: missing epoch is 0',
      entry('AlmaLinux:9', 'ECOSYSTEM', [{ introduced: '0' }, { fixed: '0:3.0.7-6.el9_2' }]),
      '3.0.7-5.el9',
      true,
      ['0:3.0.7-6.el9_2'],
    ],
    [
      'rpm: installed epoch 1 above epoch-0 fix',
      entry('AlmaLinux:9', 'ECOSYSTEM', [{ introduced: '0' }, { fixed: '3.0.7-6.el9_2' }]),
      '1:3.0.7-5.el9',
      false,
      [],
    ],
    [
      'apk: -r revision',
      entry('Alpine:v3.19', 'ECOSYSTEM', [{ introduced: '0' }, { fixed: '3.1.4-r5' }]),
      '3.1.4-r4',
      true,
      ['3.1.4-r5'],
    ],
    ['versions list: listed', { package: { ecosystem: 'PyPI', name: 'p' }, versions: ['1.0', '1.1'] }, '1.1', true, []],
    [
      'versions list: PEP 440 equal spelling',
      { package: { ecosystem: 'PyPI', name: 'p' }, versions: ['1.0'] },
      '1.0.0',
      true,
      [],
    ],
    ['versions list: not listed', { package: { ecosystem: 'PyPI', name: 'p' }, versions: ['1.0'] }, '1.0.1', false, []],
    ['no ranges, no versions: nothing', { package: { ecosystem: 'npm', name: 'p' } }, '1.0.0', false, []],
  ];
  it.each(cases)('%s', (_, affected, v, affectedExpected, fixed) => {
    const result = evaluate(affected, v);
    expect(result.affected).toBe(affectedExpected);
    expect(result.fixed).toEqual(fixed);
  });
});

describe('ranges Vigil cannot evaluate', () => {
  const cases: ReadonlyArray<readonly [string, OsvAffected, string, RegExp]> = [
    ['GIT ranges', entry('npm', 'GIT', [{ introduced: 'a'.repeat(40) }]), '1.0.0', /GIT range ignored/],
    ['unknown range types', entry('npm', 'CALVER', [{ introduced: '0' }]), '1.0.0', /unknown range type/],
    [
      'invalid event versions',
      entry('npm', 'ECOSYSTEM', [{ introduced: '0' }, { fixed: 'not a version' }]),
      '1.0.0',
      /invalid semver version/,
    ],
    ['two versions in one event', entry('npm', 'SEMVER', [{ introduced: '0', fixed: '1.0.0' }]), '0.5.0', /2 versions/],
    ['no introduced', entry('npm', 'SEMVER', [{ fixed: '1.0.0' }]), '0.5.0', /without an introduced/],
    [
      'ecosystems without an ordering',
      entry('Hex', 'ECOSYSTEM', [{ introduced: '0' }]),
      '1.0.0',
      /no version ordering/,
    ],
  ];
  it.each(cases)('%s: not affected, with a problem noted', (_, affected, v, problem) => {
    const compiled = compileAffected(affected);
    expect(compiled.problems.join('\n')).toMatch(problem);
    expect(evaluateAffected(v, compiled).affected).toBe(false);
  });

  it('an installed version the range scheme cannot order is reported, not guessed', () => {
    const result = evaluate(entry('PyPI', 'SEMVER', [{ introduced: '0' }, { fixed: '1.2.0' }]), '1.0.post1');
    expect(result).toEqual({ affected: false, fixed: [], unorderable: ['semver'] });
  });
});

// Property tests over SemVer ranges; node-semver is the independent oracle for the order.
const version = fc
  .tuple(fc.nat(4), fc.nat(4), fc.nat(4), fc.option(fc.constantFrom('alpha', 'beta.1', 'rc.2'), { nil: undefined }))
  .map(([a, b, c, pre]) => `${a}.${b}.${c}${pre === undefined ? '' : `-${pre}`}`);

/** sorted distinct bounds become [introduced, fixed) pairs, the last one possibly open */
const intervals = fc
  .uniqueArray(version, { minLength: 1, maxLength: 8, comparator: (a, b) => semver.eq(a, b) })
  .map((vs) => vs.sort(semver.compare));

function eventsOf(bounds: readonly string[], firstZero: boolean): OsvEvent[] {
  return bounds.map((b, i) => (i % 2 === 0 ? { introduced: i === 0 && firstZero ? '0' : b } : { fixed: b }));
}

function oracle(bounds: readonly string[], firstZero: boolean, v: string): boolean {
  for (let i = 0; i < bounds.length; i += 2) {
    const lower = i === 0 && firstZero ? true : semver.gte(v, bounds[i] as string);
    const upper = i + 1 < bounds.length ? semver.lt(v, bounds[i + 1] as string) : true;
    if (lower && upper) return true;
  }
  return false;
}

describe('range properties (fast-check)', () => {
  /** any events over a small pool of versions, so equal versions of different kinds meet */
  const pool = ['0', '1.0.0', '1.0.0-rc.1', '1.2.0', '2.0.0', '2.0.1'];
  const anyEvents = fc.array(
    fc.oneof(
      fc.constantFrom(...pool).map((v): OsvEvent => ({ introduced: v })),
      fc.constantFrom(...pool.slice(1)).map((v): OsvEvent => ({ fixed: v })),
      fc.constantFrom(...pool.slice(1)).map((v): OsvEvent => ({ last_affected: v })),
    ),
    { minLength: 1, maxLength: 8 },
  );

  it('a version equal to a fixed event is never affected, even where events tie', () => {
    fc.assert(
      fc.property(anyEvents, fc.nat(), (events, pick) => {
        const fixed = events.filter((e) => e.fixed !== undefined);
        fc.pre(fixed.length > 0 && events.some((e) => e.introduced !== undefined));
        const v = fixed[pick % fixed.length]?.fixed as string;
        expect(evaluate(entry('npm', 'SEMVER', events), v).affected).toBe(false);
      }),
    );
  });

  it('the order of events in the record does not change the answer, even where events tie', () => {
    fc.assert(
      fc.property(anyEvents, fc.constantFrom(...pool.slice(1), '0.5.0', '3.0.0'), fc.nat(), (events, v, seed) => {
        const shuffled = [...events].sort((a, b) => hash(a, seed) - hash(b, seed));
        expect(evaluate(entry('npm', 'SEMVER', shuffled), v)).toEqual(evaluate(entry('npm', 'SEMVER', events), v));
      }),
    );
  });

  it('introduced "0" without a fix affects every valid version', () => {
    fc.assert(
      fc.property(version, (v) => {
        expect(evaluate(entry('npm', 'SEMVER', [{ introduced: '0' }]), v).affected).toBe(true);
        expect(evaluate(entry('crates.io', 'ECOSYSTEM', [{ introduced: '0' }]), v).affected).toBe(true);
      }),
    );
  });

  it('agrees with interval membership computed by node-semver, whatever the order of events', () => {
    fc.assert(
      fc.property(intervals, fc.boolean(), version, fc.nat(), (bounds, zero, v, seed) => {
        const events = eventsOf(bounds, zero);
        const shuffled = [...events].sort((a, b) => hash(a, seed) - hash(b, seed));
        const inOrder = evaluate(entry('npm', 'SEMVER', events), v);
        const reordered = evaluate(entry('npm', 'SEMVER', shuffled), v);
        expect(inOrder.affected).toBe(oracle(bounds, zero, v));
        expect(reordered).toEqual(inOrder);
      }),
    );
  });
});

function hash(event: OsvEvent, seed: number): number {
  const text = JSON.stringify(event);
  let h = seed | 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return h;
}
