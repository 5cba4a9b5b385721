/**
 * Builds container images for tests and benchmarks: an OCI image layout from file specs (streamed,
 * so gigabyte images are cheap on memory), and from a layout a `docker save` archive or an OCI
 * archive. Hostile tests inject raw tar entries or whole raw tars.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip, createZstdCompress, createZstdDecompress } from 'node:zlib';
import tarStream from 'tar-stream';
import type { Compression, ImageConfig, Platform } from '../../src/core/types.ts';
import { ByteMeter } from '../../src/image/layer/blob-pipeline.ts';

export { writeDockerArchive, writeOciArchive } from './image-archives.ts';

export const MEDIA = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
} as const;
const REF_NAME = 'org.opencontainers.image.ref.name';

/** File content: text, bytes, bytes with a mode, or a generator with its size (streamed, never held). */
export type FileContent =
  | string
  | Buffer
  | { readonly data: string | Buffer; readonly mode?: number }
  | GeneratedContent;
export interface GeneratedContent {
  readonly size: number;
  readonly stream: () => Readable;
  readonly mode?: number;
}

export interface LayerSpec {
  readonly files?: Readonly<Record<string, FileContent>>;
  readonly dirs?: readonly string[];
  /** path -> target as written */
  readonly symlinks?: Readonly<Record<string, string>>;
  /** path -> path of the entry it links to */
  readonly hardlinks?: Readonly<Record<string, string>>;
  /** paths deleted from lower layers: written as DIR/.wh.NAME */
  readonly whiteouts?: readonly string[];
  /** directories whose lower content is hidden: written as DIR/.wh..wh..opq */
  readonly opaqueDirs?: readonly string[];
  /** entries written verbatim after the others (names like "../x" or "/etc/x" included) */
  readonly raw?: readonly TarItem[];
  /** the layer's whole tar, verbatim, instead of everything above (corrupt-tar tests) */
  readonly tar?: Buffer | (() => Readable);
  /** default gzip */
  readonly compression?: Compression;
  /** overrides the descriptor media type (mislabelling tests) */
  readonly mediaType?: string;
  readonly createdBy?: string;
}

export interface ImageSpec {
  readonly layers: readonly LayerSpec[];
  /** merged over the generated config (so a test may even replace rootfs) */
  readonly config?: Partial<ImageConfig> & Record<string, unknown>;
  /** default linux/amd64 */
  readonly platform?: Platform;
  /** Docker schema 2 media types instead of OCI ones */
  readonly docker?: boolean;
}

export interface BuildSpec extends Partial<ImageSpec> {
  /** org.opencontainers.image.ref.name in index.json; default "latest", null for none */
  readonly refName?: string | null;
  /** several platforms: a nested image index (as `skopeo copy --all` writes), or flat with `flatIndex` */
  readonly platforms?: readonly ImageSpec[];
  readonly flatIndex?: boolean;
  /** leave the platform out of index.json's entry for a single-platform image */
  readonly omitIndexPlatform?: boolean;
}

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly platform?: Platform;
  readonly annotations?: Record<string, string>;
}
export interface BuiltLayer extends Descriptor {
  readonly diffId: string;
  readonly compression: Compression;
  /** uncompressed tar size */
  readonly tarSize: number;
}
export interface BuiltManifest extends Descriptor {
  readonly platform: Platform;
  readonly configDigest: string;
  readonly layers: readonly BuiltLayer[];
}
export interface BuiltImage {
  readonly layoutDir: string;
  /** the first (or only) platform's manifest */
  readonly manifestDigest: string;
  readonly configDigest: string;
  readonly layers: readonly BuiltLayer[];
  readonly manifests: readonly BuiltManifest[];
  /** digest of the nested image index, for multi-platform builds */
  readonly indexDigest?: string;
}

