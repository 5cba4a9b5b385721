import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { disagreements, expectEveryOutcome, orderWithTool, toolAvailable } from '../testing.ts';
import { deb } from './index.ts';

/**
 * Differential test against `dpkg --compare-versions` over generated pairs. Pieces are drawn from a
 * small alphabet so pairs often share prefixes and hit the interesting cases (~, leading zeros,
 * letters against separators, missing revisions).
 */
const hasDpkg = toolAvailable('dpkg', ['--version']);

const piece = fc.constantFrom(
  '0',
  '1',
  '2',
  '9',
  '10',
  '01',
  '00',
  'a',
  'b',
  'z',
  'A',
  '~',
  '~~',
  '+',
  '.',
  'rc',
  '~rc',
);
const upstream = fc
  .tuple(fc.constantFrom('0', '1', '2', '10', '01'), fc.array(piece, { maxLength: 5 }))
  .map(([first, rest]) => first + rest.join(''));
const revision = fc.array(piece, { minLength: 1, maxLength: 4 }).map((p) => p.join(''));
const version = fc
  .tuple(
    fc.option(fc.constantFrom('0', '1', '2', '10'), { nil: undefined }),
    upstream,
    fc.option(revision, { nil: undefined }),
  )
  .map(([epoch, up, rev]) => `${epoch === undefined ? '' : `${epoch}:`}${up}${rev === undefined ? '' : `-${rev}`}`);
// a pair is either independent or a version and a small edit of it
const pair = fc.oneof(
  fc.tuple(version, version),
  fc.tuple(version, piece).map(([v, p]) => [v, v + p] as [string, string]),
  fc.tuple(version, piece).map(([v, p]) => [v, `${v}-${p.replace(/^[~+.]+/, '') || '0'}`] as [string, string]),
);

// one dpkg process per comparison (it has no batch mode); a shell loop keeps the cost to fork+exec
const DPKG_LOOP = `while IFS="$(printf '\\t')" read -r a b; do
  if dpkg --compare-versions "$a" lt "$b"; then echo -1
  elif dpkg --compare-versions "$a" gt "$b"; then echo 1
  else echo 0; fi
done`;

const title = hasDpkg
  ? 'deb vs dpkg --compare-versions'
  : 'deb vs dpkg --compare-versions (SKIPPED: dpkg not installed)';

describe.skipIf(!hasDpkg)(title, () => {
  it('agrees on 1500 generated pairs', () => {
    const pairs = fc
      .sample(pair, { numRuns: 1500, seed: 20261122 })
      .filter(([a, b]) => deb.isValid(a) && deb.isValid(b));
    expect(pairs.length).toBeGreaterThan(1400);
    const ours = pairs.map(([a, b]) => deb.compare(a, b));
    const theirs = orderWithTool('sh', ['-c', DPKG_LOOP], pairs);
    expect(disagreements(pairs, ours, theirs)).toEqual([]);
    expectEveryOutcome(theirs);
  });
});
