import { describe, expect, it } from 'vitest';
import { compareDigits } from './digits.ts';
import { ParseCache } from './parse-cache.ts';

describe('ParseCache', () => {
  it('parses each key once while it stays cached', () => {
    let calls = 0;
    const cache = new ParseCache<number>(2);
    const parse = (k: string) => {
      calls++;
      return k.length;
    };
    expect(cache.get('a', parse)).toBe(1);
    expect(cache.get('a', parse)).toBe(1);
    expect(calls).toBe(1);
  });

  it('keeps recently used keys and drops ones unused for a whole generation', () => {
    const parsed: string[] = [];
    const cache = new ParseCache<string>(4); // two generations of two
    const parse = (k: string) => {
      parsed.push(k);
      return k;
    };
    cache.get('a', parse);
    cache.get('b', parse);
    cache.get('c', parse); // a, b become the old generation
    cache.get('a', parse); // hit in the old generation: promoted
    cache.get('d', parse); // c, a become old; b is dropped
    expect(cache.size).toBeLessThanOrEqual(4);
    cache.get('a', parse);
    cache.get('c', parse);
    expect(parsed).toEqual(['a', 'b', 'c', 'd']);
    cache.get('b', parse);
    expect(parsed).toEqual(['a', 'b', 'c', 'd', 'b']);
  });

  it('never holds more than its capacity', () => {
    const cache = new ParseCache<number>(8);
    for (let i = 0; i < 1000; i++) cache.get(String(i), Number);
    expect(cache.size).toBeLessThanOrEqual(8);
  });
});

describe('compareDigits', () => {
  it.each([
    ['0', '0', 0],
    ['007', '7', 0],
    ['10', '9', 1],
    ['99999999999999999999', '100000000000000000000', -1],
    ['000', '0', 0],
    ['12', '13', -1],
  ] as const)('compareDigits(%j, %j) = %i', (a, b, expected) => {
    expect(compareDigits(a, b)).toBe(expected);
  });
});
