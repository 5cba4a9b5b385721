import type { Package } from '../core/types.ts';

const OS_TYPES = new Set(['deb', 'apk', 'rpm']);
/** merged-/usr: dpkg and rpm may list "bin/x" for what lives at "usr/bin/x", and the other way round */
const USR_MERGED = ['bin/', 'sbin/', 'lib/', 'lib32/', 'lib64/', 'libx32/'];

/**
 * Drops language packages read from files that an OS package owns (python3-yaml's dist-info from
 * dpkg, a Go binary shipped in a .deb): the OS package is what gets patched, so reporting both
 * would double every finding. Trivy and Syft make the same cut from the package managers' file
 * lists (dpkg info/*.list, rpm file lists, apk R: lines). Returns the kept packages and how many
 * were dropped.
 */
export function dropOsOwned(packages: readonly Package[]): { kept: Package[]; dropped: number } {
  const owned = new Set<string>();
  for (const pkg of packages) {
    if (!OS_TYPES.has(pkg.type)) continue;
    for (const file of pkg.files ?? []) owned.add(trimSlashes(file));
  }
  if (owned.size === 0) return { kept: [...packages], dropped: 0 };
  const kept = packages.filter(
    (pkg) =>
      OS_TYPES.has(pkg.type) ||
      pkg.locations.length === 0 ||
      !pkg.locations.every((location) => aliases(outerFile(location)).some((path) => owned.has(path))),
  );
  return { kept, dropped: packages.length - kept.length };
}

/** "usr/share/java/app.war!/WEB-INF/lib/x.jar" is read from the file "usr/share/java/app.war" */
function outerFile(location: string): string {
  const nested = location.indexOf('!/');
  return trimSlashes(nested === -1 ? location : location.slice(0, nested));
}

function aliases(path: string): string[] {
  for (const prefix of USR_MERGED) {
    if (path.startsWith(prefix)) return [path, `usr/${path}`];
    if (path.startsWith(`usr/${prefix}`)) return [path, path.slice(4)];
  }
  return [path];
}

function trimSlashes(path: string): string {
  let start = 0;
  while (path[start] === '/') start++;
  return start === 0 ? path : path.slice(start);
}
