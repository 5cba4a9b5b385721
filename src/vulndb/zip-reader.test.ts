import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isVigilError } from '../core/errors.ts';
import { collect } from './testing.ts';
import {
  inflateZipEntries,
  inflateZipEntry,
  readZipEntries,
  releaseInflated,
  type ZipEntryResult,
} from './zip-reader.ts';
import { writeZip, type ZipEntryOptions } from './zip-writer.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-zip-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const MAX = 64 * 1024;

function summary(results: ZipEntryResult[]): Array<[string, string]> {
  return results.map((r) => [r.name, r.kind === 'entry' ? r.data.toString() : `bad: ${r.reason}`]);
}

describe('readZipEntries', () => {
  it('reads deflated and stored entries in directory order', async () => {
    const path = join(dir, 'ok.zip');
    await writeZip(path, [
      ['A.json', '{"a":1}'],
      ['B.json', 'stored text', { method: 'store' }],
      ['C.json', 'x'.repeat(5000)],
    ]);
    const results = await collect(readZipEntries(path, { maxEntryBytes: MAX }));
    expect(summary(results)).toEqual([
      ['A.json', '{"a":1}'],
      ['B.json', 'stored text'],
      ['C.json', 'x'.repeat(5000)],
    ]);
  });

  it('reads entries larger than the read-ahead window', async () => {
    const path = join(dir, 'big.zip');
    const big = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251;
    await writeZip(path, [
      ['big.json', big, { method: 'store' }],
      ['after.json', 'tail'],
    ]);
    const results = await collect(readZipEntries(path, { maxEntryBytes: 8 * 1024 * 1024 }));
    expect(results.map((r) => r.kind)).toEqual(['entry', 'entry']);
    expect(results[0]?.kind === 'entry' && results[0].data.equals(big)).toBe(true);
  });

  it.each<[string, string, Buffer | string, ZipEntryOptions, RegExp]>([
    ['parent traversal', '../../etc/passwd.json', '{}', {}, /path traversal/],
    ['nested traversal', 'a/../../b.json', '{}', {}, /path traversal/],
    ['absolute path', '/etc/cron.d/x.json', '{}', {}, /absolute path/],
    ['drive letter', 'C:\\x.json', '{}', {}, /absolute path/],
    [
      'bad deflate data',
      'BAD.json',
      '{"id":"x"}',
      { tamper: () => Buffer.from([0xff, 0xff, 0xff, 0xff]) },
      /bad deflate/,
    ],
    ['CRC mismatch', 'CRC.json', '{"id":"x"}', { claimedCrc: 12345 }, /CRC-32 mismatch/],
    ['size the directory lies about', 'LIE.json', 'y'.repeat(100), { claimedSize: 10 }, /bytes, the directory says 10/],
    ['entry over the bound', 'HUGE.json', 'z'.repeat(MAX + 1), {}, /over the 65536-byte bound/],
    [
      'deflate bomb under a small claimed size',
      'BOMB.json',
      '0'.repeat(MAX * 4),
      { claimedSize: 100 },
      /inflates past/,
    ],
  ])('reports %s as a bad entry and reads on', async (_case, name, content, options, reason) => {
    const path = join(dir, 'hostile.zip');
    await writeZip(path, [
      ['FIRST.json', '1'],
      [name, content, options],
      ['LAST.json', '2'],
    ]);
    const results = await collect(readZipEntries(path, { maxEntryBytes: MAX }));
    // yauzl turns backslashes into slashes (APPNOTE 4.4.17.1: "/" is the only separator)
    expect(results.map((r) => r.name)).toEqual(['FIRST.json', name.replaceAll('\\', '/'), 'LAST.json']);
    const bad = results[1];
    expect(bad?.kind).toBe('bad');
    expect(bad?.kind === 'bad' ? bad.reason : '').toMatch(reason);
    expect(results[2]?.kind).toBe('entry');
  });

  it('skips names the caller does not want without reading them', async () => {
    const path = join(dir, 'mixed.zip');
    await writeZip(path, [
      ['README.txt', 'hello'],
      ['X-1.json', '{}'],
      ['dir/', ''],
    ]);
    const results = await collect(readZipEntries(path, { maxEntryBytes: MAX, wants: (n) => n.endsWith('.json') }));
    expect(results.map((r) => r.name)).toEqual(['X-1.json']);
  });

  it('throws VIGIL_SOURCE_INVALID for a truncated zip (no end of central directory)', async () => {
    const path = join(dir, 'cut.zip');
    await writeZip(path, [
      ['A.json', '{}'],
      ['B.json', '{}'],
    ]);
    await truncate(path, 40);
    const error = await collect(
      readZipEntries(path, { maxEntryBytes: MAX, label: 'https://mirror/npm/all.zip' }),
    ).catch((err: unknown) => err);
    expect(isVigilError(error, 'VIGIL_SOURCE_INVALID')).toBe(true);
    expect((error as Error).message).toContain('https://mirror/npm/all.zip');
  });

  it('throws VIGIL_SOURCE_INVALID for a file that is not a zip', async () => {
    const path = join(dir, 'text.zip');
    await writeFile(path, 'not a zip at all');
    await expect(collect(readZipEntries(path, { maxEntryBytes: MAX }))).rejects.toMatchObject({
      code: 'VIGIL_SOURCE_INVALID',
    });
  });

  it('yields the entries before a corrupt central-directory record, then throws', async () => {
    const path = join(dir, 'corrupt-cd.zip');
    await writeZip(path, [
      ['A.json', 'a'],
      ['B.json', 'b'],
      ['C.json', 'c'],
    ]);
    const bytes = await readFile(path);
    // the third central directory header: corrupt its signature
    let found = -1;
    for (let i = 0, seen = 0; i < bytes.length - 4; i++) {
      if (bytes.readUInt32LE(i) === 0x02014b50 && ++seen === 3) found = i;
    }
    bytes.writeUInt32LE(0xdeadbeef, found);
    await writeFile(path, bytes);
    const seen: string[] = [];
    const error = await (async () => {
      for await (const entry of readZipEntries(path, { maxEntryBytes: MAX })) seen.push(entry.name);
    })().catch((err: unknown) => err);
    expect(seen).toEqual(['A.json', 'B.json']);
    expect(isVigilError(error, 'VIGIL_SOURCE_INVALID')).toBe(true);
  });
});

