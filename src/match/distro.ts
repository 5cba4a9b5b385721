import { debianReleases } from '../core/debian-releases.ts';
import type { Distro, Package } from '../core/types.ts';
import { endOfLife, isPast } from './eol.ts';

/**
 * Which OSV ecosystems describe the packages of an image's distro release, named as the OSV schema's
 * "Defined ecosystems" table and osv.dev's data name them (Debian:12, Ubuntu:22.04:LTS,
 * Alpine:v3.19, AlmaLinux:9, Rocky Linux:9, Red Hat:enterprise_linux:9::appstream,
 * SUSE:Linux Enterprise Server 15 SP5, openSUSE:Leap 15.5, Wolfi, Chainguard, Mageia:9).
 */
export interface DistroTarget {
  /** the base ecosystem records are looked up under ("Debian", "Red Hat") */
  readonly baseEcosystem: string;
  /** the release as Vigil reports it: the primary OSV ecosystem string ("Debian:12") */
  readonly ecosystem: string;
  /** package manager format of the distro */
  readonly packageType: 'deb' | 'apk' | 'rpm';
  /** whether an `affected[].package.ecosystem` string describes this release */
  accepts(ecosystem: string): boolean;
  /** the EOL table key and release, when the distro has one */
  readonly eol?: { readonly table: string; readonly release: string };
}

export type DistroState = 'supported' | 'end-of-life' | 'unknown-release' | 'unsupported' | 'none';

export interface DistroStatus {
  readonly id?: string;
  readonly versionId?: string;
  /** the OSV ecosystem the OS packages were matched against */
  readonly ecosystem?: string;
  /**
   * supported: in the end-of-life table and before its date (or a rolling distro);
   * end-of-life: past it (matched, but new vulnerabilities are no longer published);
   * unknown-release: matched, but the release is not in Vigil's end-of-life table;
   * unsupported: Vigil has no OSV ecosystem for it, OS packages were not matched;
   * none: the inventory names no distro.
   */
  readonly state: DistroState;
  readonly endOfLife?: string;
  /** false when the DB holds no record at all for the ecosystem: "no findings" then means "no data" */
  readonly dataAvailable: boolean;
  /** Ubuntu: whether Ubuntu Pro (ESM) records were matched as well */
  readonly ubuntuPro?: boolean;
}

function major(versionId: string | undefined): string | undefined {
  const m = versionId === undefined ? null : /^(\d+)/.exec(versionId);
  return m?.[1];
}

function exact(...names: string[]): (ecosystem: string) => boolean {
  const set = new Set(names);
  return (ecosystem) => set.has(ecosystem);
}

/** Ubuntu packages rebuilt for Ubuntu Pro carry "esm" in their version ("+esm1", "~esm2") */
export function hasUbuntuProPackages(packages: readonly Package[]): boolean {
  return packages.some((p) => p.type === 'deb' && /[+~]esm\d/.test(p.version));
}

/**
 * The OSV target for a distro, or undefined when Vigil cannot match it. `ubuntuPro` adds the
 * "Ubuntu:Pro:<release>:LTS" ecosystem (fixes published under Ubuntu Pro/ESM).
 */
