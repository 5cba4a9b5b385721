import type { Package } from '../core/types.ts';

export function packageKey(pkg: Pick<Package, 'name' | 'version' | 'arch'>): string {
  return `${pkg.name}\u0000${pkg.version}\u0000${pkg.arch ?? ''}`;
}

/**
 * Which layer introduced each package of the final database version. `versions` holds the package
 * keys read from each layer's copy of the database, oldest first, ending with the final copy; a
 * package belongs to the oldest layer from which it is present in every later copy (a package
 * removed and reinstalled belongs to the layer that reinstalled it).
 */
export function introducingLayers(
  layers: readonly number[],
  versions: ReadonlyArray<ReadonlySet<string>>,
): Map<string, number> {
  const out = new Map<string, number>();
  const top = versions.length - 1;
  const final = versions[top];
  if (!final || layers.length !== versions.length) return out;
  for (const key of final) {
    let index = top;
    while (index > 0 && versions[index - 1]?.has(key)) index--;
    out.set(key, layers[index] as number);
  }
  return out;
}