/** Writes an OCI image layout (oci-layout, index.json, blobs/sha256/*) into `outDir`. */
export async function buildImage(spec: BuildSpec, outDir: string): Promise<BuiltImage> {
  await mkdir(join(outDir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(join(outDir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const images = spec.platforms ?? [{ layers: spec.layers ?? [], ...pick(spec) }];
  const manifests: BuiltManifest[] = [];
  for (const image of images) manifests.push(await writeManifest(outDir, image));
  const annotations = spec.refName === null ? undefined : { [REF_NAME]: spec.refName ?? 'latest' };
  let entries: Descriptor[];
  let indexDigest: string | undefined;
  const manifestEntry = (m: BuiltManifest, withPlatform: boolean): Descriptor => ({
    mediaType: m.mediaType,
    digest: m.digest,
    size: m.size,
    ...(withPlatform ? { platform: m.platform } : {}),
  });
  if (spec.platforms && !spec.flatIndex) {
    const docker = spec.platforms.some((p) => p.docker);
    const nested = await writeJsonBlob(outDir, {
      schemaVersion: 2,
      mediaType: docker ? MEDIA.dockerList : MEDIA.ociIndex,
      manifests: manifests.map((m) => manifestEntry(m, true)),
    });
    indexDigest = nested.digest;
    entries = [{ mediaType: docker ? MEDIA.dockerList : MEDIA.ociIndex, ...nested, ...withAnnotations(annotations) }];
  } else {
    const withPlatform = spec.platforms !== undefined || !spec.omitIndexPlatform;
    entries = manifests.map((m) => ({ ...manifestEntry(m, withPlatform), ...withAnnotations(annotations) }));
  }
  await writeFile(
    join(outDir, 'index.json'),
    JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: entries }),
  );
  const first = manifests[0]!;
  return {
    layoutDir: outDir,
    manifestDigest: first.digest,
    configDigest: first.configDigest,
    layers: first.layers,
    manifests,
    ...(indexDigest ? { indexDigest } : {}),
  };
}

function pick(spec: BuildSpec): Omit<ImageSpec, 'layers'> {
  return {
    ...(spec.config ? { config: spec.config } : {}),
    ...(spec.platform ? { platform: spec.platform } : {}),
    ...(spec.docker ? { docker: spec.docker } : {}),
  };
}

function withAnnotations(annotations: Record<string, string> | undefined) {
  return annotations ? { annotations } : {};
}

async function writeManifest(outDir: string, image: ImageSpec): Promise<BuiltManifest> {
  const platform = image.platform ?? { os: 'linux', architecture: 'amd64' };
  const layers: BuiltLayer[] = [];
  for (const layer of image.layers) layers.push(await writeLayer(outDir, layer, image.docker === true));
  const config = {
    created: EPOCH.toISOString(),
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: image.layers.map((l, i) => ({ created: EPOCH.toISOString(), created_by: l.createdBy ?? `layer ${i}` })),
    ...image.config,
  };
  const configBlob = await writeJsonBlob(outDir, config);
  const mediaType = image.docker ? MEDIA.dockerManifest : MEDIA.ociManifest;
  const manifest = await writeJsonBlob(outDir, {
    schemaVersion: 2,
    mediaType,
    config: { mediaType: image.docker ? MEDIA.dockerConfig : MEDIA.ociConfig, ...configBlob },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  });
  return { mediaType, ...manifest, platform, configDigest: configBlob.digest, layers };
}

export async function writeJsonBlob(outDir: string, value: unknown): Promise<{ digest: string; size: number }> {
  const bytes = Buffer.from(JSON.stringify(value));
  const hex = createHash('sha256').update(bytes).digest('hex');
  await writeFile(join(outDir, 'blobs', 'sha256', hex), bytes);
  return { digest: `sha256:${hex}`, size: bytes.length };
}

function layerMediaType(compression: Compression, docker: boolean): string {
  if (docker) {
    return compression === 'none'
      ? 'application/vnd.docker.image.rootfs.diff.tar'
      : 'application/vnd.docker.image.rootfs.diff.tar.gzip';
  }
  const suffix = compression === 'gzip' ? '+gzip' : compression === 'zstd' ? '+zstd' : '';
  return `application/vnd.oci.image.layer.v1.tar${suffix}`;
}

function compressor(compression: Compression): Transform | undefined {
  if (compression === 'gzip') return createGzip({ level: 1, chunkSize: 256 * 1024 });
  if (compression === 'zstd') return createZstdCompress({ chunkSize: 256 * 1024 });
  return undefined;
}

export function decompressor(compression: Compression): Transform | undefined {
  if (compression === 'gzip') return createGunzip();
  if (compression === 'zstd') return createZstdDecompress();
  return undefined;
}

async function writeLayer(outDir: string, spec: LayerSpec, docker: boolean): Promise<BuiltLayer> {
  const compression = spec.compression ?? 'gzip';
  const diffHash = createHash('sha256');
  const blobHash = createHash('sha256');
  const tarMeter = new ByteMeter({ hashes: [diffHash] });
  const blobMeter = new ByteMeter({ hashes: [blobHash] });
  const temp = join(outDir, 'blobs', 'sha256', `.tmp-${randomUUID()}`);
  let tarSource: Readable;
  let feeding: Promise<void> = Promise.resolve();
  if (spec.tar !== undefined) {
    tarSource = Buffer.isBuffer(spec.tar) ? Readable.from([spec.tar], { objectMode: false }) : spec.tar();
  } else {
    const pack = tarStream.pack();
    feeding = feedPack(pack, layerItems(spec));
    tarSource = Readable.from(pack, { objectMode: false });
  }
  const zip = compressor(compression);
  const out = createWriteStream(temp);
  await Promise.all([
    feeding,
    zip ? pipeline(tarSource, tarMeter, zip, blobMeter, out) : pipeline(tarSource, tarMeter, blobMeter, out),
  ]);
  const hex = blobHash.digest('hex');
  await rename(temp, join(outDir, 'blobs', 'sha256', hex));
  return {
    mediaType: spec.mediaType ?? layerMediaType(compression, docker),
    digest: `sha256:${hex}`,
    size: blobMeter.bytes,
    diffId: `sha256:${diffHash.digest('hex')}`,
    compression,
    tarSize: tarMeter.bytes,
  };
}

function* layerItems(spec: LayerSpec): Generator<TarItem> {
  const emittedDirs = new Set<string>();
  function* parents(path: string): Generator<TarItem> {
    const parts = path.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (dir === '' || emittedDirs.has(dir)) continue;
      emittedDirs.add(dir);
      yield { name: `${dir}/`, type: 'directory' };
    }
  }
  for (const dir of spec.dirs ?? []) {
    yield* parents(`${dir}/x`);
  }
  for (const [path, content] of Object.entries(spec.files ?? {})) {
    yield* parents(path);
    yield fileItem(path, content);
  }
  for (const [path, target] of Object.entries(spec.symlinks ?? {})) {
    yield* parents(path);
    yield { name: path, type: 'symlink', linkname: target, mode: 0o777 };
  }
  for (const [path, target] of Object.entries(spec.hardlinks ?? {})) {
    yield* parents(path);
    yield { name: path, type: 'link', linkname: target };
  }
  for (const path of spec.whiteouts ?? []) {
    yield* parents(path);
    yield { name: posix.join(posix.dirname(path), `.wh.${posix.basename(path)}`), body: Buffer.alloc(0) };
  }
  for (const dir of spec.opaqueDirs ?? []) {
    yield* parents(`${dir}/x`);
    yield { name: `${dir}/.wh..wh..opq`, body: Buffer.alloc(0) };
  }
  yield* spec.raw ?? [];
}

function fileItem(name: string, content: FileContent): TarItem {
  if (typeof content === 'string') return { name, body: Buffer.from(content) };
  if (Buffer.isBuffer(content)) return { name, body: content };
  if ('data' in content) {
    return { name, body: Buffer.from(content.data), ...(content.mode === undefined ? {} : { mode: content.mode }) };
  }
  return {
    name,
    body: { size: content.size, open: content.stream },
    ...(content.mode === undefined ? {} : { mode: content.mode }),
  };
}

/** `size` bytes of a repeated pattern, generated as it is read (benchmarks' gigabyte files). */
export function repeatedContent(size: number, pattern: string | Buffer = 'vigil test pattern\n'): GeneratedContent {
  return {
    size,
    stream: () => {
      const unit = Buffer.from(pattern);
      const block = Buffer.alloc(Math.max(unit.length, (1 << 20) - ((1 << 20) % unit.length)), unit);
      let left = size;
      return new Readable({
        highWaterMark: block.length,
        read() {
          if (left <= 0) {
            this.push(null);
            return;
          }
          const n = Math.min(left, block.length);
          left -= n;
          this.push(n === block.length ? block : block.subarray(0, n));
        },
      });
    },
  };
}

/** Fixed so that building the same spec twice gives the same digests. */
export const EPOCH = new Date('2024-01-01T00:00:00Z');

export interface TarItem {
  readonly name: string;
  readonly type?: 'file' | 'directory' | 'symlink' | 'link' | 'fifo' | 'character-device' | 'block-device';
  readonly mode?: number;
  readonly linkname?: string;
  /** a Buffer, or a stream factory with the size it will produce (never buffered) */
  readonly body?: Buffer | { readonly size: number; readonly open: () => Readable };
}

/**
 * Writes tar items into a tar-stream pack, one at a time with backpressure, so gigabyte bodies
 * stream through. Names are written verbatim (hostile tests rely on that).
 */
export async function feedPack(pack: tarStream.Pack, items: AsyncIterable<TarItem> | Iterable<TarItem>) {
  try {
    for await (const item of items) {
      const header = {
        name: item.name,
        type: item.type ?? 'file',
        mode: item.mode ?? (item.type === 'directory' ? 0o755 : 0o644),
        mtime: EPOCH,
        ...(item.linkname === undefined ? {} : { linkname: item.linkname }),
      };
      const body = item.body;
      if (body === undefined || Buffer.isBuffer(body)) {
        await new Promise<void>((resolve, reject) => {
          pack.entry({ ...header, size: body?.length ?? 0 }, body ?? Buffer.alloc(0), (err) =>
            err ? reject(err) : resolve(),
          );
        });
        continue;
      }
      await new Promise<void>((resolve, reject) => {
        const sink = pack.entry({ ...header, size: body.size }, (err) => (err ? reject(err) : resolve()));
        const source = body.open();
        source.on('error', (err) => {
          sink.destroy(err);
          reject(err);
        });
        source.on('data', (chunk: Buffer) => {
          if (!sink.write(chunk)) {
            source.pause();
            sink.once('drain', () => source.resume());
          }
        });
        source.on('end', () => sink.end(undefined));
      });
    }
    pack.finalize();
  } catch (err) {
    pack.destroy(err as Error);
    throw err;
  }
}

/** Writes a plain tar file from items. */
export async function writeTarFile(file: string, items: AsyncIterable<TarItem> | Iterable<TarItem>): Promise<void> {
  const pack = tarStream.pack();
  await Promise.all([
    feedPack(pack, items),
    pipeline(Readable.from(pack, { objectMode: false }), createWriteStream(file)),
  ]);
}

/** A tar in memory (small test layers). */
export async function tarBuffer(items: Iterable<TarItem>): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  await Promise.all([
    feedPack(pack, items),
    (async () => {
      for await (const chunk of Readable.from(pack, { objectMode: false })) chunks.push(chunk as Buffer);
    })(),
  ]);
  return Buffer.concat(chunks);
}

