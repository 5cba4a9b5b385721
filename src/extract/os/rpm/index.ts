import { distroQualifier, purl } from '../../../core/purl.ts';
import type { Distro, Package } from '../../../core/types.ts';
import type { ExtractInput, Extractor } from '../../types.ts';
import { type InstalledPackage, parseSourceRpm } from './installed-package.ts';
import { readRpmdb } from './rpmdb.ts';
import { BoundedWarnings } from './warnings.ts';

/** Where rpm keeps its database: BerkeleyDB (rpm < 4.16), NDB (SUSE), SQLite (rpm >= 4.16). */
const RPMDB_PATHS: ReadonlySet<string> = new Set([
  'var/lib/rpm/Packages',
  'var/lib/rpm/Packages.db',
  'var/lib/rpm/rpmdb.sqlite',
  'usr/lib/sysimage/rpm/Packages',
  'usr/lib/sysimage/rpm/Packages.db',
  'usr/lib/sysimage/rpm/rpmdb.sqlite',
]);

/** public keys imported with `rpm --import` are stored as packages of this name; they are not software */
const GPG_PUBKEY = 'gpg-pubkey';

export const rpmExtractor = {
  name: 'os/rpm',
  version: 1,

  required(path: string): boolean {
    return RPMDB_PATHS.has(imagePath(path));
  },

  /** SQLite's write-ahead log: committed transactions not yet checkpointed into rpmdb.sqlite */
  wants(path: string): boolean {
    const p = imagePath(path);
    return p.endsWith('/rpmdb.sqlite-wal') && RPMDB_PATHS.has(p.slice(0, -'-wal'.length));
  },

  async extract(input) {
    const warnings = new BoundedWarnings();
    const packages: Package[] = [];
    try {
      const sqliteWal = await walBeside(input);
      for await (const installed of readRpmdb(await input.localPath(), warnings, { sqliteWal })) {
        if (installed.name === GPG_PUBKEY) continue;
        packages.push(toPackage(installed, input.path, input.distro));
      }
    } catch (err) {
      // the readers turn bad content into warnings; this catches what they did not foresee
      warnings.push(`rpm database read stopped: ${err instanceof Error ? err.message : String(err)}`);
    }
    return { packages, warnings: warnings.list() };
  },
} satisfies Extractor;

/** the image's rpmdb.sqlite-wal as a local path, when the walker captured it (see `wants`) */
async function walBeside(input: ExtractInput): Promise<string | undefined> {
  if (!input.path.endsWith('rpmdb.sqlite')) return undefined;
  try {
    return await input.fs.localPath(`${input.path}-wal`);
  } catch {
    return undefined;
  }
}

function imagePath(path: string): string {
  return path.replace(/^(\.?\/)+/, '');
}

export function toPackage(installed: InstalledPackage, location: string, distro: Distro | undefined): Package {
  const { name, epoch, version, release, arch } = installed;
  const source = installed.sourceRpm === undefined ? undefined : parseSourceRpm(installed.sourceRpm);
  return {
    type: 'rpm',
    name,
    version: `${epoch === undefined ? '' : `${epoch}:`}${version}-${release}`,
    epoch,
    release,
    arch,
    sourceName: source?.name,
    sourceVersion: source?.version,
    licenses: installed.license === undefined ? undefined : [installed.license],
    maintainer: installed.vendor,
    modularityLabel: installed.modularityLabel,
    files: installed.files,
    purl: purl('rpm', purlNamespace(distro), name, `${version}-${release}`, {
      arch,
      epoch: epoch === undefined ? undefined : String(epoch),
      distro: distroQualifier(distro),
    }),
    locations: [location],
  };
}

/** purl-spec rpm: the namespace is the vendor; Red Hat's os-release ID "rhel" is spelt "redhat", as Syft and Trivy do. */
export function purlNamespace(distro: Distro | undefined): string {
  if (!distro) return 'redhat';
  return distro.id === 'rhel' ? 'redhat' : distro.id;
}
