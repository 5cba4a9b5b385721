import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { VigilError } from '../../core/errors.ts';
import type { ImageRef, LayerRef, ResolvedImage } from '../../core/types.ts';
import { hostPlatform } from '../archive/platform.ts';
import type { EntryReadOptions, ImageSource, LayerEntry } from '../types.ts';
import { walkRoot } from './walk.ts';

export const ROOTFS_MEDIA_TYPE = 'application/vnd.vigil.rootfs.dir';

/**
 * `dir:PATH`: an unpacked root filesystem (a chroot, a mounted disk, `dir:/` for this machine) seen
 * as an image of one pseudo-layer. The layer's digest and diffID are empty: a live tree has no
 * content address, so nothing read from it is cached.
 */
export function createDirSource(ref: ImageRef): ImageSource {
  const root = resolve(ref.path ?? '.');
  const layer: LayerRef = { digest: '', diffId: '', mediaType: ROOTFS_MEDIA_TYPE, size: 0, compression: 'none' };

  const checkRoot = async () => {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(root);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        throw new VigilError('VIGIL_IMAGE_NOT_FOUND', `${root} does not exist`, { path: root });
      }
      throw new VigilError('VIGIL_IMAGE_INVALID', `${root} cannot be read: ${code ?? String(err)}`, { path: root });
    }
    if (!info.isDirectory()) {
      throw new VigilError('VIGIL_IMAGE_INVALID', `${root} is not a directory`, { path: root });
    }
  };

  return {
    ref,
    async manifest(signal?: AbortSignal): Promise<ResolvedImage> {
      if (signal?.aborted) throw new VigilError('VIGIL_ABORTED', `opening ${root} was cancelled`, {});
      await checkRoot();
      return {
        ref,
        // Identifies the tree by where it is, not by what it holds: the inventory of a live
        // directory is always recomputed, the digest only names it in reports and the store.
        manifestDigest: `sha256:${createHash('sha256').update(root).digest('hex')}`,
        configDigest: '',
        config: {},
        platform: hostPlatform(),
        layers: [layer],
      };
    },
    layerEntries(_layer: LayerRef, options?: EntryReadOptions): AsyncIterable<LayerEntry> {
      return (async function* () {
        await checkRoot();
        yield* walkRoot(root, options);
      })();
    },
    async close() {},
  };
}
