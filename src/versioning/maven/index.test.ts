import { describe, expect, it } from 'vitest';
import { orders, rejects } from '../testing.ts';
import { maven } from './index.ts';

describe('maven', () => {
  orders(maven, [
    ['1.0', '1.0.0', 0],
    ['1.0-alpha-1', '1.0', -1],
    ['1.0-alpha-1', '1.0-beta-1', -1],
    ['1.0-m1', '1.0-rc1', -1],
    ['1.0-rc1', '1.0-SNAPSHOT', -1],
    ['1.0-SNAPSHOT', '1.0', -1],
    ['1.0', '1.0-sp1', -1],
    ['1.0.Final', '1.0', 0],
    ['1.0-ga', '1.0', 0],
    ['1.0.RELEASE', '1.0', 0],
    ['1.0-cr1', '1.0-rc1', 0],
    ['1.0-foo', '1.0', 1],
    ['1.0-1', '1.0', 1],
    ['1.0-1', '1.0.1', -1],
    ['2.0.0.v20100401', '2.0.0', 1],
    ['12345678901234567890.1', '1234567890.1', 1],
  ]);
  rejects(maven, ['', ' ', '1 0', '1.0\n', 'é']);

  it('keeps the non-transitive corner of ComparableVersion: 1.sp < 1-alpha-1 < 1 < 1.sp', () => {
    expect(maven.compare('1.sp', '1-alpha-1')).toBe(-1);
    expect(maven.compare('1-alpha-1', '1')).toBe(-1);
    expect(maven.compare('1', '1.sp')).toBe(-1);
  });
});
