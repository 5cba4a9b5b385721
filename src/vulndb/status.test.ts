import { describe, expect, it } from 'vitest';
import type { VulnDbStatus } from '../core/osv.ts';
import { DEFAULT_STALE_AFTER_MS, parseDuration, staleSources } from './status.ts';

const status: VulnDbStatus = {
  path: '/data/vuln.db',
  schemaVersion: 1,
  sources: [
    { name: 'osv:npm', records: 10, updatedAt: '2026-11-30T12:00:00Z', stale: false },
    { name: 'osv:Go', records: 10, updatedAt: '2026-11-20T12:00:00Z', stale: false },
    { name: 'osv:PyPI', records: 10, updatedAt: '2026-11-30T12:00:00Z', stale: true, lastError: 'HTTP 503' },
    { name: 'kev', records: 0, stale: true },
    { name: 'epss', records: 0, stale: false },
  ],
};

describe('staleSources', () => {
  it('names failed, never-landed and old sources, with why', () => {
    expect(staleSources(status, new Date('2026-12-01T12:00:00Z'), DEFAULT_STALE_AFTER_MS)).toEqual([
      { name: 'osv:Go', reason: 'updated 11 days ago' },
      { name: 'osv:PyPI', reason: 'last update failed: HTTP 503' },
      { name: 'kev', reason: 'last update failed: unknown error' },
      { name: 'epss', reason: 'never updated' },
    ]);
  });

  it('uses the limit it is given', () => {
    const names = staleSources(status, new Date('2026-12-01T12:00:00Z'), parseDuration('12h')).map((s) => s.name);
    expect(names).toEqual(['osv:npm', 'osv:Go', 'osv:PyPI', 'kev', 'epss']);
  });
});

describe('parseDuration', () => {
  it.each([
    ['3d', 259_200_000],
    ['12h', 43_200_000],
    ['90m', 5_400_000],
    ['2w', 1_209_600_000],
    ['30s', 30_000],
    ['1.5d', 129_600_000],
  ])('%s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['3', 'd', '3 days', '-1d', ''])('rejects %j', (text) => {
    expect(() => parseDuration(text)).toThrow(expect.objectContaining({ code: 'VIGIL_USAGE' }));
  });
});
