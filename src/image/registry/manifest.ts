import { z } from 'zod';
import { VigilError } from '../../core/errors.ts';
import type { Compression, ImageConfig, LayerRef, Platform } from '../../core/types.ts';
import { formatPlatform, isDigest, normalizePlatform } from '../reference.ts';

/** Media types of the OCI image spec and Docker's image manifest v2 schema 2. */
export const MediaType = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
} as const;

export const MANIFEST_ACCEPT = [
  MediaType.ociIndex,
  MediaType.dockerManifestList,
  MediaType.ociManifest,
  MediaType.dockerManifest,
].join(', ');

const LAYER_COMPRESSION: Readonly<Record<string, Compression>> = {
  'application/vnd.docker.image.rootfs.diff.tar.gzip': 'gzip',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip': 'gzip',
  'application/vnd.docker.image.rootfs.diff.tar.zstd': 'zstd',
  'application/vnd.docker.image.rootfs.diff.tar': 'none',
  'application/vnd.oci.image.layer.v1.tar': 'none',
  'application/vnd.oci.image.layer.v1.tar+gzip': 'gzip',
  'application/vnd.oci.image.layer.v1.tar+zstd': 'zstd',
  'application/vnd.oci.image.layer.nondistributable.v1.tar': 'none',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip': 'gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd': 'zstd',
};

export function layerCompression(mediaType: string): Compression | undefined {
  return LAYER_COMPRESSION[mediaType];
}

const digest = z.string().refine(isDigest, 'not a sha256/sha512 digest');
const descriptor = z.object({
  mediaType: z.string().max(255).optional(),
  digest,
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  platform: z
    .object({
      os: z.string().max(64),
      architecture: z.string().max(64),
      variant: z.string().max(64).optional(),
    })
    .optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type Descriptor = z.infer<typeof descriptor>;

const imageManifestSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  config: descriptor,
  layers: z.array(descriptor).max(1000),
});
const indexSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  manifests: z.array(descriptor).max(10_000),
});
export type ImageManifest = z.infer<typeof imageManifestSchema>;
export type ImageIndex = z.infer<typeof indexSchema>;

export type ParsedManifest =
  | { readonly kind: 'image'; readonly mediaType: string; readonly manifest: ImageManifest }
  | { readonly kind: 'index'; readonly mediaType: string; readonly index: ImageIndex };

function invalidImage(message: string, context: Record<string, unknown>): VigilError {
  return new VigilError('VIGIL_IMAGE_INVALID', message, context);
}

function issues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}

/**
 * Classifies a manifest by its `mediaType` field, else the Content-Type header, else its shape (OCI
 * manifests may omit mediaType).
 */
export function parseManifest(bytes: Buffer, contentType: string | null, where: string): ParsedManifest {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalidImage(`manifest of ${where} is not JSON`, { where });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw invalidImage(`manifest of ${where} is not a JSON object`, { where });
  }
  const record = json as Record<string, unknown>;
  const header = contentType?.split(';')[0]?.trim();
  const mediaType =
    typeof record.mediaType === 'string'
      ? record.mediaType
      : header && header !== 'application/json' && header !== 'application/octet-stream'
        ? header
        : Array.isArray(record.manifests)
          ? MediaType.ociIndex
          : MediaType.ociManifest;
  if (
    mediaType === MediaType.dockerSchema1 ||
    mediaType === MediaType.dockerSchema1Signed ||
    record.schemaVersion === 1
  ) {
    throw invalidImage(`${where} uses Docker image manifest schema 1, which is deprecated and not supported`, {
      where,
      mediaType,
    });
  }
  if (mediaType === MediaType.ociIndex || mediaType === MediaType.dockerManifestList) {
    const parsed = indexSchema.safeParse(json);
    if (!parsed.success) throw invalidImage(`image index of ${where} is malformed: ${issues(parsed.error)}`, { where });
    return { kind: 'index', mediaType, index: parsed.data };
  }
  if (mediaType === MediaType.ociManifest || mediaType === MediaType.dockerManifest) {
    const parsed = imageManifestSchema.safeParse(json);
    if (!parsed.success) throw invalidImage(`manifest of ${where} is malformed: ${issues(parsed.error)}`, { where });
    return { kind: 'image', mediaType, manifest: parsed.data };
  }
  throw invalidImage(`${where} is not a container image (manifest media type ${mediaType.slice(0, 100)})`, {
    where,
    mediaType: mediaType.slice(0, 100),
  });
}

