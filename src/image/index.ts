import type { ImageRef } from '../core/types.ts';
import { createArchiveSource } from './archive/index.ts';
import { createDirSource } from './dir/index.ts';
import { parseImageRef } from './reference.ts';
import { createRegistrySource } from './registry/index.ts';
import type { ImageSource, SourceOptions } from './types.ts';

export { parseImageRef, parsePlatform } from './reference.ts';
export type { EntryReadOptions, ImageSource, LayerEntry, SourceOptions } from './types.ts';

/** Opens any image reference (`alpine:3.19`, `oci:DIR`, `docker-archive:FILE`, `dir:/` ...) as an ImageSource. */
export function openImage(ref: string | ImageRef, options: SourceOptions = {}): ImageSource {
  const parsed = typeof ref === 'string' ? parseImageRef(ref) : ref;
  switch (parsed.transport) {
    case 'registry':
      return createRegistrySource(parsed, options);
    case 'docker-archive':
    case 'oci-archive':
    case 'oci':
      return createArchiveSource(parsed, options);
    case 'dir':
      return createDirSource(parsed);
  }
}
