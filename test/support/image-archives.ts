/**
 * Image files from an OCI layout written by build-image.ts: `docker save` archives (the legacy
 * `<id>/layer.tar` layout and the OCI layout docker 25+ writes) and OCI archives (a tar of the layout).
 */
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Compression, ImageConfig, Platform } from '../../src/core/types.ts';
import { decompressor, MEDIA, type TarItem, writeTarFile } from './build-image.ts';

interface LayoutDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}
interface LayoutImage {
  layoutDir: string;
  manifest: LayoutDescriptor;
  configDigest: string;
  config: ImageConfig;
  layers: LayoutDescriptor[];
}

export interface DockerArchiveOptions {
  /** "legacy" (default): `<id>/layer.tar`, uncompressed; "oci": docker 25+ with an OCI layout inside */
  readonly format?: 'legacy' | 'oci';
  /** more images in the same archive, each with its own tag */
  readonly images?: ReadonlyArray<{ readonly layoutDir: string; readonly repoTag: string }>;
}

const blobPath = (layoutDir: string, digest: string) => join(layoutDir, 'blobs', ...digest.split(':'));
const hexOf = (digest: string) => digest.slice(digest.indexOf(':') + 1);

async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, 'utf8')) as T;
}

/** The layout's first image; for an index, its linux/amd64 manifest (or the first). */
async function readLayoutImage(layoutDir: string): Promise<LayoutImage> {
  let index = await readJson<{ manifests: LayoutDescriptor[] }>(join(layoutDir, 'index.json'));
  let manifest = index.manifests[0]!;
  while (manifest.mediaType === MEDIA.ociIndex || manifest.mediaType === MEDIA.dockerList) {
    index = await readJson(blobPath(layoutDir, manifest.digest));
    manifest =
      index.manifests.find((m) => m.platform?.os === 'linux' && m.platform.architecture === 'amd64') ??
      index.manifests[0]!;
  }
  const body = await readJson<{ config: LayoutDescriptor; layers: LayoutDescriptor[] }>(
    blobPath(layoutDir, manifest.digest),
  );
  const config = await readJson<ImageConfig>(blobPath(layoutDir, body.config.digest));
  return { layoutDir, manifest, configDigest: body.config.digest, config, layers: body.layers };
}

function compressionOf(mediaType: string): Compression {
  if (mediaType.includes('zstd')) return 'zstd';
  if (mediaType.includes('gzip')) return 'gzip';
  return 'none';
}

function fileBody(file: string, size: number): TarItem['body'] {
  return { size, open: () => createReadStream(file, { highWaterMark: 1 << 20 }) };
}

/** A layer's tar, decompressed as it is read; its size comes from a first counting pass. */
async function uncompressedBody(file: string, compression: Compression): Promise<TarItem['body']> {
  const open = (): Readable => {
    const raw = createReadStream(file, { highWaterMark: 1 << 20 });
    const unzip = decompressor(compression);
    if (!unzip) return raw;
    raw.on('error', (err) => unzip.destroy(err));
    return raw.pipe(unzip);
  };
  let size = 0;
  for await (const chunk of open()) size += (chunk as Buffer).length;
  return { size, open };
}

/** Writes a `docker save` archive of the layout's image, tagged `repoTag`. */
export async function writeDockerArchive(
  layoutDir: string,
  file: string,
  repoTag: string,
  options: DockerArchiveOptions = {},
): Promise<void> {
  const tagged = [{ layoutDir, repoTag }, ...(options.images ?? [])];
  const images = await Promise.all(tagged.map(async (t) => ({ ...(await readLayoutImage(t.layoutDir)), ...t })));
  await writeTarFile(file, options.format === 'oci' ? ociDockerItems(images) : legacyDockerItems(images));
}

