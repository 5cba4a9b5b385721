import fc from 'fast-check';
import nodeSemver from 'semver';
import { describe, expect, it } from 'vitest';
import { go } from '../go/index.ts';
import { disagreements, expectEveryOutcome } from '../testing.ts';
import type { Ordering } from '../types.ts';
import { semver } from './index.ts';

/**
 * Differential test against node-semver (the npm `semver` package) on strict SemVer 2.0.0 strings,
 * for the semver scheme and for Go (whose versions are the same strings with a "v").
 */
const numeric = fc.constantFrom('0', '1', '2', '9', '10', '11', '123');
const identifier = fc.oneof(numeric, fc.constantFrom('alpha', 'beta', 'rc', 'a', 'A', 'b1', '0a', 'x-y', '-', 'Z9'));
const prerelease = fc.array(identifier, { minLength: 1, maxLength: 4 }).map((ids) => ids.join('.'));
const build = fc
  .array(fc.constantFrom('1', '001', 'build', 'sha-abc', 'incompatible'), { minLength: 1, maxLength: 2 })
  .map((ids) => ids.join('.'));
const core = fc.tuple(numeric, numeric, numeric).map((parts) => parts.join('.'));
const version = fc
  .tuple(core, fc.option(prerelease, { nil: undefined }), fc.option(build, { nil: undefined }))
  .map(([c, p, b]) => `${c}${p === undefined ? '' : `-${p}`}${b === undefined ? '' : `+${b}`}`);
const pair = fc.oneof(
  fc.tuple(version, version),
  fc
    .tuple(core, fc.option(prerelease, { nil: '' }), fc.option(prerelease, { nil: '' }))
    .map(([c, p, q]) => [p === '' ? c : `${c}-${p}`, q === '' ? c : `${c}-${q}`]),
);

describe('semver and go vs node-semver', () => {
  const pairs = fc.sample(pair, { numRuns: 5000, seed: 2_0_0 }) as [string, string][];
  const theirs = pairs.map(([a, b]) => nodeSemver.compare(a, b) as Ordering);

  it('node-semver accepts every generated version (the generator is strict SemVer)', () => {
    expect(pairs.filter(([a, b]) => nodeSemver.valid(a) === null || nodeSemver.valid(b) === null)).toEqual([]);
  });

  it('semver agrees on 5000 generated pairs', () => {
    expectEveryOutcome(theirs);
    expect(
      disagreements(
        pairs,
        pairs.map(([a, b]) => semver.compare(a, b)),
        theirs,
      ),
    ).toEqual([]);
  });

  it('go agrees on the same pairs written with a "v"', () => {
    const ours = pairs.map(([a, b]) => go.compare(`v${a}`, `v${b}`));
    expect(disagreements(pairs, ours, theirs)).toEqual([]);
  });
});
