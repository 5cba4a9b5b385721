import { baseEcosystem, normalizePackageName } from '../../core/ecosystem.ts';
import type { Inventory, Package } from '../../core/types.ts';
import { type DistroTarget, distroTarget } from '../../match/distro.ts';
import { ecosystemOfPurlType } from '../../match/schemes.ts';
import type { PackageKey } from './types.ts';

/**
 * The keys under which an inventory's packages can be hit by an advisory: (base OSV ecosystem,
 * normalised name). The base ecosystem ("Debian", not "Debian:12") on purpose: an advisory's
 * ecosystem string varies (release suffixes, Red Hat product streams, SUSE modules, Ubuntu Pro) and
 * the matcher decides acceptance; the index only has to never miss an image. Re-matching a few
 * images of another release of the same distro is cheap, missing one is a silent false negative.
 * OS packages are keyed by binary and source name, as the matcher looks up either (rpm) or the
 * source (deb, apk).
 */
export function packageIndexKeys(inventory: Inventory): PackageKey[] {
  return packageIndexEntries(inventory).map((entry) => entry.key);
}

/** `packageIndexKeys` with, for each key, the inventory's packages under it (in inventory order) */
export function packageIndexEntries(inventory: Inventory): Array<{ key: PackageKey; packages: Package[] }> {
  const entries = new Map<string, { key: PackageKey; packages: Package[] }>();
  const target = targetOf(inventory);
  for (const pkg of inventory.packages) {
    for (const key of keysOfPackage(pkg, target)) {
      const entry = entries.get(keyString(key));
      if (entry === undefined) entries.set(keyString(key), { key, packages: [pkg] });
      else if (entry.packages.at(-1) !== pkg) entry.packages.push(pkg);
    }
  }
  return [...entries.values()];
}

/** changed index keys: base ecosystem -> normalised names */
export type ChangedIndex = ReadonlyMap<string, ReadonlySet<string>>;

export function changedIndex(packages: readonly PackageKey[]): ChangedIndex {
  const index = new Map<string, Set<string>>();
  for (const key of packages.map(indexKey)) {
    const names = index.get(key.ecosystem) ?? new Set<string>();
    names.add(key.name);
    index.set(key.ecosystem, names);
  }
  return index;
}

/**
 * The inventory's packages that a changed advisory can hit (the keys `packageIndexKeys` gives them
 * meet `changed`): what a DB delta has to re-evaluate in this image. Every other package's
 * advisories are as they were at the image's last match.
 */
export function packagesHitBy(inventory: Inventory, changed: ChangedIndex): Package[] {
  const target = targetOf(inventory);
  const os = target === undefined ? undefined : changed.get(target.baseEcosystem);
  return inventory.packages.filter((pkg) => {
    const ecosystem = pkg.ecosystem ?? ecosystemOfPurlType(pkg.type);
    if (ecosystem !== undefined) {
      return changed.get(baseEcosystem(ecosystem))?.has(normalizePackageName(ecosystem, pkg.name)) === true;
    }
    if (os === undefined || target === undefined || pkg.type !== target.packageType) return false;
    const base = target.baseEcosystem;
    return (
      os.has(normalizePackageName(base, pkg.name)) ||
      (pkg.sourceName !== undefined && os.has(normalizePackageName(base, pkg.sourceName)))
    );
  });
}

/** one string per index key, for sets and maps */
const keyString = (key: PackageKey): string => `${key.ecosystem}\u0000${key.name}`;

// ubuntuPro true: the Pro ecosystems share the base "Ubuntu", so this only widens nothing
const targetOf = (inventory: Inventory): DistroTarget | undefined =>
  inventory.distro === undefined ? undefined : distroTarget(inventory.distro, true);

function keysOfPackage(pkg: Package, target: DistroTarget | undefined): PackageKey[] {
  const ecosystem = pkg.ecosystem ?? ecosystemOfPurlType(pkg.type);
  if (ecosystem !== undefined) return [indexKey({ ecosystem, name: pkg.name })];
  if (target === undefined || pkg.type !== target.packageType) return [];
  const keys = [indexKey({ ecosystem: target.baseEcosystem, name: pkg.name })];
  if (pkg.sourceName !== undefined) keys.push(indexKey({ ecosystem: target.baseEcosystem, name: pkg.sourceName }));
  return keys;
}

/** an advisory's (ecosystem, name) in the form the index stores */
export function indexKey(key: PackageKey): PackageKey {
  return { ecosystem: baseEcosystem(key.ecosystem), name: normalizePackageName(key.ecosystem, key.name) };
}
