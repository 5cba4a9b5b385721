import { describe, expect, it } from 'vitest';
import { orders, rejects } from '../testing.ts';
import { isPep440, pep440 } from './index.ts';

describe('pep440', () => {
  orders(pep440, [
    ['1.0', '1.0.0', 0],
    ['1.0.dev0', '1.0a0', -1],
    ['1.0a1', '1.0b1', -1],
    ['1.0b1', '1.0rc1', -1],
    ['1.0c1', '1.0rc1', 0],
    ['1.0rc1', '1.0', -1],
    ['1.0', '1.0.post1', -1],
    ['1.0-1', '1.0.post1', 0],
    ['1.0.post', '1.0.post0', 0],
    ['1.0.post1.dev1', '1.0.post1', -1],
    ['1.0+local', '1.0', 1],
    ['1.0+abc', '1.0+1', -1],
    ['1!0.1', '2.0', 1],
    ['1.0.ALPHA1', '1.0a1', 0],
    ['v1.0', '1.0', 0],
    ['0.1-bulbasaur', '0.1', -1],
    ['foo', 'bar', 1],
    ['99999999999999999999', '99999999999999999998', 1],
  ]);
  rejects(pep440, ['', ' 1.0', '1.0 ', 'é', '1.0\n']);

  it.each([
    ['1.0', true],
    ['1!2.0rc1.post2.dev3+ubuntu.1', true],
    ['1.0-1', true],
    ['V1.0', true],
    ['0.1-bulbasaur', false],
    ['1.0+', false],
    ['1.0.dev1.post1', false],
  ] as const)('isPep440(%j) = %s', (v, expected) => {
    expect(isPep440(v)).toBe(expected);
  });
});
