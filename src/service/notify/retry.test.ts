import { describe, expect, it } from 'vitest';
import { backoffMs, defaultRetryPolicy, parseRetryAfter } from './retry.ts';
import { testClock } from './testing.ts';

const now = Date.parse('2026-12-01T12:00:00Z');

describe('parseRetryAfter (RFC 9110 §10.2.3)', () => {
  it.each([
    ['120', 120_000],
    [' 0 ', 0],
    ['Tue, 01 Dec 2026 12:01:00 GMT', 60_000],
    ['Tue, 01 Dec 2026 11:00:00 GMT', 0],
    ['-5', undefined],
    ['1.5', undefined],
    ['soon', undefined],
    [null, undefined],
  ])('%j is %j ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});

describe('backoffMs', () => {
  it.each([
    [0, 0.5, undefined, 500],
    [1, 0.5, undefined, 1_000],
    [3, 0.999, undefined, 7_992],
    [10, 0.5, undefined, 30_000],
    [0, 0.5, 42_000, 42_000],
    [0, 0.5, 900_000, 300_000],
  ])('attempt %i, random %f, Retry-After %j: %i ms', (attempt, random, retryAfter, expected) => {
    const clock = { ...testClock(), random: () => random };
    expect(backoffMs(defaultRetryPolicy, clock, attempt, retryAfter)).toBe(expected);
  });
});
