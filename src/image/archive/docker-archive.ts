import { VigilError } from '../../core/errors.ts';
import type { Compression, ImageRef, LayerRef } from '../../core/types.ts';
import { sniffCompression } from '../layer/blob-pipeline.ts';
import { type BlobStore, blobPath, readJson, sha256Of, verifyDigest } from './blob-store.ts';
import { configPlatform, isIndex, parseConfig, parseIndex, parseManifest, toLayerRefs } from './image-json.ts';
import { layerKey, type Resolution } from './oci-layout.ts';

interface DockerManifestEntry {
  readonly Config: string;
  readonly RepoTags: string[];
  readonly Layers: string[];
  /** docker 25+: per diffID, the descriptor of the stored blob */
  readonly LayerSources?: Record<string, { mediaType?: string; size?: number; digest?: string }>;
}

const DOCKER_LAYER = {
  none: 'application/vnd.docker.image.rootfs.diff.tar',
  gzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  zstd: 'application/vnd.docker.image.rootfs.diff.tar.zstd',
} satisfies Record<Compression, string>;

/** blobs/sha256/<hex> (docker 25+) or <hex>.json / <hex>/layer.tar (legacy): the digest the name claims */
const NAMED_DIGEST = /(?:^|\/)([a-f0-9]{64})(?:\.json)?$/;

/**
 * `docker save` archives: manifest.json lists images by RepoTags with their config and layer paths
 * (both the legacy `<id>/layer.tar` layout and docker 25+'s OCI layout). Saved layers are usually
 * uncompressed, so their blob digest is their diffID; compressed ones are recognised by magic bytes.
 */
export async function resolveDockerArchive(store: BlobStore, ref: ImageRef, wantedTag?: string): Promise<Resolution> {
  const where = store.location;
  const entries = parseDockerManifest(await readJson(store, 'manifest.json'), where);
  const entry = pickEntry(entries, wantedTag, where);

  const configSize = await store.size(entry.Config);
  if (configSize === undefined) throw new VigilError('VIGIL_IMAGE_INVALID', `${where} has no ${entry.Config}`, {});
  const config = parseConfig(await readJson(store, entry.Config), `${where} ${entry.Config}`);
  const configBytes = await store.head(entry.Config, configSize);
  const configDigest = sha256Of(configBytes);
  const claimed = NAMED_DIGEST.exec(entry.Config)?.[1];
  if (claimed) verifyDigest(configBytes, `sha256:${claimed}`, `${where} ${entry.Config}`);

  const descriptors = await Promise.all(
    entry.Layers.map(async (path, i) => {
      const size = await store.size(path);
      if (size === undefined) throw new VigilError('VIGIL_IMAGE_INVALID', `${where} has no layer ${path}`, { path });
      const diffId = config.rootfs?.diff_ids[i] ?? '';
      const source = entry.LayerSources?.[diffId];
      const compression = sniffCompression(await store.head(path, 4), 'none');
      const named = path.startsWith('blobs/') ? NAMED_DIGEST.exec(path)?.[1] : undefined;
      // An unnamed compressed blob has no stated digest; its diffID is still verified.
      const digest = source?.digest ?? (compression === 'none' ? diffId : named ? `sha256:${named}` : '');
      return { path, mediaType: source?.mediaType ?? DOCKER_LAYER[compression], digest, size, compression };
    }),
  );
  const layers: LayerRef[] = toLayerRefs(descriptors, config, `${where} manifest.json`);
  const layerPaths = new Map(layers.map((l, i) => [layerKey(l), descriptors[i]!.path]));
  return {
    image: {
      ref,
      // A legacy docker save has no manifest; the config digest names the image instead (it
      // covers the diffIDs, so equal content gives equal digests, as `docker images --digests`' ID).
      manifestDigest: (await findManifestDigest(store, configDigest)) ?? configDigest,
      configDigest,
      config,
      platform: configPlatform(config),
      layers,
      repoTags: entry.RepoTags,
    },
    layerPaths,
  };
}

function parseDockerManifest(value: unknown, where: string): DockerManifestEntry[] {
  const ok =
    Array.isArray(value) &&
    value.length > 0 &&
    value.every(
      (e) =>
        typeof e === 'object' &&
        e !== null &&
        typeof e.Config === 'string' &&
        Array.isArray(e.Layers) &&
        e.Layers.every((l: unknown) => typeof l === 'string') &&
        (e.RepoTags === null || e.RepoTags === undefined || Array.isArray(e.RepoTags)),
    );
  if (!ok) throw new VigilError('VIGIL_IMAGE_INVALID', `${where} manifest.json is not a docker save manifest`, {});
  return (value as DockerManifestEntry[]).map((e) => ({
    ...e,
    RepoTags: (e.RepoTags ?? []).filter((t) => typeof t === 'string'),
  }));
}

/** Docker Hub names as the docker CLI prints them, so "debian:12" finds "docker.io/library/debian:12". */
function familiar(tag: string): string {
  return tag.replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '').replace(/^library\//, '');
}

function pickEntry(entries: DockerManifestEntry[], wantedTag: string | undefined, where: string): DockerManifestEntry {
  if (wantedTag === undefined) return entries[0]!;
  // skopeo's docker-archive:PATH:@N selects by position.
  const position = /^@(\d+)$/.exec(wantedTag)?.[1];
  const found =
    position !== undefined
      ? entries[Number(position)]
      : entries.find((e) => e.RepoTags.some((t) => familiar(t) === familiar(wantedTag)));
  if (found) return found;
  const tags = entries.flatMap((e) => e.RepoTags);
  throw new VigilError(
    'VIGIL_IMAGE_NOT_FOUND',
    `${where} has no image ${wantedTag}; it holds ${tags.join(', ') || `${entries.length} untagged image(s)`}`,
    { location: where, wanted: wantedTag, tags },
  );
}

/** docker 25+ archives carry the OCI manifest too; its digest is the image's real manifest digest. */
async function findManifestDigest(store: BlobStore, configDigest: string): Promise<string | undefined> {
  if ((await store.size('index.json')) === undefined) return undefined;
  const entries = parseIndex(await readJson(store, 'index.json'), `${store.location} index.json`);
  for (const d of entries) {
    if (isIndex(d.mediaType)) continue;
    const path = blobPath(d.digest, store.location);
    if ((await store.size(path)) === undefined) continue;
    const manifest = parseManifest(await readJson(store, path, d), `${store.location} ${d.digest}`);
    if (manifest.config.digest === configDigest) return d.digest;
  }
  return undefined;
}
