import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VigilError } from '../../core/errors.ts';
import type { ImageConfig, Platform } from '../../core/types.ts';
import { parsePlatform } from '../reference.ts';
import {
  type ImageIndex,
  type ImageManifest,
  layersOf,
  MediaType,
  parseImageConfig,
  parseManifest,
  selectPlatform,
} from './manifest.ts';

const d = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

function index(platforms: Array<Platform | undefined>, mediaType: string = MediaType.ociManifest): ImageIndex {
  return {
    schemaVersion: 2,
    manifests: platforms.map((platform, i) => ({
      mediaType,
      digest: d(i + 1),
      size: 100,
      ...(platform ? { platform } : {}),
    })),
  };
}

describe('selectPlatform', () => {
  const real = index([
    { os: 'linux', architecture: 'amd64' },
    { os: 'linux', architecture: 'arm', variant: 'v6' },
    { os: 'linux', architecture: 'arm', variant: 'v7' },
    { os: 'linux', architecture: 'arm64', variant: 'v8' },
    { os: 'windows', architecture: 'amd64' },
    { os: 'unknown', architecture: 'unknown' },
  ]);

  it.each([
    ['linux/amd64', 1],
    ['linux/x86_64', 1],
    ['linux/arm64', 4],
    ['linux/aarch64', 4],
    ['linux/arm64/v8', 4],
    ['linux/arm', 3],
    ['linux/arm/v7', 3],
    ['linux/arm/v6', 2],
    ['linux/armhf', 3],
    ['windows/amd64', 5],
  ])('%s -> entry %i', (platform, entry) => {
    expect(selectPlatform(real, parsePlatform(platform), 'img').digest).toBe(d(entry));
  });

  it('falls back to an older arm variant', () => {
    const onlyV6 = index([{ os: 'linux', architecture: 'arm', variant: 'v6' }]);
    expect(selectPlatform(onlyV6, parsePlatform('linux/arm/v7'), 'img').digest).toBe(d(1));
    expect(() => selectPlatform(onlyV6, parsePlatform('linux/arm/v5'), 'img')).toThrow(VigilError);
  });

  it('matches an arm64 entry that omits its default variant', () => {
    const bare = index([{ os: 'linux', architecture: 'arm64' }]);
    expect(selectPlatform(bare, parsePlatform('linux/arm64/v8'), 'img').digest).toBe(d(1));
  });

  it('lists what is available, without attestation entries', () => {
    expect(() => selectPlatform(real, parsePlatform('linux/riscv64'), 'img')).toThrow(
      expect.objectContaining({
        code: 'VIGIL_PLATFORM_NOT_FOUND',
        message:
          'img has no image for linux/riscv64; available: linux/amd64, linux/arm/v6, linux/arm/v7, linux/arm64/v8, windows/amd64',
      }) as unknown as Error,
    );
  });

  it('ignores entries without a platform or of other media types', () => {
    const odd = index([undefined, { os: 'linux', architecture: 'amd64' }], 'application/vnd.in-toto+json');
    expect(() => selectPlatform(odd, parsePlatform('linux/amd64'), 'img')).toThrow(
      expect.objectContaining({ message: expect.stringContaining('available: none') }) as unknown as Error,
    );
  });
});

