import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TAR_END, type TarItem, tarBuffer, tarData, tarHeader } from '../../../test/support/build-image.ts';
import { isVigilError, VigilError } from '../../core/errors.ts';
import type { Compression, LayerRef } from '../../core/types.ts';
import type { LayerEntry } from '../types.ts';
import { type LayerReadOptions, layerEntriesFromBlob } from './index.ts';

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

const compress: Record<Compression, (b: Buffer) => Buffer> = {
  none: (b) => b,
  gzip: (b) => gzipSync(b),
  zstd: (b) => zstdCompressSync(b),
};

function layerFor(tar: Buffer, compression: Compression, labelled: Compression = compression) {
  const blob = compress[compression](tar);
  const layer: LayerRef = {
    digest: sha256(blob),
    diffId: sha256(tar),
    mediaType: 'application/vnd.oci.image.layer.v1.tar',
    size: blob.length,
    compression: labelled,
  };
  return { blob, layer };
}

/** Blob chunks of 1000 bytes: content crosses chunk and header boundaries. */
const streamOf = (blob: Buffer) =>
  Readable.from(
    Array.from({ length: Math.ceil(blob.length / 1000) }, (_, i) => blob.subarray(i * 1000, (i + 1) * 1000)),
    { objectMode: false },
  );

interface Seen {
  path: string;
  type: LayerEntry['type'];
  linkTarget?: string;
  body?: string;
}

async function readAll(blob: Buffer, layer: LayerRef, options: LayerReadOptions = {}) {
  const entries: Seen[] = [];
  const warnings: string[] = [];
  let error: unknown;
  try {
    for await (const entry of layerEntriesFromBlob(streamOf(blob), layer, {
      onWarning: (path, message) => warnings.push(`${path}: ${message}`),
      ...options,
    })) {
      const seen: Seen = { path: entry.path, type: entry.type };
      if (entry.linkTarget !== undefined) seen.linkTarget = entry.linkTarget;
      if (entry.content) {
        const chunks: Buffer[] = [];
        for await (const chunk of entry.content) chunks.push(chunk as Buffer);
        seen.body = Buffer.concat(chunks).toString();
      }
      entries.push(seen);
    }
  } catch (err) {
    error = err;
  }
  return { entries, warnings, error };
}

const sample: TarItem[] = [
  { name: './', type: 'directory' },
  { name: './etc/', type: 'directory' },
  { name: './etc/os-release', body: Buffer.from('ID=debian\n') },
  { name: 'usr/lib/big', body: Buffer.alloc(70_000, 'x') },
  { name: 'bin', type: 'symlink', linkname: 'usr/bin' },
  { name: './etc/os-release-link', type: 'link', linkname: './etc/os-release' },
  { name: 'dev/null', type: 'character-device' },
  { name: `long/${'d'.repeat(120)}/${'f'.repeat(150)}`, body: Buffer.from('pax name') },
];

