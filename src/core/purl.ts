import { PackageURL } from 'packageurl-js';
import type { Distro } from './types.ts';

/**
 * Builds a purl string (https://github.com/package-url/purl-spec). OS packages carry the distro as
 * namespace and a `distro` qualifier ("debian-12"), as Syft and Trivy write them.
 */
export function purl(
  type: string,
  namespace: string | undefined,
  name: string,
  version: string | undefined,
  qualifiers: Record<string, string | undefined> = {},
): string {
  const defined: Record<string, string> = {};
  for (const [key, value] of Object.entries(qualifiers)) {
    if (value !== undefined && value !== '') defined[key] = value;
  }
  const keys = Object.keys(defined);
  return new PackageURL(type, namespace, name, version, keys.length > 0 ? defined : undefined, undefined).toString();
}

/** "debian-12", "alpine-3.19.1"; undefined without a distro */
export function distroQualifier(distro: Distro | undefined): string | undefined {
  if (!distro) return undefined;
  return distro.versionId ? `${distro.id}-${distro.versionId}` : distro.id;
}
