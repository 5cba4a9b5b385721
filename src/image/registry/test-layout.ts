import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import type { Platform } from '../../core/types.ts';
import { sha256Digest } from './digest.ts';
import { MediaType } from './manifest.ts';

/**
 * Test support: writes a small OCI image layout by hand (one gzip layer per image, config with
 * history), for push/pull round trips before the shared image builder exists.
 */

export interface LayoutImage {
  readonly platform: Platform;
  /** path -> content of the single layer */
  readonly files: Readonly<Record<string, string>>;
}

export interface WrittenImage {
  readonly manifestDigest: string;
  readonly configDigest: string;
  readonly layerDigest: string;
  readonly diffId: string;
  readonly layerSize: number;
  readonly platform: Platform;
}

export interface WrittenLayout {
  readonly images: readonly WrittenImage[];
  /** set when the layout holds an image index */
  readonly indexDigest?: string;
}

async function tarOf(files: Readonly<Record<string, string>>): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (chunk: unknown) => {
      chunks.push(chunk as Buffer);
    });
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const [name, content] of Object.entries(files)) pack.entry({ name, mode: 0o644 }, content);
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

async function putBlob(dir: string, bytes: Buffer): Promise<string> {
  const digest = sha256Digest(bytes);
  await writeFile(join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length)), bytes);
  return digest;
}

async function writeImage(dir: string, image: LayoutImage): Promise<WrittenImage & { manifestSize: number }> {
  const tar = await tarOf(image.files);
  const layer = gzipSync(tar);
  const layerDigest = await putBlob(dir, layer);
  const diffId = sha256Digest(tar);
  const config = Buffer.from(
    JSON.stringify({
      architecture: image.platform.architecture,
      os: image.platform.os,
      ...(image.platform.variant ? { variant: image.platform.variant } : {}),
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [{ created_by: '/bin/sh -c #(nop) ADD files /' }, { created_by: 'ENV A=1', empty_layer: true }],
    }),
  );
  const configDigest = await putBlob(dir, config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: configDigest, size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layerDigest, size: layer.length }],
    }),
  );
  const manifestDigest = await putBlob(dir, manifest);
  return {
    manifestDigest,
    configDigest,
    layerDigest,
    diffId,
    layerSize: layer.length,
    platform: image.platform,
    manifestSize: manifest.length,
  };
}

/** One image: index.json names its manifest. Several, with `asIndex`: index.json names an image index. */
export async function writeOciLayout(
  dir: string,
  images: readonly LayoutImage[],
  options: { asIndex?: boolean } = {},
): Promise<WrittenLayout> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const written = [];
  for (const image of images) written.push(await writeImage(dir, image));
  const descriptors: Array<{ mediaType: string; digest: string; size: number; platform?: Platform }> = written.map(
    (w) => ({
      mediaType: MediaType.ociManifest,
      digest: w.manifestDigest,
      size: w.manifestSize,
      platform: w.platform,
    }),
  );
  let indexDigest: string | undefined;
  let top = descriptors;
  if (options.asIndex === true) {
    const index = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: descriptors }),
    );
    indexDigest = await putBlob(dir, index);
    top = [{ mediaType: MediaType.ociIndex, digest: indexDigest, size: index.length }];
  }
  await writeFile(
    join(dir, 'index.json'),
    JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: top }),
  );
  return {
    images: written.map(({ manifestSize: _, ...rest }) => rest),
    ...(indexDigest === undefined ? {} : { indexDigest }),
  };
}
