import { stat } from 'node:fs/promises';
import { isVigilError, VigilError } from '../../core/errors.ts';
import type { ImageRef, LayerRef, ResolvedImage } from '../../core/types.ts';
import { layerEntriesFromBlob } from '../layer/index.ts';
import type { EntryReadOptions, ImageSource, LayerEntry, SourceOptions } from '../types.ts';
import { type BlobStore, directoryStore, tarStore } from './blob-store.ts';
import { resolveDockerArchive } from './docker-archive.ts';
import { layerKey, type Resolution, resolveOciLayout } from './oci-layout.ts';
import { DEFAULT_PLATFORM } from './platform.ts';

/**
 * Image files: `docker-archive:FILE` (docker save), `oci-archive:FILE[:ref]` (a tar of an OCI
 * layout) and `oci:DIR[:ref]` (an OCI layout directory). Archives are indexed in place and their
 * blobs served as byte ranges; nothing is extracted. Archives compressed as a whole (.tar.gz) are
 * refused with VIGIL_IMAGE_INVALID: blobs need random access.
 */
export function createArchiveSource(ref: ImageRef, options: SourceOptions = {}): ImageSource {
  if (ref.transport !== 'docker-archive' && ref.transport !== 'oci-archive' && ref.transport !== 'oci') {
    throw new VigilError('VIGIL_INTERNAL', `archive source cannot open ${ref.transport} references`, {});
  }
  const platform = { wanted: options.platform ?? DEFAULT_PLATFORM, explicit: options.platform !== undefined };
  let opened: Promise<{ store: BlobStore; resolution: Resolution }> | undefined;

  const open = async () => {
    const { path, wantedTag } = await locate(ref);
    const store = ref.transport === 'oci' ? directoryStore(path) : await tarStore(path);
    const hasDockerManifest = (await store.size('manifest.json')) !== undefined;
    const hasIndex = (await store.size('index.json')) !== undefined;
    let resolution: Resolution;
    if (ref.transport === 'docker-archive' && (hasDockerManifest || !hasIndex)) {
      resolution = await resolveDockerArchive(store, ref, wantedTag);
    } else if (!hasIndex) {
      const hint = hasDockerManifest ? ' (it looks like docker save output: use docker-archive:)' : '';
      throw new VigilError('VIGIL_IMAGE_INVALID', `${path} is not an OCI layout: no index.json${hint}`, { path });
    } else {
      resolution = await resolveOciLayout(store, ref, platform);
    }
    return { store, resolution };
  };
  const resolved = () => {
    opened ??= open().catch((err: unknown) => {
      if (isVigilError(err)) throw err;
      throw new VigilError(
        'VIGIL_IMAGE_INVALID',
        `cannot read ${ref.original}: ${(err as Error).message}`,
        { path: ref.path },
        { cause: err },
      );
    });
    return opened;
  };

  return {
    ref,
    async manifest(signal?: AbortSignal): Promise<ResolvedImage> {
      if (signal?.aborted) throw new VigilError('VIGIL_ABORTED', `opening ${ref.original} was cancelled`, {});
      return (await resolved()).resolution.image;
    },
    layerEntries(layer: LayerRef, entryOptions?: EntryReadOptions): AsyncIterable<LayerEntry> {
      return readLayer(resolved, layer, entryOptions);
    },
    async close() {
      opened = undefined;
    },
  };
}

async function* readLayer(
  resolved: () => Promise<{ store: BlobStore; resolution: Resolution }>,
  layer: LayerRef,
  options: EntryReadOptions | undefined,
): AsyncGenerator<LayerEntry> {
  const { store, resolution } = await resolved();
  const path = resolution.layerPaths.get(layerKey(layer));
  if (path === undefined) {
    throw new VigilError('VIGIL_INTERNAL', `layer ${layer.digest || layer.diffId} is not part of this image`, {
      layer: layer.digest,
    });
  }
  const size = await store.size(path);
  if (size === undefined) {
    throw new VigilError('VIGIL_IMAGE_INVALID', `${store.location} has no blob ${path}`, { path });
  }
  if (layer.digest !== '' && layer.size !== size) {
    throw new VigilError(
      'VIGIL_DIGEST_MISMATCH',
      `layer ${layer.digest} is ${size} bytes in ${store.location}, its descriptor says ${layer.size}`,
      { layer: layer.digest, size, expectedSize: layer.size },
    );
  }
  yield* layerEntriesFromBlob(store.open(path), layer, options ?? {});
}

/**
 * The file or directory a reference names. `docker-archive:FILE:repo:tag` (skopeo's spelling) is
 * split at the first ":" when the whole string names nothing.
 */
async function locate(ref: ImageRef): Promise<{ path: string; wantedTag?: string }> {
  const path = ref.path ?? '';
  const wantDir = ref.transport === 'oci';
  const kind = async (p: string) => {
    try {
      const info = await stat(p);
      return info.isDirectory() ? 'dir' : 'file';
    } catch (err) {
      if (isVigilError(err)) throw err;
      return undefined;
    }
  };
  let found = await kind(path);
  let located: { path: string; wantedTag?: string } = { path, ...(ref.pathRef ? { wantedTag: ref.pathRef } : {}) };
  const colon = path.indexOf(':');
  if (found === undefined && ref.transport === 'docker-archive' && colon > 0) {
    const head = path.slice(0, colon);
    const headKind = await kind(head);
    if (headKind !== undefined) {
      found = headKind;
      located = { path: head, wantedTag: path.slice(colon + 1) };
    }
  }
  if (found === undefined) {
    throw new VigilError('VIGIL_IMAGE_NOT_FOUND', `${path} does not exist`, { path });
  }
  if (wantDir && found !== 'dir') {
    throw new VigilError('VIGIL_IMAGE_INVALID', `${path} is a file, not an OCI layout directory (oci-archive:?)`, {
      path,
    });
  }
  if (!wantDir && found === 'dir') {
    throw new VigilError('VIGIL_IMAGE_INVALID', `${path} is a directory, not an archive (oci:?)`, { path });
  }
  return located;
}