describe('layerEntriesFromBlob', () => {
  it.each(['none', 'gzip', 'zstd'] as const)('reads a %s layer and verifies both digests', async (compression) => {
    const { blob, layer } = layerFor(await tarBuffer(sample), compression);
    let lastBytes = 0;
    const { entries, warnings, error } = await readAll(blob, layer, { onBytes: (n) => (lastBytes = n) });
    expect(error).toBeUndefined();
    expect(warnings).toEqual([]);
    expect(lastBytes).toBe(blob.length);
    expect(entries).toEqual([
      { path: 'etc', type: 'dir' },
      { path: 'etc/os-release', type: 'file', body: 'ID=debian\n' },
      { path: 'usr/lib/big', type: 'file', body: 'x'.repeat(70_000) },
      { path: 'bin', type: 'symlink', linkTarget: 'usr/bin' },
      { path: 'etc/os-release-link', type: 'hardlink', linkTarget: 'etc/os-release' },
      { path: 'dev/null', type: 'other' },
      { path: `long/${'d'.repeat(120)}/${'f'.repeat(150)}`, type: 'file', body: 'pax name' },
    ]);
  });

  it.each([
    ['gzip', 'none'],
    ['zstd', 'gzip'],
    ['none', 'gzip'],
    ['gzip', 'zstd'],
  ] as const)('trusts the bytes over the label: %s content labelled %s', async (actual, labelled) => {
    const { blob, layer } = layerFor(await tarBuffer(sample), actual, labelled);
    const { entries, warnings, error } = await readAll(blob, layer);
    expect(error).toBeUndefined();
    expect(entries).toHaveLength(7);
    expect(warnings).toEqual([expect.stringContaining(`labelled ${labelled} but its content is ${actual}`)]);
  });

  it('reads GNU long names (typeflag L)', async () => {
    const name = `usr/share/${'n'.repeat(200)}`;
    const tar = Buffer.concat([
      tarHeader({ name: '././@LongLink', typeflag: 'L', size: name.length + 1, format: 'gnu' }),
      tarData(Buffer.from(`${name}\0`)),
      tarHeader({ name: name.slice(0, 100), size: 2, format: 'gnu' }),
      tarData(Buffer.from('ok')),
      TAR_END,
    ]);
    const { entries, error } = await readAll(...(Object.values(layerFor(tar, 'gzip')) as [Buffer, LayerRef]));
    expect(error).toBeUndefined();
    expect(entries).toEqual([{ path: name, type: 'file', body: 'ok' }]);
  });

  it.each([
    ['digest', (l: LayerRef) => ({ ...l, digest: sha256(Buffer.from('other')) })],
    ['diffID', (l: LayerRef) => ({ ...l, diffId: sha256(Buffer.from('other')) })],
  ])('fails a %s mismatch after the last entry', async (what, corrupt) => {
    const { blob, layer } = layerFor(await tarBuffer(sample), 'gzip');
    const { entries, error } = await readAll(blob, corrupt(layer));
    expect(entries).toHaveLength(7);
    expect(isVigilError(error, 'VIGIL_DIGEST_MISMATCH')).toBe(true);
    expect((error as Error).message).toContain(what);
  });

  it('fails a digest mismatch on a plain layer whose digest is its diffID', async () => {
    const { blob, layer } = layerFor(await tarBuffer(sample), 'none');
    const wrong = sha256(Buffer.from('other'));
    const { error } = await readAll(blob, { ...layer, digest: wrong, diffId: wrong });
    expect(isVigilError(error, 'VIGIL_DIGEST_MISMATCH')).toBe(true);
  });

  it('skips checks whose expected digest is empty', async () => {
    const { blob, layer } = layerFor(await tarBuffer(sample), 'zstd');
    const { entries, error } = await readAll(blob, { ...layer, digest: '', diffId: '' });
    expect(error).toBeUndefined();
    expect(entries).toHaveLength(7);
  });

  it('refuses an unsupported digest algorithm', async () => {
    const { blob, layer } = layerFor(await tarBuffer(sample), 'none');
    const { error } = await readAll(blob, { ...layer, digest: 'md5:abc' });
    expect(isVigilError(error, 'VIGIL_IMAGE_INVALID')).toBe(true);
  });

  it.each(['gzip', 'zstd', 'none'] as const)(
    'reports a truncated %s layer as invalid, naming it',
    async (compression) => {
      const random = createHash('sha512');
      const noise = Buffer.concat(Array.from({ length: 4000 }, (_, i) => random.copy().update(String(i)).digest()));
      const { blob, layer } = layerFor(await tarBuffer([{ name: 'noise', body: noise }]), compression);
      const { error } = await readAll(blob.subarray(0, Math.floor(blob.length / 2)), layer);
      expect(isVigilError(error, 'VIGIL_LAYER_INVALID')).toBe(true);
      expect((error as Error).message).toContain(layer.digest);
    },
  );

  it('reports a corrupt tar header as invalid', async () => {
    const tar = Buffer.concat([tarHeader({ name: 'etc/passwd', size: 0, badChecksum: true }), TAR_END]);
    const { blob, layer } = layerFor(tar, 'gzip');
    const { error } = await readAll(blob, layer);
    expect(isVigilError(error, 'VIGIL_LAYER_INVALID')).toBe(true);
  });

  it('drops entries that escape the root, keeps absolute names inside it, warns', async () => {
    const nulName = `${'x'.repeat(150)}\0evil`;
    const tar = await tarBuffer([
      { name: '../etc/passwd', body: Buffer.from('escaped') },
      { name: 'a/../../etc/shadow', body: Buffer.from('escaped') },
      { name: '/etc/absolute', body: Buffer.from('kept') },
      { name: 'usr/./lib/../bin/tool', body: Buffer.from('kept') },
      { name: nulName, body: Buffer.from('nul') },
      { name: 'etc/hl', type: 'link', linkname: '../../etc/passwd' },
      { name: 'etc/hl-ok', type: 'link', linkname: '/usr/bin/tool' },
      { name: 'loop-a', type: 'symlink', linkname: 'loop-b' },
      { name: 'loop-b', type: 'symlink', linkname: 'loop-a' },
      { name: 'up', type: 'symlink', linkname: '../../../etc/passwd' },
    ]);
    const { blob, layer } = layerFor(tar, 'gzip');
    const { entries, warnings, error } = await readAll(blob, layer);
    expect(error).toBeUndefined();
    expect(entries).toEqual([
      { path: 'etc/absolute', type: 'file', body: 'kept' },
      { path: 'usr/bin/tool', type: 'file', body: 'kept' },
      { path: 'etc/hl-ok', type: 'hardlink', linkTarget: 'usr/bin/tool' },
      { path: 'loop-a', type: 'symlink', linkTarget: 'loop-b' },
      { path: 'loop-b', type: 'symlink', linkTarget: 'loop-a' },
      { path: 'up', type: 'symlink', linkTarget: '../../../etc/passwd' },
    ]);
    expect(warnings).toEqual([
      expect.stringMatching(/^\.\.\/etc\/passwd: .*escapes/),
      expect.stringMatching(/^a\/\.\.\/\.\.\/etc\/shadow: .*escapes/),
      expect.stringContaining('NUL'),
      expect.stringMatching(/^etc\/hl: dropped hard link .*escapes/),
    ]);
  });

  it('drains content streams the consumer opened but left unread', async () => {
    // Larger than the content stream's buffer: an undrained stream would stall the layer.
    const tar = await tarBuffer([
      { name: 'a', body: Buffer.alloc(4 << 20, 'a') },
      { name: 'b', body: Buffer.from('b') },
    ]);
    const { blob, layer } = layerFor(tar, 'gzip');
    const paths: string[] = [];
    for await (const entry of layerEntriesFromBlob(streamOf(blob), layer)) {
      if (entry.content) paths.push(entry.path);
    }
    expect(paths).toEqual(['a', 'b']);
  });

  it('drains entries the consumer neither reads nor skips, and survives a destroyed content stream', async () => {
    const { blob, layer } = layerFor(await tarBuffer(sample), 'gzip');
    const paths: string[] = [];
    for await (const entry of layerEntriesFromBlob(streamOf(blob), layer)) {
      paths.push(entry.path);
      if (entry.path === 'usr/lib/big') {
        const content = entry.content!;
        await new Promise<void>((resolve) => content.once('data', () => resolve()));
        content.destroy();
      }
    }
    expect(paths).toHaveLength(7);
  });

  it.each([
    ['a plain error', new Error('socket hang up'), 'VIGIL_LAYER_INVALID'],
    ['a VigilError', new VigilError('VIGIL_REGISTRY_TIMEOUT', 'registry too slow'), 'VIGIL_REGISTRY_TIMEOUT'],
  ] as const)('reports a blob stream failing with %s', async (_what, failure, code) => {
    const { blob, layer } = layerFor(await tarBuffer(sample), 'gzip');
    const failing = new Readable({
      read() {
        this.push(blob.subarray(0, 100));
        this.destroy(failure);
      },
    });
    let error: unknown;
    try {
      for await (const entry of layerEntriesFromBlob(failing, layer)) await entry.skip();
    } catch (err) {
      error = err;
    }
    expect(isVigilError(error, code)).toBe(true);
  });

  it('stops when the signal aborts', async () => {
    const { blob, layer } = layerFor(await tarBuffer(sample), 'gzip');
    const controller = new AbortController();
    const { entries, error } = await readAll(blob, layer, {
      signal: controller.signal,
      onBytes: () => controller.abort(),
    });
    expect(entries.length).toBeLessThan(7);
    expect(isVigilError(error, 'VIGIL_ABORTED')).toBe(true);
  });

  it('lets a consumer stop early without leaking', async () => {
    const { blob, layer } = layerFor(await tarBuffer(sample), 'zstd');
    const source = streamOf(blob);
    for await (const entry of layerEntriesFromBlob(source, layer)) {
      expect(entry.path).toBe('etc');
      break;
    }
    expect(source.destroyed).toBe(true);
  });

  it('streams a 1 GiB file with flat memory, hashing it on the way', async () => {
    const size = 1024 ** 3;
    const block = Buffer.alloc(1 << 20, 'vigil pattern ');
    const tarChunks = function* () {
      yield tarHeader({ name: 'huge.bin', size });
      for (let left = size; left > 0; left -= block.length) yield block;
      yield TAR_END;
    };
    const diffHash = createHash('sha256');
    for (const chunk of tarChunks()) diffHash.update(chunk);
    const layer: LayerRef = {
      digest: '',
      diffId: `sha256:${diffHash.digest('hex')}`,
      mediaType: '',
      size: 0,
      compression: 'none',
    };
    const before = process.memoryUsage().rss;
    let peak = before;
    let read = 0;
    for await (const entry of layerEntriesFromBlob(Readable.from(tarChunks(), { objectMode: false }), layer)) {
      for await (const chunk of entry.content!) {
        read += (chunk as Buffer).length;
        if ((read & 0xfffffff) < (chunk as Buffer).length) peak = Math.max(peak, process.memoryUsage().rss);
      }
    }
    expect(read).toBe(size);
    expect(peak - before).toBeLessThan(256 * 1024 ** 2);
  });

  it('stops a gzip bomb at maxUncompressedBytes', async () => {
    // 5 GiB of zeros as 5120 concatenated gzip members of 1 MiB each: a 5 MB blob.
    const member = gzipSync(Buffer.alloc(1 << 20), { level: 9 });
    const head = gzipSync(tarHeader({ name: 'zeros', size: 5 * 1024 ** 3 }));
    const bomb = Readable.from(
      (function* () {
        yield head;
        for (let i = 0; i < 5120; i++) yield member;
      })(),
      { objectMode: false },
    );
    const layer: LayerRef = { digest: '', diffId: '', mediaType: '', size: 0, compression: 'gzip' };
    let error: unknown;
    try {
      for await (const entry of layerEntriesFromBlob(bomb, layer, { maxUncompressedBytes: 16 * 1024 ** 2 })) {
        await entry.skip();
      }
    } catch (err) {
      error = err;
    }
    expect(isVigilError(error, 'VIGIL_LIMIT_EXCEEDED')).toBe(true);
  });

  it('fails with nothing but VigilError on arbitrary bytes', async () => {
    const valid = await tarBuffer(sample);
    const gz = gzipSync(valid);
    const blobs = fc.oneof(
      fc.uint8Array({ maxLength: 4096 }),
      fc.tuple(fc.nat(valid.length - 1), fc.nat(255)).map(([at, byte]) => {
        const copy = Buffer.from(valid);
        copy[at] = byte;
        return copy;
      }),
      fc.tuple(fc.nat(gz.length - 1), fc.nat(255)).map(([at, byte]) => {
        const copy = Buffer.from(gz);
        copy[at] = byte;
        return copy;
      }),
      fc.nat(gz.length).map((n) => gz.subarray(0, n)),
    );
    await fc.assert(
      fc.asyncProperty(blobs, fc.constantFrom<Compression>('none', 'gzip', 'zstd'), async (bytes, label) => {
        const blob = Buffer.from(bytes);
        const { error } = await readAll(blob, { ...layerFor(blob, 'none').layer, compression: label });
        if (error !== undefined && !isVigilError(error)) throw error;
      }),
      { numRuns: 300 },
    );
  });
});
