import { VigilError } from '../../core/errors.ts';
import type { ImageRef, LayerRef, Platform, ResolvedImage } from '../../core/types.ts';
import { type BlobStore, blobPath, readJson } from './blob-store.ts';
import {
  configPlatform,
  type Descriptor,
  isIndex,
  parseConfig,
  parseIndex,
  parseManifest,
  REF_NAME,
  toLayerRefs,
} from './image-json.ts';
import { formatPlatform, platformMatches, selectPlatform } from './platform.ts';

/** A resolved image plus where each of its layers lives in the store. */
export interface Resolution {
  readonly image: ResolvedImage;
  readonly layerPaths: ReadonlyMap<string, string>;
}

export const layerKey = (layer: LayerRef) => `${layer.digest}\n${layer.diffId}`;

const CONTAINERD_NAME = 'io.containerd.image.name';
const MAX_INDEX_DEPTH = 4;

export interface PlatformChoice {
  readonly wanted: Platform;
  /** the user asked for this platform (rather than the default) */
  readonly explicit: boolean;
}

interface Candidate {
  readonly descriptor: Descriptor;
  /** the nested index it was listed in */
  readonly indexDigest?: string;
  readonly name?: string;
}

/**
 * OCI image layout (image-spec image-layout.md): index.json -> optional `:ref` by
 * org.opencontainers.image.ref.name -> nested indexes -> the platform's manifest -> config.
 * Every blob read is checked against its descriptor's digest and size.
 */
export async function resolveOciLayout(store: BlobStore, ref: ImageRef, platform: PlatformChoice): Promise<Resolution> {
  const where = store.location;
  let entries = parseIndex(await readJson(store, 'index.json'), `${where} index.json`);
  const nameOf = (d: Descriptor) => d.annotations?.[REF_NAME] ?? d.annotations?.[CONTAINERD_NAME];
  if (ref.pathRef !== undefined) {
    const wanted = ref.pathRef;
    const named = entries.filter(
      (d) => d.annotations?.[REF_NAME] === wanted || d.annotations?.[CONTAINERD_NAME] === wanted,
    );
    if (named.length === 0) {
      const names = entries.map(nameOf).filter((n) => n !== undefined);
      throw new VigilError(
        'VIGIL_IMAGE_NOT_FOUND',
        `${where} has no image named "${wanted}"; names: ${names.join(', ') || 'none'}`,
        { location: where, wanted, names },
      );
    }
    entries = named;
  }
  if (entries.length === 0) {
    throw new VigilError('VIGIL_IMAGE_INVALID', `${where} index.json lists no images`, { location: where });
  }

  const candidates: Candidate[] = [];
  const expand = async (d: Descriptor, indexDigest: string | undefined, depth: number, name?: string) => {
    if (!isIndex(d.mediaType)) {
      candidates.push({ descriptor: d, ...(indexDigest ? { indexDigest } : {}), ...(name ? { name } : {}) });
      return;
    }
    if (depth >= MAX_INDEX_DEPTH) {
      throw new VigilError('VIGIL_IMAGE_INVALID', `${where}: image indexes nested deeper than ${MAX_INDEX_DEPTH}`, {
        location: where,
      });
    }
    const nested = await readJson(store, blobPath(d.digest, where), d);
    for (const child of parseIndex(nested, `${where} ${d.digest}`)) await expand(child, d.digest, depth + 1, name);
  };
  for (const entry of entries) await expand(entry, undefined, 0, nameOf(entry));

  const chosen = choose(candidates, platform, where);
  const manifestDescriptor = chosen.descriptor;
  const manifestWhere = `${where} manifest ${manifestDescriptor.digest}`;
  const manifest = parseManifest(
    await readJson(store, blobPath(manifestDescriptor.digest, where), manifestDescriptor),
    manifestWhere,
  );
  const config = parseConfig(
    await readJson(store, blobPath(manifest.config.digest, where), manifest.config),
    `${where} config ${manifest.config.digest}`,
  );
  const layers = toLayerRefs(manifest.layers, config, manifestWhere);
  const layerPaths = new Map(layers.map((l) => [layerKey(l), blobPath(l.digest, where)]));
  return {
    image: {
      ref,
      manifestDigest: manifestDescriptor.digest,
      ...(chosen.indexDigest ? { indexDigest: chosen.indexDigest } : {}),
      configDigest: manifest.config.digest,
      config,
      platform: configPlatform(config, manifestDescriptor.platform),
      layers,
      ...(chosen.name?.includes(':') ? { repoTags: [chosen.name] } : {}),
    },
    layerPaths,
  };
}

function choose(candidates: Candidate[], platform: PlatformChoice, where: string): Candidate {
  if (candidates.length === 1) {
    const only = candidates[0]!;
    const declared = only.descriptor.platform;
    // One image and no explicit wish: scan what is there, as `skopeo inspect oci:` does.
    if (platform.explicit && declared && !platformMatches(declared, platform.wanted)) {
      throw new VigilError(
        'VIGIL_PLATFORM_NOT_FOUND',
        `${where} holds only ${formatPlatform(declared)}, not ${formatPlatform(platform.wanted)}`,
        { wanted: formatPlatform(platform.wanted), available: [formatPlatform(declared)] },
      );
    }
    return only;
  }
  if (candidates.every((c) => c.descriptor.platform === undefined)) {
    const names = candidates.map((c) => c.name ?? c.descriptor.digest);
    throw new VigilError(
      'VIGIL_USAGE',
      `${where} holds ${candidates.length} images; choose one as oci:PATH:NAME (names: ${names.join(', ')})`,
      { location: where, names },
    );
  }
  return selectPlatform(
    candidates.map((c) => ({ ...(c.descriptor.platform ? { platform: c.descriptor.platform } : {}), item: c })),
    platform.wanted,
    where,
  );
}
