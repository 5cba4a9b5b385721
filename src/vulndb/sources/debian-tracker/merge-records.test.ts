import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VigilError } from '../../../core/errors.ts';
import type { OsvRecord } from '../../../core/osv.ts';
import type { SourceItem } from '../../types.ts';
import { drain } from './fixture-transport.ts';
import { mergeRecords, mergeRecordsById } from './merge-records.ts';

let tmpDir: string;
beforeAll(async () => {
  tmpDir = await mkdtemp(join(tmpdir(), 'vigil-merge-'));
});
afterAll(async () => {
  await rm(tmpDir, { recursive: true, force: true });
});

const record = (id: string, name: string, extra: Partial<OsvRecord> = {}): SourceItem => ({
  kind: 'osv',
  record: {
    id,
    modified: 'm',
    aliases: [id.slice(7)],
    affected: [{ package: { ecosystem: 'Debian:12', name } }],
    ...extra,
  },
});
const skippedItem: SourceItem = { kind: 'skipped', where: 'w', reason: 'r' };
const summary = (items: readonly SourceItem[]) =>
  items.map((i) =>
    i.kind === 'osv' ? `${i.record.id}: ${i.record.affected?.map((a) => a.package?.name).join(',')}` : i.kind,
  );

async function* from(items: readonly SourceItem[], failure?: Error) {
  yield* items;
  if (failure) throw failure;
}

describe('mergeRecordsById', () => {
  it.each([1, 3, 64])('merges records sharing an id, keeping other items (%i buckets)', async (buckets) => {
    const input = [
      record('DEBIAN-CVE-2024-0002', 'a'),
      skippedItem,
      record('DEBIAN-CVE-2024-0001', 'b'),
      record('DEBIAN-CVE-2024-0002', 'c'),
    ];
    const { items, error } = await drain(mergeRecordsById(from(input), { tmpDir, buckets }));
    expect(error).toBeUndefined();
    expect(
      summary(items)
        .filter((s) => s !== 'skipped')
        .sort(),
    ).toEqual(['DEBIAN-CVE-2024-0001: b', 'DEBIAN-CVE-2024-0002: a,c']);
    expect(summary(items)[0]).toBe('skipped');
  });

  it('after an input failure, yields the merged records, rethrows, and leaves no files', async () => {
    const failure = new VigilError('VIGIL_SOURCE_INVALID', 'cut');
    const { items, error } = await drain(
      mergeRecordsById(from([record('DEBIAN-CVE-2024-0001', 'a')], failure), { tmpDir }),
    );
    expect(summary(items)).toEqual(['DEBIAN-CVE-2024-0001: a']);
    expect(error).toBe(failure);
    expect(await readdir(tmpDir)).toEqual([]);
  });
});

describe('mergeRecords', () => {
  it('unites aliases and upstream, appends affected, keeps the first details', () => {
    const a = { id: 'X', modified: 'm', aliases: ['CVE-1'], details: 'first', affected: [{ versions: ['1'] }] };
    const b = {
      id: 'X',
      modified: 'm',
      aliases: ['CVE-1', 'CVE-2'],
      upstream: ['CVE-1'],
      details: 'second',
      affected: [{ versions: ['2'] }],
    };
    expect(mergeRecords(a, b)).toEqual({
      id: 'X',
      modified: 'm',
      aliases: ['CVE-1', 'CVE-2'],
      upstream: ['CVE-1'],
      details: 'first',
      affected: [{ versions: ['1'] }, { versions: ['2'] }],
    });
  });
});