export function distroTarget(distro: Distro, ubuntuPro: boolean): DistroTarget | undefined {
  const id = distro.id.toLowerCase();
  const versionId = distro.versionId;
  switch (id) {
    case 'debian': {
      const release = major(versionId) ?? debianReleases[distro.versionCodename ?? ''];
      if (release === undefined) return undefined;
      return {
        baseEcosystem: 'Debian',
        ecosystem: `Debian:${release}`,
        packageType: 'deb',
        accepts: exact(`Debian:${release}`),
        eol: { table: 'debian', release },
      };
    }
    case 'ubuntu': {
      const m = versionId === undefined ? null : /^(\d+\.\d+)/.exec(versionId);
      if (m === null) return undefined;
      const release = m[1] as string;
      const lts = /^\d*[02468]\.04$/.test(release);
      const primary = lts ? `Ubuntu:${release}:LTS` : `Ubuntu:${release}`;
      const names = [`Ubuntu:${release}`, `Ubuntu:${release}:LTS`];
      if (ubuntuPro) names.push(`Ubuntu:Pro:${release}:LTS`, `Ubuntu:Pro:${release}`);
      return {
        baseEcosystem: 'Ubuntu',
        ecosystem: primary,
        packageType: 'deb',
        accepts: exact(...names),
        eol: { table: ubuntuPro && lts ? 'ubuntu-pro' : 'ubuntu', release },
      };
    }
    case 'alpine': {
      // edge images say "3.21.0_alpha20240807"; secdb (and so Vigil's Alpine source) publishes "edge"
      if (versionId !== undefined && /^\d+\.\d+\.\d+_alpha\d+$/.test(versionId)) {
        return { baseEcosystem: 'Alpine', ecosystem: 'Alpine:edge', packageType: 'apk', accepts: exact('Alpine:edge') };
      }
      const m = versionId === undefined ? null : /^(\d+\.\d+)(?:\.\d+)?$/.exec(versionId);
      if (m === null) return undefined;
      const release = m[1] as string;
      return {
        baseEcosystem: 'Alpine',
        ecosystem: `Alpine:v${release}`,
        packageType: 'apk',
        accepts: exact(`Alpine:v${release}`),
        eol: { table: 'alpine', release },
      };
    }
    case 'almalinux':
    case 'rocky': {
      const release = major(versionId);
      if (release === undefined) return undefined;
      const base = id === 'rocky' ? 'Rocky Linux' : 'AlmaLinux';
      return {
        baseEcosystem: base,
        ecosystem: `${base}:${release}`,
        packageType: 'rpm',
        // the suffix is optional in the schema ("might optionally have a :<RELEASE> suffix")
        accepts: exact(`${base}:${release}`, base),
        eol: { table: id, release },
      };
    }
    case 'rhel': {
      const release = major(versionId);
      if (release === undefined) return undefined;
      // "Red Hat:<CPE without cpe:/[oa]:redhat:>": the product streams of this major release, e.g.
      // "Red Hat:enterprise_linux:9::appstream", "Red Hat:enterprise_linux:9::baseos"; extended
      // streams (rhel_eus, rhel_aus, rhel_e4s) apply only to systems subscribed to them.
      const prefix = new RegExp(`^Red Hat:enterprise_linux:${release}(?:\\.\\d+)*(?::|$)`);
      return {
        baseEcosystem: 'Red Hat',
        ecosystem: `Red Hat:enterprise_linux:${release}`,
        packageType: 'rpm',
        accepts: (ecosystem) => prefix.test(ecosystem),
        eol: { table: 'rhel', release },
      };
    }
    case 'sles':
    case 'sled':
    case 'sle-micro':
    case 'opensuse-leap':
    case 'opensuse-tumbleweed':
    case 'opensuse-leap-micro':
      return suseTarget(id, distro);
    case 'wolfi':
      return { baseEcosystem: 'Wolfi', ecosystem: 'Wolfi', packageType: 'apk', accepts: exact('Wolfi') };
    case 'chainguard':
      return { baseEcosystem: 'Chainguard', ecosystem: 'Chainguard', packageType: 'apk', accepts: exact('Chainguard') };
    case 'mageia': {
      const release = major(versionId);
      if (release === undefined) return undefined;
      return {
        baseEcosystem: 'Mageia',
        ecosystem: `Mageia:${release}`,
        packageType: 'rpm',
        accepts: exact(`Mageia:${release}`),
      };
    }
    default:
      return undefined;
  }
}

/**
 * SUSE and openSUSE: the release suffix is the product's marketing name, os-release PRETTY_NAME as
 * the schema says, without the vendor word osv.dev drops ("SUSE Linux Enterprise Server 15 SP5" →
 * "SUSE:Linux Enterprise Server 15 SP5", "openSUSE Leap 15.5" → "openSUSE:Leap 15.5").
 * SLES containers carry packages from SLE modules, whose advisories osv.dev files under
 * "SUSE:Linux Enterprise Module for <module> 15 SP5": those of the same service pack apply too.
 */
function suseTarget(id: string, distro: Distro): DistroTarget | undefined {
  const opensuse = id.startsWith('opensuse');
  const base = opensuse ? 'openSUSE' : 'SUSE';
  let product = distro.prettyName?.trim().replace(/^(?:openSUSE|SUSE)\s+/, '');
  if (product === undefined || product === '') {
    const v = distro.versionId;
    if (id === 'opensuse-tumbleweed') product = 'Tumbleweed';
    else if (v === undefined) return undefined;
    else if (id === 'opensuse-leap') product = `Leap ${v}`;
    else if (id === 'sles') {
      const [maj, sp] = v.split('.');
      product = `Linux Enterprise Server ${maj}${sp !== undefined && sp !== '0' ? ` SP${sp}` : ''}`;
    } else return undefined;
  }
  const ecosystem = `${base}:${product}`;
  const servicePack = /(\d+(?: SP\d+)?)$/.exec(product)?.[1];
  const modules =
    !opensuse && servicePack !== undefined
      ? new RegExp(`^SUSE:Linux Enterprise Module for .+ ${servicePack}$`)
      : undefined;
  return {
    baseEcosystem: base,
    ecosystem,
    packageType: 'rpm',
    accepts: (e) => e === ecosystem || (modules?.test(e) ?? false),
  };
}

/** the state of a release on `now`, from the end-of-life table */
export function distroState(target: DistroTarget, now: Date): { state: DistroState; endOfLife?: string } {
  if (target.eol === undefined) {
    // rolling distros and branches have no releases to retire
    const rolling = ['Wolfi', 'Chainguard', 'openSUSE:Tumbleweed', 'Alpine:edge'].includes(target.ecosystem);
    return { state: rolling ? 'supported' : 'unknown-release' };
  }
  const date = endOfLife(target.eol.table, target.eol.release);
  if (date === undefined) return { state: 'unknown-release' };
  return { state: isPast(date, now) ? 'end-of-life' : 'supported', endOfLife: date };
}
