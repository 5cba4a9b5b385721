import { baseEcosystem, normalizePackageName } from '../../core/ecosystem.ts';
import type { Inventory } from '../../core/types.ts';
import { distroTarget } from '../../match/distro.ts';
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
  const keys = new Map<string, PackageKey>();
  const add = (ecosystem: string, name: string) => {
    const key = indexKey({ ecosystem, name });
    keys.set(`${key.ecosystem}\u0000${key.name}`, key);
  };
  // ubuntuPro true: the Pro ecosystems share the base "Ubuntu", so this only widens nothing
  const target = inventory.distro === undefined ? undefined : distroTarget(inventory.distro, true);
  for (const pkg of inventory.packages) {
    const ecosystem = pkg.ecosystem ?? ecosystemOfPurlType(pkg.type);
    if (ecosystem !== undefined) {
      add(ecosystem, pkg.name);
    } else if (target !== undefined && pkg.type === target.packageType) {
      add(target.baseEcosystem, pkg.name);
      if (pkg.sourceName !== undefined) add(target.baseEcosystem, pkg.sourceName);
    }
  }
  return [...keys.values()];
}

/** an advisory's (ecosystem, name) in the form the index stores */
export function indexKey(key: PackageKey): PackageKey {
  return { ecosystem: baseEcosystem(key.ecosystem), name: normalizePackageName(key.ecosystem, key.name) };
}
