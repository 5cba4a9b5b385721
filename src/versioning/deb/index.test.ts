import { describe, expect, it } from 'vitest';
import { orders, rejects } from '../testing.ts';
import { deb, parseDebVersion, verrevcmp } from './index.ts';

describe('deb', () => {
  orders(deb, [
    ['1.0~rc1', '1.0', -1],
    ['1.0~~', '1.0~', -1],
    ['1.0', '1.0+b1', -1],
    ['1.0', '1.0.0', -1],
    ['1.0a', '1.0+', -1],
    ['1:1.0', '2.0', 1],
    ['0:1.0', '1.0', 0],
    ['10:1', '9:99', 1],
    ['1.0-1', '1.0-01', 0],
    ['1.0-1', '1.0-1~bpo11+1', 1],
    ['2.30-1ubuntu1', '2.30-1', 1],
    ['7.4.052-1ubuntu3', '7.4.052-1ubuntu3.1', -1],
    ['1.2-3-4', '1.2-3-5', -1],
    ['2:1.0', '1:99999999999999999999', 1],
    ['1.0', '1.0-0', 0],
  ]);
  rejects(deb, ['', ':1.0', 'a:1.0', '1:', '1.0-', '-1', '2147483648:1', '1.0 1', 'é', '1.0\t']);

  it.each([
    ['1:2.3-4', { epoch: '1', upstream: '2.3', revision: '4' }],
    ['2.3', { epoch: '0', upstream: '2.3', revision: '' }],
    ['1:2:3-4-5', { epoch: '1', upstream: '2:3-4', revision: '5' }],
  ])('parseDebVersion(%j)', (v, expected) => {
    expect(parseDebVersion(v)).toEqual(expected);
  });

  it.each([
    ['~', '', -1],
    ['', 'a', -1],
    ['a', '.', -1],
    ['01', '1', 0],
  ] as const)('verrevcmp(%j, %j) = %i', (a, b, expected) => {
    expect(verrevcmp(a, b)).toBe(expected);
  });
});
