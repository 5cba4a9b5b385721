import type { Package } from '../core/types.ts';

/** purl types of packages a distribution's package manager installs; the rest come from language ecosystems. */
const OS_PACKAGE_TYPES: ReadonlySet<string> = new Set(['deb', 'apk', 'rpm', 'alpm']);

export function isOsPackage(pkg: Package): boolean {
  return OS_PACKAGE_TYPES.has(pkg.type);
}
