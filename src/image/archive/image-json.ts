import { VigilError } from '../../core/errors.ts';
import type { Compression, ImageConfig, LayerRef, Platform } from '../../core/types.ts';

/** An OCI descriptor as found in indexes and manifests (image-spec descriptor.md). */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly platform?: Platform;
  readonly annotations?: Record<string, string>;
}

export const REF_NAME = 'org.opencontainers.image.ref.name';
const INDEX_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
]);

export function isIndex(mediaType: string | undefined): boolean {
  return mediaType !== undefined && INDEX_TYPES.has(mediaType);
}

function invalid(where: string, message: string): VigilError {
  return new VigilError('VIGIL_IMAGE_INVALID', `${where}: ${message}`, { where });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseDescriptor(value: unknown, where: string): Descriptor {
  if (!isRecord(value)) throw invalid(where, 'descriptor is not an object');
  const { mediaType, digest, size, platform, annotations } = value;
  if (typeof digest !== 'string') throw invalid(where, 'descriptor has no digest');
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw invalid(where, `descriptor ${digest} has no valid size`);
  }
  return {
    mediaType: typeof mediaType === 'string' ? mediaType : '',
    digest,
    size,
    ...(isRecord(platform) && typeof platform.os === 'string' && typeof platform.architecture === 'string'
      ? {
          platform: {
            os: platform.os,
            architecture: platform.architecture,
            ...(typeof platform.variant === 'string' && platform.variant ? { variant: platform.variant } : {}),
          },
        }
      : {}),
    ...(isRecord(annotations) ? { annotations: stringRecord(annotations) } : {}),
  };
}

function stringRecord(value: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** index.json or a nested image index / manifest list: its entries. */
export function parseIndex(value: unknown, where: string): Descriptor[] {
  if (!isRecord(value) || !Array.isArray(value.manifests)) throw invalid(where, 'not an image index (no manifests)');
  return value.manifests.map((m, i) => parseDescriptor(m, `${where} manifests[${i}]`));
}

export interface ManifestJson {
  readonly mediaType?: string;
  readonly config: Descriptor;
  readonly layers: Descriptor[];
}

export function parseManifest(value: unknown, where: string): ManifestJson {
  if (!isRecord(value)) throw invalid(where, 'manifest is not an object');
  if (value.schemaVersion !== 2)
    throw invalid(where, `unsupported manifest schemaVersion ${String(value.schemaVersion)}`);
  if (!Array.isArray(value.layers)) throw invalid(where, 'manifest has no layers');
  return {
    ...(typeof value.mediaType === 'string' ? { mediaType: value.mediaType } : {}),
    config: parseDescriptor(value.config, `${where} config`),
    layers: value.layers.map((l, i) => parseDescriptor(l, `${where} layers[${i}]`)),
  };
}

export function parseConfig(value: unknown, where: string): ImageConfig {
  if (!isRecord(value)) throw invalid(where, 'config is not an object');
  const rootfs = value.rootfs;
  if (!isRecord(rootfs) || !Array.isArray(rootfs.diff_ids) || !rootfs.diff_ids.every((d) => typeof d === 'string')) {
    throw invalid(where, 'config has no rootfs.diff_ids');
  }
  return value as ImageConfig;
}

export function compressionOf(mediaType: string): Compression {
  if (mediaType.includes('zstd')) return 'zstd';
  if (mediaType.includes('gzip')) return 'gzip';
  return 'none';
}

/** Per layer, the history entry that made it: history lists empty layers too (image-spec config.md). */
export function layerHistory(config: ImageConfig): Array<string | undefined> {
  return (config.history ?? []).filter((h) => !h.empty_layer).map((h) => h.created_by);
}

export function configPlatform(config: ImageConfig, fallback?: Platform): Platform {
  if (config.os && config.architecture) {
    return { os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) };
  }
  return fallback ?? { os: 'unknown', architecture: 'unknown' };
}

export function toLayerRefs(
  descriptors: readonly Descriptor[],
  config: ImageConfig,
  where: string,
  describe: (d: Descriptor, diffId: string) => Partial<LayerRef> = () => ({}),
): LayerRef[] {
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== descriptors.length) {
    throw invalid(where, `${descriptors.length} layers but ${diffIds.length} rootfs.diff_ids`);
  }
  const history = layerHistory(config);
  return descriptors.map((d, i) => {
    const createdBy = history[i];
    return {
      digest: d.digest,
      diffId: diffIds[i]!,
      mediaType: d.mediaType,
      size: d.size,
      compression: compressionOf(d.mediaType),
      ...(createdBy ? { createdBy } : {}),
      ...describe(d, diffIds[i]!),
    };
  });
}
