import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { disagreements, expectEveryOutcome, orderWithTool, toolAvailable } from '../testing.ts';
import { rpm, rpmvercmp } from './index.ts';

/**
 * Differential test against rpm itself, through Debian's python3-rpm bindings for the system
 * python: rpm.ver() parses epoch:version-release as rpm does, labelCompare() orders the labels, and
 * labelCompare() on bare versions is rpmvercmp(). All pairs go through one python process.
 */
const PYTHON = '/usr/bin/python3';
const hasRpm = toolAvailable(PYTHON, ['-c', 'import rpm']);

const LABEL_COMPARE = `
import sys, rpm
for line in sys.stdin:
    a, b = line.rstrip("\\n").split("\\t")
    va, vb = rpm.ver(a), rpm.ver(b)
    print(rpm.labelCompare((va.e, va.v, va.r), (vb.e, vb.v, vb.r)))
`;
const BARE_VERCMP = `
import sys, rpm
for line in sys.stdin:
    a, b = line.rstrip("\\n").split("\\t")
    print(rpm.labelCompare(("0", a, None), ("0", b, None)))
`;

const piece = fc.constantFrom(
  '0',
  '1',
  '2',
  '9',
  '10',
  '01',
  '007',
  'a',
  'b',
  'Z',
  'rc',
  '~',
  '~~',
  '^',
  '.',
  '_',
  '+',
  '%',
);
const segment = fc.array(piece, { minLength: 1, maxLength: 6 }).map((p) => p.join(''));
const label = fc
  .tuple(
    fc.option(fc.constantFrom('0', '1', '2', '10'), { nil: undefined }),
    segment,
    fc.option(segment, { nil: undefined }),
  )
  .map(
    ([epoch, version, release]) =>
      `${epoch === undefined ? '' : `${epoch}:`}${version}${release === undefined ? '' : `-${release}`}`,
  );
const pairOf = (v: fc.Arbitrary<string>) =>
  fc.oneof(
    fc.tuple(v, v),
    fc.tuple(v, piece).map(([x, p]) => [x, x + p] as [string, string]),
  );

const title = hasRpm ? 'rpm vs python3-rpm' : 'rpm vs python3-rpm (SKIPPED: /usr/bin/python3 cannot import rpm)';

describe.skipIf(!hasRpm)(title, () => {
  it('labels: agrees with rpm.ver + rpm.labelCompare on 3000 generated pairs', () => {
    const pairs = fc
      .sample(pairOf(label), { numRuns: 3000, seed: 4242 })
      .filter(([a, b]) => rpm.isValid(a) && rpm.isValid(b));
    expect(pairs.length).toBeGreaterThan(2900);
    const ours = pairs.map(([a, b]) => rpm.compare(a, b));
    const theirs = orderWithTool(PYTHON, ['-c', LABEL_COMPARE], pairs);
    expect(disagreements(pairs, ours, theirs)).toEqual([]);
    expectEveryOutcome(theirs);
  });

  it('rpmvercmp: agrees with labelCompare on bare versions on 3000 generated pairs', () => {
    const pairs = fc.sample(pairOf(segment), { numRuns: 3000, seed: 777 });
    const ours = pairs.map(([a, b]) => rpmvercmp(a, b));
    const theirs = orderWithTool(PYTHON, ['-c', BARE_VERCMP], pairs);
    expect(disagreements(pairs, ours, theirs)).toEqual([]);
    expectEveryOutcome(theirs);
  });
});
