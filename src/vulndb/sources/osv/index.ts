import { join } from 'node:path';
import { VigilError } from '../../../core/errors.ts';
import type { FetchOptions, SourceItem, VulnSource } from '../../types.ts';
import { readOsvZip, startParseThread } from './zip-thread-client.ts';

/** osv.dev's public bucket: `<base>/<Ecosystem>/all.zip`, one `<ID>.json` per record. */
export const OSV_BUCKET_URL = 'https://osv-vulnerabilities.storage.googleapis.com';

/**
 * The ecosystems osv.dev publishes a zip for (its bucket's `ecosystems.txt`), spelled as the OSV
 * schema's ecosystem list spells them.
 */
export const osvEcosystems = [
  'AlmaLinux',
  'Alpaquita',
  'Alpine',
  'Android',
  'BellSoft Hardened Containers',
  'Bioconductor',
  'Bitnami',
  'Chainguard',
  'CRAN',
  'crates.io',
  'Debian',
  'Echo',
  'GHC',
  'GitHub Actions',
  'Go',
  'Hackage',
  'Hex',
  'Linux',
  'Mageia',
  'Maven',
  'MinimOS',
  'npm',
  'NuGet',
  'openEuler',
  'openSUSE',
  'OSS-Fuzz',
  'Packagist',
  'Photon OS',
  'Pub',
  'PyPI',
  'Red Hat',
  'Rocky Linux',
  'RubyGems',
  'SUSE',
  'SwiftURL',
  'Ubuntu',
  'Wolfi',
] as const;

/**
 * What `vigil db update` reads from the bucket when no `--ecosystem` is given: the distributions
 * and language ecosystems Vigil inventories in images (the rest of osv.dev, such as Linux, OSS-Fuzz
 * or GitHub Actions, describes nothing found in a container's package databases).
 */
export const defaultOsvEcosystems = [
  'AlmaLinux',
  'Alpine',
  'Chainguard',
  'Debian',
  'openSUSE',
  'Red Hat',
  'Rocky Linux',
  'SUSE',
  'Ubuntu',
  'Wolfi',
  'crates.io',
  'Go',
  'Maven',
  'npm',
  'NuGet',
  'Packagist',
  'PyPI',
  'RubyGems',
] as const satisfies ReadonlyArray<(typeof osvEcosystems)[number]>;

/** Some OSV records are megabytes (Linux kernel CVEs with many versions); none comes near this. */
export const MAX_RECORD_BYTES = 32 * 1024 * 1024;

/** The URL of an ecosystem's zip under a bucket or mirror base (`https://...` or `file:///dir`). */
export function osvZipUrl(baseUrl: string, ecosystem: string): string {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return new URL(`${encodeURIComponent(ecosystem)}/all.zip`, base).href;
}

/** Checks `--ecosystem` names against osv.dev's list (case-insensitively) and returns its spelling. */
export function resolveOsvEcosystems(names: readonly string[]): string[] {
  return names.map((name) => {
    const known = osvEcosystems.find((ecosystem) => ecosystem.toLowerCase() === name.trim().toLowerCase());
    if (known === undefined) {
      throw new VigilError('VIGIL_USAGE', `unknown OSV ecosystem "${name}" (known: ${osvEcosystems.join(', ')})`);
    }
    return known;
  });
}

/** One ecosystem of the osv.dev bucket, or of a mirror with the same layout. */
export function osvSource(ecosystem: string, baseUrl: string = OSV_BUCKET_URL): VulnSource {
  return osvZipSource(`osv:${ecosystem}`, osvZipUrl(baseUrl, ecosystem));
}

/**
 * A single OSV `all.zip` at a URL. The zip is downloaded to the scratch dir and read entry by
 * entry on a worker thread (zip-thread-client.ts): a corrupt entry is a `skipped` item; a corrupt
 * or truncated archive makes the source throw after the records it could read, so the store keeps
 * the previous data and marks the source stale.
 */
export function osvZipSource(name: string, url: string): VulnSource {
  return {
    name,
    async *fetch(options: FetchOptions): AsyncIterable<SourceItem> {
      const local = join(options.tmpDir, `${name.replace(/[^\w.-]+/g, '_')}.zip`);
      startParseThread();
      await options.transport.download(url, local, options.signal);
      yield* readOsvZip(local, {
        maxEntryBytes: MAX_RECORD_BYTES,
        label: url,
        ...(options.signal !== undefined ? { signal: options.signal } : {}),
        ...(options.itemsUsedAtOnce !== undefined ? { itemsUsedAtOnce: options.itemsUsedAtOnce } : {}),
      });
    },
  } satisfies VulnSource;
}
