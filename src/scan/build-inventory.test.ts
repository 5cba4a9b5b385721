import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VigilError } from '../core/errors.ts';
import type { Distro, LayerRef, ResolvedImage } from '../core/types.ts';
import type { Extractor } from '../extract/types.ts';
import type { EntryReadOptions, ImageSource, LayerEntry } from '../image/types.ts';
import { buildInventory, type InventoryOptions } from './build-inventory.ts';

/** A layer as the walker sees it: tar order preserved. */
type EntrySpec =
  | { path: string; file: string }
  | { path: string; symlink: string }
  | { path: string; hardlink: string }
  | { path: string; dir: true };

/** In-memory image source: the pipeline's contract with real sources, without archives. */
class MemorySource implements ImageSource {
  readonly ref = { transport: 'oci' as const, original: 'oci:memory' };
  readonly reads: number[] = [];
  readonly layers: EntrySpec[][];
  readonly failLayer: number | undefined;
  readonly diffIds: string[];

  constructor(layers: EntrySpec[][], failLayer?: number, diffIds?: string[]) {
    this.layers = layers;
    this.failLayer = failLayer;
    this.diffIds = diffIds ?? layers.map((_, i) => `sha256:${String(i + 1).repeat(64)}`);
  }

  async manifest(): Promise<ResolvedImage> {
    return {
      ref: this.ref,
      manifestDigest: `sha256:${this.diffIds
        .map((d) => d.slice(7, 9))
        .join('')
        .padEnd(64, 'f')}`,
      configDigest: `sha256:${'c'.repeat(64)}`,
      config: {},
      platform: { os: 'linux', architecture: 'amd64' },
      layers: this.diffIds.map((diffId) => ({
        digest: diffId,
        diffId,
        mediaType: 'tar',
        size: 1,
        compression: 'none',
      })),
    };
  }

  async *layerEntries(layer: LayerRef, _options?: EntryReadOptions): AsyncIterable<LayerEntry> {
    const index = this.diffIds.indexOf(layer.diffId);
    this.reads.push(index);
    for (const spec of this.layers[index] ?? []) {
      if ('file' in spec) {
        const content = Readable.from([Buffer.from(spec.file)]);
        yield {
          path: spec.path,
          type: 'file',
          mode: 0o644,
          size: spec.file.length,
          content,
          skip: async () => void content.resume(),
        };
      } else if ('symlink' in spec) {
        yield {
          path: spec.path,
          type: 'symlink',
          mode: 0o777,
          size: 0,
          linkTarget: spec.symlink,
          skip: async () => {},
        };
      } else if ('hardlink' in spec) {
        yield {
          path: spec.path,
          type: 'hardlink',
          mode: 0o644,
          size: 0,
          linkTarget: spec.hardlink,
          skip: async () => {},
        };
      } else {
        yield { path: spec.path, type: 'dir', mode: 0o755, size: 0, skip: async () => {} };
      }
    }
    if (index === this.failLayer) throw new VigilError('VIGIL_DIGEST_MISMATCH', 'layer digest mismatch');
  }

  async close(): Promise<void> {}
}

/** A package database of "name version" lines: enough to exercise merging and attribution. */
const lineDb: Extractor = {
  name: 'test/lines',
  version: 1,
  required: (path) => path === 'var/lib/lines/db' || path.startsWith('var/lib/lines/db.d/'),
  wants: (path) => path.startsWith('var/lib/lines/files/'),
  async extract(input) {
    const text = (await input.read()).toString('utf8');
    const packages = [];
    const warnings = [];
    for (const line of text.split('\n').filter(Boolean)) {
      const [name, version] = line.split(' ');
      if (!name || !version) {
        warnings.push(`bad line "${line}"`);
        continue;
      }
      const owned = await input.fs.readFile(`var/lib/lines/files/${name}`);
      packages.push({
        type: 'generic',
        name,
        version,
        purl: `pkg:generic/${name}@${version}`,
        locations: [input.path],
        ...(owned ? { files: owned.toString('utf8').split('\n').filter(Boolean) } : {}),
      });
    }
    return { packages, warnings };
  },
};

const release: Extractor = {
  name: 'os/release',
  version: 1,
  required: (path) => path === 'etc/os-release',
  async extract(input) {
    const id = /^ID=(.*)$/m.exec((await input.read()).toString())?.[1] ?? 'unknown';
    return { packages: [], warnings: [], distro: { id, source: input.path } };
  },
};

const chooseDistro = (candidates: Distro[]) => candidates[0];

