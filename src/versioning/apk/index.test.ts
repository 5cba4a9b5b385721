import { describe, expect, it } from 'vitest';
import { orders, rejects } from '../testing.ts';
import { apk, apkFuzzyCompare, isWellFormedApkVersion } from './index.ts';

describe('apk', () => {
  orders(apk, [
    ['1.0_alpha1', '1.0', -1],
    ['1.0_alpha1', '1.0_beta1', -1],
    ['1.0_rc1', '1.0_rc2', -1],
    ['1.0', '1.0_p1', -1],
    ['1.0_git20240101', '1.0', 1],
    ['1.0-r1', '1.0-r2', -1],
    ['1.0-r9', '1.0-r10', -1],
    ['1.0a', '1.0b', -1],
    ['1.0', '1.0a', -1],
    ['1.01', '1.1', -1],
    ['1.0~abc', '1.0', 1],
    ['1.0~abc-r0', '1.0-r5', 1],
    ['1.0~0a-r1', '1.0~0b-r0', -1],
    ['1.0.0', '1.0', 1],
    ['1.0', '1.0.0_alpha', -1],
    ['99999999999999999999', '99999999999999999998', 1],
  ]);
  rejects(apk, ['', ' 1.0', '1.0\n', 'é', '1.0 -r1']);

  it('keeps the text fallback for two malformed versions, which is not transitive', () => {
    expect(apk.compare('1.9x!', '1.10')).toBe(-1);
    expect(apk.compare('1.10', '1.10x!')).toBe(-1);
    expect(apk.compare('1.10x!', '1.9x!')).toBe(-1);
  });

  it.each([
    ['1.2.3-r4', true],
    ['1.2.3a_rc1_p2~0abc-r1', true],
    ['1.2_pre', true],
    ['1.2-r', false],
    ['1.2_foo', false],
    ['1.2bc', false],
    ['1.2~', false],
    ['.1', false],
    ['', false],
  ] as const)('isWellFormedApkVersion(%j) = %s', (v, expected) => {
    expect(isWellFormedApkVersion(v)).toBe(expected);
  });
});

describe('apkFuzzyCompare', () => {
  it.each([
    ['3.6.0', '3.6', 0],
    ['3.6_rc1', '3.6', 0],
    ['3.7', '3.6', 1],
    ['3.5.9', '3.6', -1],
    ['3.6', '3.6.1', -1],
    // b goes on past its numbers: the full order decides
    ['3.6.0', '3.6_rc1', 1],
    ['3.6-r1', '3.6-r1', 0],
    ['3.6-r2', '3.6-r1', 1],
  ] as const)('%s against %s is %i', (a, b, expected) => {
    expect(apkFuzzyCompare(a, b)).toBe(expected);
  });
});
