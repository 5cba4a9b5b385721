import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { disagreements, expectEveryOutcome, orderWithTool, toolAvailable } from '../testing.ts';
import { isPep440, pep440 } from './index.ts';

/**
 * Differential test against packaging.version (pypa/packaging) on the python3 found on PATH, over
 * generated PEP 440 versions in canonical and alternative spellings; and a check that isPep440
 * accepts exactly the strings packaging.version.Version accepts.
 */
const PYTHON = 'python3';
const hasPackaging = toolAvailable(PYTHON, ['-c', 'import packaging.version']);

const COMPARE = `
import sys
from packaging.version import Version
for line in sys.stdin:
    a, b = line.rstrip("\\n").split("\\t")
    va, vb = Version(a), Version(b)
    print((va > vb) - (va < vb))
`;
const VALIDITY = `
import sys
from packaging.version import Version, InvalidVersion
for line in sys.stdin:
    a, _ = line.rstrip("\\n").split("\\t")
    try:
        Version(a)
        print(1)
    except InvalidVersion:
        print(0)
`;

const num = fc.constantFrom('0', '1', '2', '10', '01', '00', '99999999999999999999');
const sep = fc.constantFrom('', '.', '-', '_');
const release = fc.array(num, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('.'));
const pre = fc
  .tuple(
    sep,
    fc.constantFrom('a', 'b', 'rc', 'c', 'alpha', 'beta', 'pre', 'preview', 'RC'),
    sep,
    fc.option(num, { nil: '' }),
  )
  .map(([s1, l, s2, n]) => (n === '' ? `${s1}${l}` : `${s1}${l}${s2}${n}`));
const post = fc.oneof(
  num.map((n) => `-${n}`),
  fc
    .tuple(sep, fc.constantFrom('post', 'rev', 'r'), sep, fc.option(num, { nil: '' }))
    .map(([s1, l, s2, n]) => (n === '' ? `${s1}${l}` : `${s1}${l}${s2}${n}`)),
);
const dev = fc
  .tuple(sep, fc.constantFrom('dev', 'DEV'), fc.option(num, { nil: '' }))
  .map(([s, l, n]) => `${s}${l}${n}`);
const local = fc
  .array(fc.constantFrom('0', '1', '10', 'a', 'b', 'abc', 'ubuntu1', 'Z'), { minLength: 1, maxLength: 3 })
  .chain((parts) =>
    fc
      .array(fc.constantFrom('.', '-', '_'), { minLength: parts.length - 1, maxLength: parts.length - 1 })
      .map((seps) => parts.map((p, i) => (i === 0 ? p : `${seps[i - 1]}${p}`)).join('')),
  );
const head = fc
  .tuple(fc.constantFrom('', '', 'v', 'V'), fc.option(fc.constantFrom('0', '1', '2'), { nil: undefined }), release)
  .map(([v, epoch, rel]) => `${v}${epoch === undefined ? '' : `${epoch}!`}${rel}`);
const tail = fc
  .tuple(
    fc.option(pre, { nil: '' }),
    fc.option(post, { nil: '' }),
    fc.option(dev, { nil: '' }),
    fc.option(local, { nil: undefined }),
  )
  .map(([p, po, d, loc]) => `${p}${po}${d}${loc === undefined ? '' : `+${loc}`}`);
