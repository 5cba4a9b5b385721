import { describe, expect, it } from 'vitest';
import type { OsvRecord } from '../core/osv.ts';
import { osvRow, osvRowItem } from './osv-row.ts';

const record = (id: string): OsvRecord => ({
  id,
  modified: '2026-11-01T00:00:00Z',
  affected: [
    { package: { ecosystem: 'npm', name: 'lodash' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }] },
  ],
});
const rowOf = (r: OsvRecord, bytes = false) => {
  const row = osvRow(r, JSON.stringify(r));
  return bytes ? { ...row, json: Buffer.from(row.json as string) } : row;
};

describe('osvRowItem', () => {
  it('parses the record from the row when first read, once', () => {
    const item = osvRowItem(rowOf(record('GHSA-1'), true));
    expect(item.kind).toBe('osv');
    if (item.kind !== 'osv') return;
    expect(Object.keys(item)).toContain('record');
    expect(item.record).toEqual(record('GHSA-1'));
    expect(item.record).toBe(item.record);
  });

  it('refuses to parse bytes the source has moved past', () => {
    const lease = { valid: true };
    const item = osvRowItem(rowOf(record('GHSA-2'), true), lease);
    lease.valid = false;
    if (item.kind !== 'osv') throw new Error('not an osv item');
    expect(() => item.record).toThrow(/GHSA-2 was read after the source moved on/);
  });

  // A getter closure per item puts each in V8's dictionary mode, and its old-generation accessor
  // pair keeps the row alive past young-generation collections (see osvRowItem).
  it('reads every record through one shared getter', () => {
    const getter = (item: object) => Object.getOwnPropertyDescriptor(item, 'record')?.get;
    const a = osvRowItem(rowOf(record('GHSA-3')));
    const b = osvRowItem(rowOf(record('GHSA-4')), { valid: true });
    expect(getter(a)).toBeTypeOf('function');
    expect(getter(a)).toBe(getter(b));
  });
});