/** containerd platforms: a missing variant means the architecture's baseline. */
const DEFAULT_VARIANT: Readonly<Record<string, string>> = { arm64: 'v8', arm: 'v7', amd64: 'v1' };
/** linux/arm/v7 can run v6 and v5 images (containerd platforms/compare.go), in that preference. */
const COMPATIBLE_ARM_VARIANTS: Readonly<Record<string, readonly string[]>> = {
  v8: ['v8', 'v7', 'v6', 'v5'],
  v7: ['v7', 'v6', 'v5'],
  v6: ['v6', 'v5'],
  v5: ['v5'],
};

function comparable(platform: Platform): Required<Platform> {
  const normal = normalizePlatform(platform);
  return {
    os: normal.os,
    architecture: normal.architecture,
    variant: normal.variant ?? DEFAULT_VARIANT[normal.architecture] ?? '',
  };
}

export const DEFAULT_PLATFORM: Platform = Object.freeze({ os: 'linux', architecture: 'amd64' });

/**
 * Picks the index entry for `wanted`: exact os/architecture/variant first (variants defaulted as
 * containerd does), then for arm an older compatible variant. Throws VIGIL_PLATFORM_NOT_FOUND
 * listing what the index offers.
 */
export function selectPlatform(index: ImageIndex, wanted: Platform, where: string): Descriptor {
  const want = comparable(wanted);
  const candidates = index.manifests.filter(
    (m) =>
      m.platform !== undefined &&
      (m.mediaType === undefined ||
        m.mediaType === MediaType.ociManifest ||
        m.mediaType === MediaType.dockerManifest ||
        m.mediaType === MediaType.ociIndex ||
        m.mediaType === MediaType.dockerManifestList),
  );
  const variants =
    want.architecture === 'arm' ? (COMPATIBLE_ARM_VARIANTS[want.variant] ?? [want.variant]) : [want.variant];
  for (const variant of variants) {
    const found = candidates.find((m) => {
      const have = comparable(m.platform!);
      return have.os === want.os && have.architecture === want.architecture && have.variant === variant;
    });
    if (found !== undefined) return found;
  }
  const available = [
    ...new Set(candidates.map((m) => formatPlatform(m.platform!)).filter((p) => p !== 'unknown/unknown')),
  ];
  throw new VigilError(
    'VIGIL_PLATFORM_NOT_FOUND',
    `${where} has no image for ${formatPlatform(wanted)}; available: ${available.join(', ') || 'none'}`,
    { where, platform: formatPlatform(wanted), available },
  );
}

const configSchema = z.looseObject({
  architecture: z.string().optional(),
  os: z.string().optional(),
  variant: z.string().optional(),
  created: z.string().optional(),
  rootfs: z.object({ type: z.string(), diff_ids: z.array(digest) }),
  history: z
    .array(
      z.looseObject({
        created_by: z.string().optional(),
        empty_layer: z.boolean().optional(),
        created: z.string().optional(),
      }),
    )
    .optional(),
});

export function parseImageConfig(bytes: Buffer, where: string): ImageConfig {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalidImage(`image config of ${where} is not JSON`, { where });
  }
  const parsed = configSchema.safeParse(json);
  if (!parsed.success) {
    throw invalidImage(`image config of ${where} is malformed: ${issues(parsed.error)}`, { where });
  }
  return parsed.data as ImageConfig;
}

/**
 * Joins manifest layers with config rootfs.diff_ids (same count and order, image-spec config.md)
 * and with the history entries that made a layer (`empty_layer` ones made none).
 */
export function layersOf(manifest: ImageManifest, config: ImageConfig, where: string): LayerRef[] {
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== manifest.layers.length) {
    throw invalidImage(
      `${where} has ${manifest.layers.length} layers but its config lists ${diffIds.length} diff_ids`,
      { where, layers: manifest.layers.length, diffIds: diffIds.length },
    );
  }
  const producing = (config.history ?? []).filter((h) => h.empty_layer !== true);
  const history = producing.length === manifest.layers.length ? producing : undefined;
  return manifest.layers.map((layer, i) => {
    const mediaType = layer.mediaType ?? '';
    const compression = layerCompression(mediaType);
    if (compression === undefined) {
      throw invalidImage(
        `${where} layer ${layer.digest} has media type "${mediaType.slice(0, 100)}", not an image layer`,
        {
          where,
          mediaType: mediaType.slice(0, 100),
        },
      );
    }
    const createdBy = history?.[i]?.created_by?.trim();
    return {
      digest: layer.digest,
      diffId: diffIds[i]!,
      mediaType,
      size: layer.size,
      compression,
      ...(createdBy ? { createdBy } : {}),
    };
  });
}