describe('readZipEntries on a zip64 archive', () => {
  it('reads every entry of an archive with more than 65,535 entries', async () => {
    const path = join(dir, 'many.zip');
    const total = 70_000;
    await writeZip(
      path,
      (function* () {
        for (let i = 0; i < total; i++) yield [`E-${i}.json`, String(i), { method: 'store' }] as const;
      })(),
    );
    let count = 0;
    let last = '';
    for await (const entry of readZipEntries(path, { maxEntryBytes: MAX })) {
      count++;
      if (entry.kind === 'entry') last = `${entry.name}=${entry.data.toString()}`;
    }
    expect(count).toBe(total);
    expect(last).toBe('E-69999.json=69999');
  });
});

describe('inflateZipEntries', () => {
  const MAX_ENTRY = 16 * 1024;
  const text = (i: number) => JSON.stringify({ id: `X-${i}`, details: 'overflow '.repeat(i * 7) });
  type Located = Parameters<typeof inflateZipEntries>[0][number];
  const deflated = (data: string, change: Partial<Located> = {}): Located => ({
    method: 8,
    compressed: deflateRawSync(Buffer.from(data)),
    uncompressedSize: Buffer.byteLength(data),
    crc32: crc32(Buffer.from(data)),
    ...change,
  });
  const stored = (data: string): Located => ({ ...deflated(data), method: 0, compressed: Buffer.from(data) });
  const good = [deflated(text(1)), deflated(''), stored(text(2)), deflated(text(3)), deflated(text(40))];

  it.each<[string, Located[]]>([
    ['good entries, deflated and stored', good],
    ['a CRC-32 the data does not have', [...good, { ...deflated(text(4)), crc32: 12345 }, deflated(text(5))]],
    ['a size larger than the data', [deflated(text(6)), { ...deflated(text(7)), uncompressedSize: 99 }]],
    ['a size smaller than the data', [deflated(text(8)), { ...deflated(text(9)), uncompressedSize: 3 }, deflated('x')]],
    ['a size 2^32 more than the data', [deflated(text(8)), { ...deflated(text(9)), uncompressedSize: 2 ** 32 + 10 }]],
    ['data inflating past the bound', [deflated(text(1)), deflated('y'.repeat(MAX_ENTRY + 10))]],
    [
      'truncated deflate data',
      [deflated(text(10)), { ...deflated(text(11)), compressed: deflated(text(11)).compressed.subarray(0, 20) }],
    ],
    [
      'bytes after the deflate stream',
      [
        {
          ...deflated(text(12)),
          compressed: Buffer.concat([deflated(text(12)).compressed, Buffer.from([0x1f, 0x8b, 8])]),
        },
        deflated(text(13)),
      ],
    ],
    [
      'bytes that are not deflate data',
      [deflated(text(14)), { ...deflated(text(15)), compressed: Buffer.from('not deflate at all') }],
    ],
    ['a lone entry', [deflated(text(16))]],
    ['nothing', []],
  ])('%s: the same results as one entry at a time', (_, entries) => {
    const oneByOne = entries.map((entry) => inflateZipEntry(entry, MAX_ENTRY));
    const batched = inflateZipEntries(entries, MAX_ENTRY);
    expect(batched.map(String)).toEqual(oneByOne.map(String));
  });

  it('checks every deflated entry when they are all good', () => {
    expect(inflateZipEntries(good, MAX_ENTRY).map(String)).toEqual([text(1), '', text(2), text(3), text(40)]);
  });
});

describe('releaseInflated', () => {
  it('frees large inflated buffers at once and leaves pooled ones alone', () => {
    const large = inflateZipEntries(
      Array.from({ length: 40 }, (_, i) => {
        const data = Buffer.from(JSON.stringify({ id: `X-${i}`, details: 'text '.repeat(800) }));
        return { method: 8, compressed: deflateRawSync(data), uncompressedSize: data.length, crc32: crc32(data) };
      }),
      1024 * 1024,
    );
    const pooled = Buffer.from('small');
    const neighbour = Buffer.from('shares the pool');
    releaseInflated([...large, pooled, 'not bytes']);
    expect(large.every((data) => typeof data !== 'string' && data.length === 0)).toBe(true);
    expect(pooled.toString()).toBe('small');
    expect(neighbour.toString()).toBe('shares the pool');
  });
});
