import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoTime } from './iso-time.ts';

describe('isoTime', () => {
  it('writes what toISOString writes, for any time a Date holds', () => {
    fc.assert(
      // most draws in the years it writes itself, the rest anywhere a Date reaches
      fc.property(
        fc.oneof(fc.integer({ min: 0, max: 253_402_300_799_999 }), fc.integer({ min: -8.64e15, max: 8.64e15 })),
        (ms) => {
          expect(isoTime(ms)).toBe(new Date(ms).toISOString());
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('writes what toISOString writes around the edges of days, years and its fast range', () => {
    const edges = [0, 1, 9, 10, 99, 100, 999, 1000, 59_999, 60_000, 3_599_999, 86_399_999, 86_400_000];
    const years = [Date.UTC(1970, 0, 1), Date.UTC(2000, 1, 29), Date.UTC(2026, 11, 31), Date.UTC(9999, 11, 31)];
    for (const base of years) {
      for (const edge of edges) {
        for (const ms of [base + edge, base - edge]) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
      }
    }
    const last = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
    expect(isoTime(last)).toBe('9999-12-31T23:59:59.999Z');
    expect(isoTime(last + 1)).toBe('+010000-01-01T00:00:00.000Z');
    expect(isoTime(-1)).toBe('1969-12-31T23:59:59.999Z');
  });

  it('hands what is not an integer to toISOString', () => {
    expect(isoTime(1.5)).toBe(new Date(1.5).toISOString());
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
    expect(() => isoTime(8.64e15 + 1)).toThrow(RangeError);
  });

  it('stays right past the point where it forgets the days it remembered', () => {
    for (let day = 0; day < 5000; day++) {
      const ms = day * 86_400_000 + ((day * 7_919) % 86_400_000);
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    }
  });
});