async function* legacyDockerItems(images: Array<LayoutImage & { repoTag: string }>): AsyncGenerator<TarItem> {
  const written = new Set<string>();
  const manifest: unknown[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  for (const image of images) {
    const configName = `${hexOf(image.configDigest)}.json`;
    const configFile = blobPath(image.layoutDir, image.configDigest);
    if (!written.has(configName)) {
      written.add(configName);
      yield { name: configName, body: fileBody(configFile, (await stat(configFile)).size) };
    }
    const diffIds = image.config.rootfs?.diff_ids ?? [];
    const layerNames: string[] = [];
    for (const [i, layer] of image.layers.entries()) {
      const id = hexOf(diffIds[i] ?? layer.digest);
      layerNames.push(`${id}/layer.tar`);
      if (written.has(id)) continue;
      written.add(id);
      yield { name: `${id}/`, type: 'directory' };
      yield { name: `${id}/VERSION`, body: Buffer.from('1.0') };
      yield { name: `${id}/json`, body: Buffer.from(JSON.stringify({ id })) };
      const body = await uncompressedBody(blobPath(image.layoutDir, layer.digest), compressionOf(layer.mediaType));
      yield { name: `${id}/layer.tar`, body };
    }
    manifest.push({ Config: configName, RepoTags: [image.repoTag], Layers: layerNames });
    const colon = image.repoTag.lastIndexOf(':');
    const repo = image.repoTag.slice(0, colon);
    repositories[repo] = { ...repositories[repo], [image.repoTag.slice(colon + 1)]: hexOf(layerNames.at(-1) ?? '') };
  }
  yield { name: 'manifest.json', body: Buffer.from(JSON.stringify(manifest)) };
  yield { name: 'repositories', body: Buffer.from(JSON.stringify(repositories)) };
}

async function* ociDockerItems(images: Array<LayoutImage & { repoTag: string }>): AsyncGenerator<TarItem> {
  const written = new Set<string>();
  const blob = async function* (layoutDir: string, digest: string): AsyncGenerator<TarItem> {
    const name = `blobs/sha256/${hexOf(digest)}`;
    if (written.has(name)) return;
    written.add(name);
    const path = blobPath(layoutDir, digest);
    yield { name, body: fileBody(path, (await stat(path)).size) };
  };
  yield { name: 'blobs/', type: 'directory' };
  yield { name: 'blobs/sha256/', type: 'directory' };
  const manifest: unknown[] = [];
  for (const image of images) {
    yield* blob(image.layoutDir, image.manifest.digest);
    yield* blob(image.layoutDir, image.configDigest);
    const layerSources: Record<string, unknown> = {};
    for (const [i, layer] of image.layers.entries()) {
      yield* blob(image.layoutDir, layer.digest);
      const diffId = image.config.rootfs?.diff_ids[i];
      if (diffId) layerSources[diffId] = { mediaType: layer.mediaType, size: layer.size, digest: layer.digest };
    }
    manifest.push({
      Config: `blobs/sha256/${hexOf(image.configDigest)}`,
      RepoTags: [image.repoTag],
      Layers: image.layers.map((l) => `blobs/sha256/${hexOf(l.digest)}`),
      LayerSources: layerSources,
    });
  }
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA.ociIndex,
    manifests: images.map((image) => ({
      mediaType: image.manifest.mediaType,
      digest: image.manifest.digest,
      size: image.manifest.size,
      annotations: {
        'io.containerd.image.name': image.repoTag,
        'org.opencontainers.image.ref.name': image.repoTag.slice(image.repoTag.lastIndexOf(':') + 1),
      },
    })),
  };
  yield { name: 'index.json', body: Buffer.from(JSON.stringify(index)) };
  yield { name: 'manifest.json', body: Buffer.from(JSON.stringify(manifest)) };
  yield { name: 'oci-layout', body: Buffer.from('{"imageLayoutVersion":"1.0.0"}') };
}

/** Writes an OCI archive: a tar of the layout directory, as `skopeo copy oci-archive:` does. */
export async function writeOciArchive(layoutDir: string, file: string): Promise<void> {
  await writeTarFile(file, ociArchiveItems(layoutDir));
}

async function* ociArchiveItems(layoutDir: string): AsyncGenerator<TarItem> {
  for (const name of ['oci-layout', 'index.json']) {
    const path = join(layoutDir, name);
    yield { name, body: fileBody(path, (await stat(path)).size) };
  }
  yield { name: 'blobs/', type: 'directory' };
  for (const algorithm of await readdir(join(layoutDir, 'blobs'))) {
    yield { name: `blobs/${algorithm}/`, type: 'directory' };
    for (const hex of (await readdir(join(layoutDir, 'blobs', algorithm))).sort()) {
      if (hex.startsWith('.')) continue;
      const path = join(layoutDir, 'blobs', algorithm, hex);
      yield { name: `blobs/${algorithm}/${hex}`, body: fileBody(path, (await stat(path)).size) };
    }
  }
}
