import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OsvRecord } from '../../../core/osv.ts';
import { collect, osvRecord } from '../../testing.ts';
import type { SourceItem } from '../../types.ts';
import { writeZip, type ZipEntryOptions } from '../../zip-writer.ts';
import { readOsvZip } from './zip-thread-client.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-osv-thread-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Entry = readonly [string, Buffer | string, ZipEntryOptions?];

async function zipOf(name: string, entries: readonly Entry[]): Promise<string> {
  const path = join(dir, name);
  await writeZip(path, entries);
  return path;
}

const recordEntry = (record: OsvRecord, options: ZipEntryOptions = {}): Entry => [
  `${record.id}.json`,
  JSON.stringify(record, null, 2),
  options,
];

const read = (path: string, signal?: AbortSignal) =>
  readOsvZip(path, { maxEntryBytes: 1024 * 1024, label: 'test.zip', ...(signal !== undefined ? { signal } : {}) });

const summary = (item: SourceItem) =>
  item.kind === 'osv' ? item.record.id : `skipped ${item.kind === 'skipped' ? item.reason : ''}`;

describe('readOsvZip', () => {
  it('keeps the zip order over many batches, bad entries in place, both compressed and stored', async () => {
    const entries: Entry[] = [];
    const expected: string[] = [];
    for (let i = 0; i < 1500; i++) {
      if (i % 250 === 7) {
        entries.push([`BAD-${i}.json`, '{"id": ', {}]);
        expected.push('skipped invalid JSON');
      } else if (i % 250 === 8) {
        entries.push(recordEntry(osvRecord(`CRC-${i}`), { claimedCrc: 1 }));
        expected.push('skipped CRC-32 mismatch');
      } else {
        entries.push(
          recordEntry(osvRecord(`GHSA-${i}`, { name: `pkg-${i}` }), { method: i % 3 ? 'deflate' : 'store' }),
        );
        expected.push(`GHSA-${i}`);
      }
    }
    const items = await collect(read(await zipOf('all.zip', entries)));
    expect(items.map((item) => summary(item).replace(/^(skipped invalid JSON).*/, '$1'))).toEqual(expected);
  });

  it('hands the store a row equal to the record, minified, with its index fields', async () => {
    const record = osvRecord('GHSA-row', {
      packages: [
        ['npm', 'Axios'],
        ['npm', 'left-pad'],
        ['npm', 'axios'],
        ['PyPI', 'Zope.Interface'],
        ['Debian:12', 'openssl'],
        ['Debian:11', 'openssl'],
      ],
      aliases: ['CVE-2025-1'],
    });
    const withdrawn = osvRecord('GHSA-gone', { aliases: ['CVE-2025-2'], withdrawn: '2025-02-01T00:00:00Z' });
    const [item, gone] = await collect(read(await zipOf('all.zip', [recordEntry(record), recordEntry(withdrawn)])));
    if (item?.kind !== 'osv' || item.row === undefined) throw new Error(`not a row: ${JSON.stringify(item)}`);
    // each package once, by base ecosystem and normalized name, as the index holds it
    expect(item.row).toMatchObject({
      id: 'GHSA-row',
      modified: record.modified,
      withdrawn: false,
      aliases: ['CVE-2025-1'],
      packages: ['npm', 'axios', 'npm', 'left-pad', 'PyPI', 'zope-interface', 'Debian', 'openssl'],
      ecosystems: ['npm', 'PyPI', 'Debian:12', 'Debian:11'],
    });
    expect(item.row.json).toBe(JSON.stringify(record));
    expect(item.record).toEqual(record);
    // a withdrawn record stays out of the index
    expect(gone?.kind === 'osv' && gone.row).toMatchObject({
      id: 'GHSA-gone',
      withdrawn: true,
      aliases: ['CVE-2025-2'],
      packages: [],
      ecosystems: [],
    });
  });

  it('hands a store that uses each item at once the JSON as bytes, readable until the next item', async () => {
    const records = [osvRecord('A-1'), osvRecord('A-2', { aliases: ['CVE-2025-9'] })];
    const path = await zipOf(
      'all.zip',
      records.map((record) => recordEntry(record)),
    );
    const kept: SourceItem[] = [];
    for await (const item of readOsvZip(path, {
      maxEntryBytes: 1024 * 1024,
      label: 'test.zip',
      itemsUsedAtOnce: true,
    })) {
      if (item.kind !== 'osv') throw new Error(`not a row: ${JSON.stringify(item)}`);
      expect(Buffer.isBuffer(item.row?.json)).toBe(true);
      expect(String(item.row?.json)).toBe(JSON.stringify(records[kept.length]));
      if (kept.length === 1) expect(item.record).toEqual(records[1]);
      kept.push(item);
    }
    expect(() => kept[0]?.kind === 'osv' && kept[0].record).toThrow(/after the source moved on/);
    // parsed while it could be, a record stays readable
    expect(kept[1]?.kind === 'osv' && kept[1].record).toEqual(records[1]);
  });

  it('reads two zips at once through the one thread', async () => {
    const a = await zipOf('a.zip', [recordEntry(osvRecord('A-1')), recordEntry(osvRecord('A-2'))]);
    const b = await zipOf('b.zip', [recordEntry(osvRecord('B-1'))]);
    const [fromA, fromB] = await Promise.all([collect(read(a)), collect(read(b))]);
    expect(fromA.map(summary)).toEqual(['A-1', 'A-2']);
    expect(fromB.map(summary)).toEqual(['B-1']);
  });

  it('stops with VIGIL_ABORTED when cancelled, and the next read still works', async () => {
    const path = await zipOf(
      'all.zip',
      Array.from({ length: 600 }, (_, i) => recordEntry(osvRecord(`GHSA-${i}`))),
    );
    const controller = new AbortController();
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const item of read(path, controller.signal)) {
          seen.push(summary(item));
          if (seen.length === 10) controller.abort();
        }
      })(),
    ).rejects.toMatchObject({ code: 'VIGIL_ABORTED' });
    expect(seen.length).toBeLessThan(600);
    expect(await collect(read(path))).toHaveLength(600);
  });

  it('lets a reader that stops early go without disturbing the next one', async () => {
    const path = await zipOf(
      'all.zip',
      Array.from({ length: 600 }, (_, i) => recordEntry(osvRecord(`GHSA-${i}`))),
    );
    for await (const _ of read(path)) break;
    expect((await collect(read(path))).map(summary).slice(0, 2)).toEqual(['GHSA-0', 'GHSA-1']);
  });
});