const version = fc.tuple(head, tail).map(([h, t]) => h + t);
// one version in two spellings: PEP 440 normalisation must make them equal
const spelled = fc
  .record({
    epoch: fc.option(fc.constantFrom('1', '2'), { nil: undefined }),
    release: fc.array(fc.constantFrom('0', '1', '2', '10'), { minLength: 1, maxLength: 3 }),
    pre: fc.option(fc.tuple(fc.constantFrom('a', 'b', 'rc'), fc.constantFrom('0', '1', '2')), { nil: undefined }),
    post: fc.option(fc.constantFrom('0', '1', '3'), { nil: undefined }),
    dev: fc.option(fc.constantFrom('0', '1', '4'), { nil: undefined }),
    local: fc.option(fc.array(fc.constantFrom('abc', '1', 'x2'), { minLength: 1, maxLength: 2 }), { nil: undefined }),
  })
  .chain((v) => {
    const spelling = fc.record({
      zeros: fc.constantFrom('', '.0', '.0.0'),
      pad: fc.constantFrom('', '0', '00'),
      pre: fc.constantFrom(0, 1, 2, 3),
      post: fc.constantFrom(0, 1, 2, 3),
      dev: fc.constantFrom(0, 1, 2),
      sep: fc.constantFrom('.', '-', '_'),
      upper: fc.boolean(),
    });
    const render = (w: typeof spelling extends fc.Arbitrary<infer S> ? S : never) => {
      const preWords: Record<string, string[]> = {
        a: ['a', 'alpha', '.a', '-alpha'],
        b: ['b', 'beta', '_b', '.beta'],
        rc: ['rc', 'c', 'pre', 'preview'],
      };
      let out = v.epoch === undefined ? '' : `${v.epoch}!`;
      out += v.release.map((n) => w.pad + n).join('.') + w.zeros;
      if (v.pre !== undefined) out += `${preWords[v.pre[0]]?.[w.pre]}${w.pad}${v.pre[1]}`;
      if (v.post !== undefined)
        out += [`.post${v.post}`, `-${v.post}`, `post${w.pad}${v.post}`, `.rev${v.post}`][w.post];
      if (v.dev !== undefined) out += [`.dev${v.dev}`, `dev${w.pad}${v.dev}`, `-dev${v.dev}`][w.dev];
      if (v.local !== undefined) out += `+${v.local.join(w.sep)}`;
      return w.upper ? out.toUpperCase() : out;
    };
    return fc.tuple(spelling, spelling).map(([x, y]) => [render(x), render(y)] as [string, string]);
  });
// independent versions, two sharing epoch and release so pre/post/dev/local decide, or one spelled twice
const pair = fc.oneof(
  fc.tuple(version, version),
  fc.tuple(head, tail, tail).map(([h, t1, t2]) => [h + t1, h + t2] as [string, string]),
  spelled,
);
// strings near the grammar's edges, for the validity check
const fragment = fc.constantFrom(
  '1',
  '0',
  '.',
  '-',
  '_',
  '+',
  '!',
  'a',
  'b',
  'rc',
  'post',
  'dev',
  'r',
  'v',
  'x',
  'local',
  '..',
  '1!',
  '+a',
);
const nearVersion = fc
  .tuple(fc.constantFrom('1', '1.0', '0', 'v1', '1!1', '', '1.'), fc.array(fragment, { maxLength: 5 }))
  .map(([start, f]) => start + f.join(''))
  .filter((s) => s !== '');

const title = hasPackaging
  ? 'pep440 vs packaging.version'
  : 'pep440 vs packaging.version (SKIPPED: python3 has no packaging)';

describe.skipIf(!hasPackaging)(title, () => {
  it('agrees on 4000 generated pairs', () => {
    const pairs = fc.sample(pair, { numRuns: 4000, seed: 440 });
    const ours = pairs.map(([a, b]) => pep440.compare(a, b));
    const theirs = orderWithTool(PYTHON, ['-c', COMPARE], pairs);
    expect(disagreements(pairs, ours, theirs)).toEqual([]);
    expectEveryOutcome(theirs);
  });

  it('accepts as PEP 440 exactly what packaging accepts, on 3000 near-versions', () => {
    const strings = [...new Set(fc.sample(nearVersion, { numRuns: 3000, seed: 441 }))];
    const theirs = orderWithTool(
      PYTHON,
      ['-c', VALIDITY],
      strings.map((s) => [s, ''] as const),
    );
    // the sample must exercise both sides of the grammar
    expect(theirs.filter((t) => t === 1).length).toBeGreaterThan(100);
    expect(theirs.filter((t) => t === 0).length).toBeGreaterThan(100);
    const wrong = strings.filter((s, i) => isPep440(s) !== (theirs[i] === 1));
    expect(wrong).toEqual([]);
  });
});