let cacheDir: string;
beforeEach(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'vigil-inventory-test-'));
});
afterEach(async () => {
  await rm(cacheDir, { recursive: true, force: true });
});

function options(extra: Partial<InventoryOptions> = {}): InventoryOptions {
  return {
    extractors: [release, lineDb],
    cacheDir,
    chooseDistro,
    now: () => new Date('2026-11-01T00:00:00Z'),
    ...extra,
  };
}

const names = (result: Awaited<ReturnType<typeof buildInventory>>) =>
  result.inventory.packages.map((p) => `${p.name}@${p.version}#${p.layerIndex}`);

describe('buildInventory', () => {
  it('attributes each package to the layer that introduced it', async () => {
    const source = new MemorySource([
      [
        { path: 'etc/os-release', file: 'ID=testos\n' },
        { path: 'var/lib/lines/db', file: 'a 1\nb 1\n' },
      ],
      [{ path: 'var/lib/lines/db', file: 'a 1\nb 2\nc 1\n' }],
      [{ path: 'tmp/unrelated', file: 'x' }],
      [{ path: 'var/lib/lines/db', file: 'a 1\nb 2\nc 1\nd 1\n' }],
    ]);
    const result = await buildInventory(source, options());
    expect(names(result)).toEqual(['a@1#0', 'b@2#1', 'c@1#1', 'd@1#3']);
    expect(result.inventory.distro?.id).toBe('testos');
    expect(result.inventory.packages[0]?.layerDiffId).toBe(source.diffIds[0]);
  });

  it('gives a removed and reinstalled package to the layer that reinstalled it', async () => {
    const source = new MemorySource([
      [{ path: 'var/lib/lines/db', file: 'a 1\n' }],
      [{ path: 'var/lib/lines/db', file: '' }],
      [{ path: 'var/lib/lines/db', file: 'a 1\n' }],
    ]);
    expect(names(await buildInventory(source, options()))).toEqual(['a@1#2']);
  });

  it.each([
    ['a whiteout', [{ path: 'var/lib/lines/db.d/.wh.b', file: '' }], ['a@1#0']],
    ['an opaque directory', [{ path: 'var/lib/lines/db.d/.wh..wh..opq', file: '' }], []],
    ['a whiteout of the parent directory', [{ path: 'var/lib/lines/.wh.db.d', file: '' }], []],
    [
      'an opaque directory refilled in the same layer',
      [
        { path: 'var/lib/lines/db.d/.wh..wh..opq', file: '' },
        { path: 'var/lib/lines/db.d/c', file: 'c 3\n' },
      ],
      ['c@3#1'],
    ],
  ] as Array<[string, EntrySpec[], string[]]>)('applies %s from an upper layer', async (_, upper, expected) => {
    const source = new MemorySource([
      [
        { path: 'var/lib/lines/db.d/a', file: 'a 1\n' },
        { path: 'var/lib/lines/db.d/b', file: 'b 1\n' },
      ],
      upper,
    ]);
    expect(names(await buildInventory(source, options()))).toEqual(expected);
  });

  it('follows symlinks into lower layers and hard links within a layer', async () => {
    const source = new MemorySource([
      [
        { path: 'usr/share/os/os-release', file: 'ID=linked\n' },
        { path: 'srv/real/db', file: 'z 9\n' },
        { path: 'srv/files/z', file: 'usr/bin/z\n' },
      ],
      [
        { path: 'etc/os-release', symlink: '../usr/share/os/os-release' },
        { path: 'var/lib/lines', symlink: '/srv/real' },
        { path: 'var/lib/lines/files', symlink: '../files' },
      ],
    ]);
    const result = await buildInventory(source, options());
    expect(result.inventory.distro?.id).toBe('linked');
    // A symlinked directory leads to files only when the extractor names the real location too.
    expect(result.inventory.packages).toEqual([]);
    // The link target was fetched once and kept with its layer: a rescan reads nothing.
    const rescan = new MemorySource(source.layers);
    await buildInventory(rescan, options({ extractors: [lineDb, release] }));
    expect(rescan.reads).toEqual([]);

    const hardlinked = new MemorySource(
      [
        [
          { path: 'opt/db', file: 'h 1\n' },
          { path: 'var/lib/lines/db', hardlink: 'opt/db' },
        ],
      ],
      undefined,
      [`sha256:${'7'.repeat(64)}`],
    );
    expect(names(await buildInventory(hardlinked, options()))).toEqual(['h@1#0']);
  });

  it('reads companion files through the merged view', async () => {
    const source = new MemorySource([
      [
        { path: 'var/lib/lines/db', file: 'a 1\n' },
        { path: 'var/lib/lines/files/a', file: 'usr/bin/a\nusr/lib/a.so\n' },
      ],
    ]);
    const [pkg] = (await buildInventory(source, options())).inventory.packages;
    expect(pkg?.files).toEqual(['usr/bin/a', 'usr/lib/a.so']);
  });

  it('reuses cached layers and the cached inventory', async () => {
    const layers: EntrySpec[][] = [
      [{ path: 'var/lib/lines/db', file: 'a 1\n' }],
      [{ path: 'var/lib/lines/db', file: 'a 1\nb 1\n' }],
    ];
    const first = new MemorySource(layers);
    expect((await buildInventory(first, options())).cached).toBe(false);
    expect(first.reads.sort()).toEqual([0, 1]);

    const again = new MemorySource(layers);
    const second = await buildInventory(again, options());
    expect(second.cached).toBe(true);
    expect(again.reads).toEqual([]);

    // Another image sharing layer 0 reads only its own new layer.
    const sibling = new MemorySource(
      [layers[0] as EntrySpec[], [{ path: 'var/lib/lines/db', file: 'a 1\nc 1\n' }]],
      undefined,
      [first.diffIds[0] as string, `sha256:${'9'.repeat(64)}`],
    );
    const third = await buildInventory(sibling, options());
    expect(sibling.reads).toEqual([1]);
    expect(names(third)).toEqual(['a@1#0', 'c@1#1']);
  });

  it('does not cache a layer whose read failed', async () => {
    const layers: EntrySpec[][] = [[{ path: 'var/lib/lines/db', file: 'a 1\n' }]];
    await expect(buildInventory(new MemorySource(layers, 0), options())).rejects.toMatchObject({
      code: 'VIGIL_DIGEST_MISMATCH',
    });
    const retry = new MemorySource(layers);
    await buildInventory(retry, options());
    expect(retry.reads).toEqual([0]);
  });

  it('keeps a bad database as a warning and reports the rest', async () => {
    const source = new MemorySource([[{ path: 'var/lib/lines/db', file: 'ok 1\nbroken\n' }]]);
    const { inventory } = await buildInventory(source, options());
    expect(names({ inventory, cached: false })).toEqual(['ok@1#0']);
    expect(inventory.warnings).toEqual([
      expect.objectContaining({ path: 'var/lib/lines/db', extractor: 'test/lines', message: 'bad line "broken"' }),
    ]);
  });

  it('turns an extractor that throws into a warning', async () => {
    const throwing: Extractor = {
      ...lineDb,
      name: 'test/throws',
      extract: async () => Promise.reject(new Error('boom')),
    };
    const source = new MemorySource([[{ path: 'var/lib/lines/db', file: 'a 1\n' }]]);
    const { inventory } = await buildInventory(source, options({ extractors: [throwing] }));
    expect(inventory.warnings.map((w) => w.message)).toEqual(['extractor failed: boom']);
  });

  it('does not repeat the path at the start of a warning that already carries it', async () => {
    const repeating: Extractor = {
      ...lineDb,
      name: 'test/repeats',
      extract: async (input) => ({ packages: [], warnings: [`${input.path}: bad line 3`, 'other/file: kept as is'] }),
    };
    const source = new MemorySource([[{ path: 'var/lib/lines/db', file: 'a 1\n' }]]);
    const { inventory } = await buildInventory(source, options({ extractors: [repeating] }));
    expect(inventory.warnings.map((w) => [w.path, w.message])).toEqual([
      ['var/lib/lines/db', 'bad line 3'],
      ['var/lib/lines/db', 'other/file: kept as is'],
    ]);
  });

  it('scans uncacheable sources in a scratch dir and leaves no cache behind', async () => {
    const source = new MemorySource([[{ path: 'var/lib/lines/db', file: 'a 1\n' }]], undefined, ['']);
    const { inventory, cached } = await buildInventory(source, options());
    expect(cached).toBe(false);
    expect(inventory.packages[0]?.layerDiffId).toBeUndefined();
    expect(await readdir(cacheDir)).toEqual([]);
  });

  it('skips files over the capture limit with a warning', async () => {
    const source = new MemorySource([[{ path: 'var/lib/lines/db', file: 'a 1\n'.repeat(100) }]]);
    const { inventory } = await buildInventory(source, options({ maxCapturedFileBytes: 10 }));
    expect(inventory.packages).toEqual([]);
    expect(inventory.warnings[0]?.message).toMatch(/over the 10-byte limit/);
  });
});
