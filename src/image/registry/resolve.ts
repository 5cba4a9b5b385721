import { VigilError } from '../../core/errors.ts';
import type { ImageRef, Platform, ResolvedImage } from '../../core/types.ts';
import { formatImageRef, normalizePlatform } from '../reference.ts';
import type { RegistryClient } from './client.ts';
import { DEFAULT_PLATFORM, layersOf, parseImageConfig, parseManifest, selectPlatform } from './manifest.ts';

/** Image configs are JSON too; long histories stay far below this. */
export const CONFIG_SIZE_LIMIT = 16 * 1024 * 1024;
/** An index may point at an index (nested multi-platform images); no deeper. */
const MAX_INDEX_DEPTH = 2;

/**
 * Resolves a registry reference to one image: fetches the manifest (digest pinned when given),
 * walks an index or manifest list to the requested platform, then fetches and verifies the config.
 */
export async function resolveRegistryImage(
  client: RegistryClient,
  ref: ImageRef,
  platform: Platform | undefined,
  signal?: AbortSignal,
): Promise<ResolvedImage> {
  const repository = ref.repository;
  if (ref.transport !== 'registry' || repository === undefined) {
    throw new VigilError('VIGIL_INTERNAL', `not a registry reference: ${ref.original}`);
  }
  const where = formatImageRef(ref);
  const wanted = normalizePlatform(platform ?? DEFAULT_PLATFORM);
  let reference = ref.digest ?? ref.tag ?? 'latest';
  let indexDigest: string | undefined;
  for (let depth = 0; ; depth++) {
    const fetched = await client.getManifest(repository, reference, signal);
    const parsed = parseManifest(fetched.bytes, fetched.contentType, where);
    if (parsed.kind === 'index') {
      if (depth >= MAX_INDEX_DEPTH) {
        throw new VigilError('VIGIL_IMAGE_INVALID', `${where} nests image indexes too deeply`, { where });
      }
      indexDigest ??= fetched.digest;
      reference = selectPlatform(parsed.index, wanted, where).digest;
      continue;
    }
    const manifest = parsed.manifest;
    const configBytes = await client.readBlob(repository, manifest.config.digest, CONFIG_SIZE_LIMIT, signal);
    const config = parseImageConfig(configBytes, where);
    const layers = layersOf(manifest, config, where);
    const resolvedPlatform = normalizePlatform({
      os: config.os ?? wanted.os,
      architecture: config.architecture ?? wanted.architecture,
      ...(config.variant ? { variant: config.variant } : {}),
    });
    return {
      ref,
      manifestDigest: fetched.digest,
      ...(indexDigest === undefined ? {} : { indexDigest }),
      configDigest: manifest.config.digest,
      config,
      platform: resolvedPlatform,
      layers,
      ...(ref.tag === undefined ? {} : { repoTags: [formatImageRef({ ...ref, digest: undefined })] }),
    };
  }
}