export interface RawHeader {
  readonly name: string;
  readonly size?: number;
  /** the typeflag character: '0' file, '1' hard link, '2' symlink, '5' dir, 'L' GNU long name, 'x' pax */
  readonly typeflag?: string;
  readonly linkname?: string;
  /** 'ustar' (POSIX, default) or 'gnu' */
  readonly format?: 'ustar' | 'gnu';
  /** a wrong checksum, for corrupt-header tests */
  readonly badChecksum?: boolean;
}

/** One 512-byte tar header, byte by byte, for headers no tar writer would produce. */
export function tarHeader(fields: RawHeader): Buffer {
  const header = Buffer.alloc(512);
  header.write(fields.name, 0, 100, 'utf8');
  header.write('0000644\0', 100, 'latin1');
  header.write('0000000\0', 108, 'latin1');
  header.write('0000000\0', 116, 'latin1');
  header.write(`${(fields.size ?? 0).toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  header.write(
    `${Math.floor(EPOCH.getTime() / 1000)
      .toString(8)
      .padStart(11, '0')}\0`,
    136,
    'latin1',
  );
  header.write(fields.typeflag ?? '0', 156, 'latin1');
  if (fields.linkname) header.write(fields.linkname, 157, 100, 'utf8');
  if (fields.format === 'gnu') header.write('ustar  \0', 257, 'latin1');
  else header.write('ustar\u000000', 257, 'latin1');
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  if (fields.badChecksum) sum += 1;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return header;
}

/** Data padded to whole 512-byte blocks. */
export function tarData(data: Buffer): Buffer {
  const padding = (512 - (data.length % 512)) % 512;
  return Buffer.concat([data, Buffer.alloc(padding)]);
}

/** The two zero blocks that end an archive. */
export const TAR_END = Buffer.alloc(1024);
