import type { ImageRef } from '../core/types.ts';
import { chooseDistro } from '../extract/os/release/index.ts';
import { extractors } from '../extract/registry.ts';
import { openImage, type SourceOptions } from '../image/index.ts';
import { buildInventory, type InventoryOptions, type InventoryResult } from './build-inventory.ts';

export type { InventoryResult, ProgressEvent } from './build-inventory.ts';
export { buildInventory } from './build-inventory.ts';

export interface InventoryImageOptions
  extends Partial<Omit<InventoryOptions, 'cacheDir' | 'chooseDistro'>>,
    Pick<InventoryOptions, 'cacheDir'> {
  readonly source?: SourceOptions;
}

/** Opens an image by reference and inventories it with every registered extractor. */
export async function inventoryImage(ref: string | ImageRef, options: InventoryImageOptions): Promise<InventoryResult> {
  const source = openImage(ref, options.source);
  try {
    return await buildInventory(source, { extractors, chooseDistro, ...options });
  } finally {
    await source.close();
  }
}
