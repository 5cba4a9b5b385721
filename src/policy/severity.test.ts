import { describe, expect, it } from 'vitest';
import { isVigilError } from '../core/errors.ts';
import type { Severity } from '../core/types.ts';
import { atOrAbove, dropUnfixed, filterBySeverity, parseSeverity, parseSeverityList, shouldFail } from './severity.ts';
import { finding } from './testing.ts';

describe('parseSeverityList', () => {
  it.each([
    ['HIGH,CRITICAL', ['HIGH', 'CRITICAL']],
    ['critical', ['CRITICAL']],
    [' high , Medium ,', ['HIGH', 'MEDIUM']],
    ['LOW,LOW', ['LOW']],
    ['UNKNOWN,NONE', ['UNKNOWN', 'NONE']],
  ])('%j', (text, expected) => {
    expect(parseSeverityList(text)).toEqual(expected);
  });

  it.each(['', ',', 'SEVERE', 'HIGH,BAD', 'toString'])('rejects %j with VIGIL_USAGE', (text) => {
    expect(() => parseSeverityList(text)).toThrow(expect.objectContaining({ code: 'VIGIL_USAGE' }));
  });
});

describe('parseSeverity', () => {
  it('names the flag in the error', () => {
    try {
      parseSeverity('hgh', '--fail-on');
      expect.unreachable();
    } catch (err) {
      expect(isVigilError(err, 'VIGIL_USAGE')).toBe(true);
      expect((err as Error).message).toContain('--fail-on');
    }
  });
});

describe('atOrAbove', () => {
  it.each<[Severity, Severity, boolean]>([
    ['CRITICAL', 'HIGH', true],
    ['HIGH', 'HIGH', true],
    ['MEDIUM', 'HIGH', false],
    ['LOW', 'LOW', true],
    ['UNKNOWN', 'LOW', false],
    ['NONE', 'LOW', false],
    ['UNKNOWN', 'UNKNOWN', true],
    ['LOW', 'UNKNOWN', true],
    ['CRITICAL', 'CRITICAL', true],
    ['HIGH', 'CRITICAL', false],
  ])('%s at or above %s: %s', (severity, threshold, expected) => {
    expect(atOrAbove(severity, threshold)).toBe(expected);
  });
});

const sample = [
  finding({ id: 'CVE-1', severity: 'CRITICAL', fixState: 'fixed' }),
  finding({ id: 'CVE-2', severity: 'HIGH', fixState: 'not-fixed' }),
  finding({ id: 'CVE-3', severity: 'MEDIUM', fixState: 'wont-fix' }),
  finding({ id: 'CVE-4', severity: 'UNKNOWN', fixState: 'fixed' }),
];

describe('filters', () => {
  it.each<[Severity[], string[]]>([
    [
      ['HIGH', 'CRITICAL'],
      ['CVE-1', 'CVE-2'],
    ],
    [['UNKNOWN'], ['CVE-4']],
    [['LOW'], []],
  ])('filterBySeverity(%j)', (keep, ids) => {
    expect(filterBySeverity(sample, keep).map((f) => f.id)).toEqual(ids);
  });

  it('dropUnfixed drops not-fixed and wont-fix', () => {
    expect(dropUnfixed(sample).map((f) => f.id)).toEqual(['CVE-1', 'CVE-4']);
  });
});

describe('shouldFail', () => {
  it.each<[Severity, boolean]>([
    ['CRITICAL', true],
    ['HIGH', true],
    ['LOW', true],
    ['UNKNOWN', true],
  ])('with a CRITICAL finding, --fail-on %s: %s', (threshold, expected) => {
    expect(shouldFail(sample.slice(0, 1), threshold)).toBe(expected);
  });

  it.each<[Severity, boolean]>([
    ['CRITICAL', false],
    ['HIGH', false],
    ['MEDIUM', true],
  ])('with only MEDIUM and UNKNOWN findings, --fail-on %s: %s', (threshold, expected) => {
    expect(shouldFail(sample.slice(2), threshold)).toBe(expected);
  });

  it('never fails on no findings', () => {
    expect(shouldFail([], 'UNKNOWN')).toBe(false);
  });
});
