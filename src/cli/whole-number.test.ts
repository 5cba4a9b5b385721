import { describe, expect, it } from 'vitest';
import { isVigilError } from '../core/errors.ts';
import { wholeNumber } from './whole-number.ts';

describe('wholeNumber', () => {
  it('reads a whole number within its bounds', () => {
    expect(wholeNumber('--workers', '0', 0)).toBe(0);
    expect(wholeNumber('--api-threads', '64', 1, 64)).toBe(64);
  });

  it.each(['', ' ', '1.5', '-1', 'two', '65', '1e3', 'NaN', 'Infinity'])(
    'refuses "%s" with a usage error that names the flag and its range',
    (text) => {
      const error = (() => {
        try {
          return wholeNumber('--api-threads', text, 0, 64);
        } catch (err) {
          return err;
        }
      })();
      expect(isVigilError(error, 'VIGIL_USAGE')).toBe(true);
      expect((error as Error).message).toContain('--api-threads must be a whole number from 0 to 64');
    },
  );

  it('says "at least" when there is no upper bound', () => {
    expect(() => wholeNumber('--concurrency', '0', 1)).toThrow('--concurrency must be a whole number of at least 1');
  });
});
