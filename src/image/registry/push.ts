import { openAsBlob } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { VigilError } from '../../core/errors.ts';
import type { ImageRef } from '../../core/types.ts';
import { formatImageRef, isDigest } from '../reference.ts';
import { MANIFEST_SIZE_LIMIT, RegistryClient, type RegistryClientOptions } from './client.ts';
import { digestOf } from './digest.ts';
import { type Descriptor, MediaType, parseManifest } from './manifest.ts';

/**
 * Uploads an OCI image layout directory (image-spec image-layout.md: index.json plus
 * blobs/<alg>/<hex>) to a registry. index.json with one entry pushes that entry (an image or an
 * index) under the target tag; with several, index.json itself is pushed as an image index.
 * Blobs the registry already has (HEAD) are skipped.
 */

export interface PushResult {
  /** digest of what the tag now points to */
  readonly digest: string;
  readonly mediaType: string;
  /** blobs uploaded and blobs that were already there */
  readonly uploaded: number;
  readonly skipped: number;
}

interface PushState {
  readonly client: RegistryClient;
  readonly repository: string;
  readonly layoutDir: string;
  uploaded: number;
  skipped: number;
}

function blobPath(layoutDir: string, digest: string): string {
  if (!isDigest(digest)) {
    throw new VigilError('VIGIL_IMAGE_INVALID', `OCI layout ${layoutDir} references an invalid digest`, { layoutDir });
  }
  const [algorithm, hex] = digest.split(':') as [string, string];
  return join(layoutDir, 'blobs', algorithm, hex);
}

async function readSmall(path: string, what: string): Promise<Buffer> {
  try {
    const info = await stat(path);
    if (info.size > MANIFEST_SIZE_LIMIT) {
      throw new VigilError('VIGIL_LIMIT_EXCEEDED', `${what} is larger than ${MANIFEST_SIZE_LIMIT} bytes`, { path });
    }
    return await readFile(path);
  } catch (err) {
    if (err instanceof VigilError) throw err;
    throw new VigilError('VIGIL_IMAGE_NOT_FOUND', `cannot read ${what} at ${path}`, { path }, { cause: err });
  }
}

async function pushBlob(state: PushState, descriptor: Descriptor): Promise<void> {
  const path = blobPath(state.layoutDir, descriptor.digest);
  if (await state.client.hasBlob(state.repository, descriptor.digest, ['pull', 'push'])) {
    state.skipped++;
    return;
  }
  let blob: Blob;
  try {
    blob = await openAsBlob(path);
  } catch (err) {
    throw new VigilError(
      'VIGIL_IMAGE_NOT_FOUND',
      `OCI layout blob ${descriptor.digest} is missing`,
      { path },
      { cause: err },
    );
  }
  if (blob.size !== descriptor.size) {
    throw new VigilError(
      'VIGIL_IMAGE_INVALID',
      `OCI layout blob ${descriptor.digest} has ${blob.size} bytes, descriptor says ${descriptor.size}`,
      { path },
    );
  }
  // The registry verifies the digest on PUT and refuses a mismatch.
  await state.client.uploadBlob(state.repository, descriptor.digest, () => blob);
  state.uploaded++;
}

/** Pushes one manifest or index (children first) and returns its media type. */
async function pushManifest(
  state: PushState,
  descriptor: Descriptor,
  tag: string | undefined,
  depth: number,
): Promise<string> {
  const where = `OCI layout ${state.layoutDir}`;
  const bytes = await readSmall(blobPath(state.layoutDir, descriptor.digest), `manifest ${descriptor.digest}`);
  if (digestOf(bytes, descriptor.digest) !== descriptor.digest) {
    throw new VigilError(
      'VIGIL_DIGEST_MISMATCH',
      `${where}: manifest blob ${descriptor.digest} does not match its digest`,
      {
        digest: descriptor.digest,
      },
    );
  }
  const parsed = parseManifest(bytes, descriptor.mediaType ?? null, where);
  if (parsed.kind === 'index') {
    if (depth >= 2) throw new VigilError('VIGIL_IMAGE_INVALID', `${where} nests image indexes too deeply`, {});
    for (const child of parsed.index.manifests) await pushManifest(state, child, undefined, depth + 1);
  } else {
    await pushBlob(state, parsed.manifest.config);
    for (const layer of parsed.manifest.layers) await pushBlob(state, layer);
  }
  await state.client.putManifest(state.repository, tag ?? descriptor.digest, bytes, parsed.mediaType);
  return parsed.mediaType;
}

export async function pushOciLayout(
  layoutDir: string,
  target: ImageRef,
  options: RegistryClientOptions = {},
): Promise<PushResult> {
  if (target.transport !== 'registry' || target.registry === undefined || target.repository === undefined) {
    throw new VigilError('VIGIL_USAGE', `push target ${target.original} is not a registry reference`, {
      reference: target.original,
    });
  }
  const indexBytes = await readSmall(join(layoutDir, 'index.json'), `${layoutDir}/index.json`);
  const layout = parseManifest(indexBytes, MediaType.ociIndex, `OCI layout ${layoutDir}`);
  if (layout.kind !== 'index' || layout.index.manifests.length === 0) {
    throw new VigilError('VIGIL_IMAGE_INVALID', `OCI layout ${layoutDir} lists no images in index.json`, { layoutDir });
  }
  const state: PushState = {
    client: new RegistryClient(target.registry, options),
    repository: target.repository,
    layoutDir,
    uploaded: 0,
    skipped: 0,
  };
  const tag = target.digest === undefined ? (target.tag ?? 'latest') : undefined;
  const manifests = layout.index.manifests;
  let digest: string;
  let mediaType: string;
  if (manifests.length === 1) {
    digest = manifests[0]!.digest;
    mediaType = await pushManifest(state, manifests[0]!, tag, 0);
  } else {
    for (const child of manifests) await pushManifest(state, child, undefined, 1);
    mediaType = MediaType.ociIndex;
    digest = await state.client.putManifest(state.repository, tag ?? digestOf(indexBytes), indexBytes, mediaType);
  }
  if (target.digest !== undefined && target.digest !== digest) {
    throw new VigilError(
      'VIGIL_DIGEST_MISMATCH',
      `pushed ${digest}, but the target ${formatImageRef(target)} pins another digest`,
      {
        expected: target.digest,
        actual: digest,
      },
    );
  }
  return { digest, mediaType, uploaded: state.uploaded, skipped: state.skipped };
}