describe('parseManifest', () => {
  const image = { schemaVersion: 2, config: { digest: d(1), size: 2 }, layers: [] };
  it.each([
    [{ ...image, mediaType: MediaType.dockerManifest }, null, 'image', MediaType.dockerManifest],
    [image, MediaType.dockerManifest, 'image', MediaType.dockerManifest],
    [image, 'application/json', 'image', MediaType.ociManifest],
    [{ schemaVersion: 2, manifests: [] }, null, 'index', MediaType.ociIndex],
    [
      { schemaVersion: 2, manifests: [] },
      `${MediaType.dockerManifestList}; charset=utf-8`,
      'index',
      MediaType.dockerManifestList,
    ],
  ])('%j with Content-Type %s is an %s', (body, contentType, kind, mediaType) => {
    expect(parseManifest(Buffer.from(JSON.stringify(body)), contentType, 'img')).toMatchObject({ kind, mediaType });
  });

  it('never throws anything but VigilError', () => {
    const json = fc.jsonValue().map((v) => JSON.stringify(v));
    const manifestish = fc.record({
      schemaVersion: fc.oneof(fc.constant(2), fc.integer()),
      mediaType: fc.constantFrom(...Object.values(MediaType), 'x'),
      config: fc.anything(),
      layers: fc.oneof(fc.anything(), fc.array(fc.anything())),
      manifests: fc.oneof(fc.anything(), fc.array(fc.anything())),
    });
    fc.assert(
      fc.property(
        fc.oneof(
          json,
          manifestish.map((m) => JSON.stringify(m)),
          fc.string(),
        ),
        fc.option(fc.string()),
        (text, contentType) => {
          try {
            parseManifest(Buffer.from(text), contentType, 'img');
          } catch (err) {
            if (!(err instanceof VigilError)) throw err;
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('layersOf', () => {
  const manifest: ImageManifest = {
    schemaVersion: 2,
    config: { digest: d(9), size: 1 },
    layers: [
      { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: d(1), size: 10 },
      { mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', digest: d(2), size: 20 },
      { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: d(3), size: 30 },
    ],
  };
  const config: ImageConfig = {
    rootfs: { type: 'layers', diff_ids: [d(11), d(12), d(13)] },
    history: [
      { created_by: 'ADD rootfs.tar /' },
      { created_by: 'ENV X=1', empty_layer: true },
      { created_by: '  RUN apt-get install -y curl  ' },
      { created_by: '' },
    ],
  };

  it('joins layers, diff_ids, compression and history', () => {
    expect(layersOf(manifest, config, 'img')).toEqual([
      {
        digest: d(1),
        diffId: d(11),
        mediaType: manifest.layers[0]!.mediaType,
        size: 10,
        compression: 'gzip',
        createdBy: 'ADD rootfs.tar /',
      },
      {
        digest: d(2),
        diffId: d(12),
        mediaType: manifest.layers[1]!.mediaType,
        size: 20,
        compression: 'zstd',
        createdBy: 'RUN apt-get install -y curl',
      },
      { digest: d(3), diffId: d(13), mediaType: manifest.layers[2]!.mediaType, size: 30, compression: 'none' },
    ]);
  });

  it('leaves createdBy out when history does not line up with the layers', () => {
    const layers = layersOf(manifest, { ...config, history: [{ created_by: 'only one' }] }, 'img');
    expect(layers.map((l) => l.createdBy)).toEqual([undefined, undefined, undefined]);
  });

  it.each([
    [
      { ...config, rootfs: { type: 'layers', diff_ids: [d(11)] } },
      manifest,
      '3 layers but its config lists 1 diff_ids',
    ],
    [
      config,
      {
        ...manifest,
        layers: manifest.layers.map((l) => ({
          ...l,
          mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
        })),
      },
      'not an image layer',
    ],
  ])('rejects a mismatch (%#)', (cfg, man, text) => {
    expect(() => layersOf(man, cfg, 'img')).toThrow(
      expect.objectContaining({
        code: 'VIGIL_IMAGE_INVALID',
        message: expect.stringContaining(text),
      }) as unknown as Error,
    );
  });

  it.each(['nope', '{}', '{"rootfs":{"type":"layers","diff_ids":["md5:x"]}}', 'null'])(
    'parseImageConfig rejects %s',
    (text) => {
      expect(() => parseImageConfig(Buffer.from(text), 'img')).toThrow(
        expect.objectContaining({ code: 'VIGIL_IMAGE_INVALID' }) as unknown as Error,
      );
    },
  );
});
