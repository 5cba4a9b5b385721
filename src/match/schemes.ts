import { baseEcosystem } from '../core/ecosystem.ts';
import type { SchemeId } from '../versioning/index.ts';

/**
 * The version scheme that orders an OSV ecosystem's `ECOSYSTEM` ranges (OSV schema, "Defined
 * ecosystems" and "affected[].ranges[].type"). Keys are base ecosystems ("Debian", not "Debian:12").
 * Ecosystems missing here are matched only through explicit `versions` lists.
 */
const ecosystemSchemes: ReadonlyMap<string, SchemeId> = new Map<string, SchemeId>([
  ['Debian', 'deb'],
  ['Ubuntu', 'deb'],
  ['Alpine', 'apk'],
  ['Wolfi', 'apk'],
  ['Chainguard', 'apk'],
  ['AlmaLinux', 'rpm'],
  ['Rocky Linux', 'rpm'],
  ['Red Hat', 'rpm'],
  ['SUSE', 'rpm'],
  ['openSUSE', 'rpm'],
  ['Mageia', 'rpm'],
  ['npm', 'semver'],
  ['PyPI', 'pep440'],
  ['Go', 'go'],
  ['Maven', 'maven'],
  ['RubyGems', 'rubygems'],
  ['NuGet', 'nuget'],
  ['Packagist', 'composer'],
  ['crates.io', 'semver'],
  ['Pub', 'pub'],
  ['Hackage', 'hackage'],
  ['CRAN', 'cran'],
]);

/** the scheme for an ecosystem string (full or base), or undefined when Vigil cannot order it */
export function schemeForEcosystem(ecosystem: string): SchemeId | undefined {
  return ecosystemSchemes.get(baseEcosystem(ecosystem));
}

/** the language ecosystems Vigil matches (package.ecosystem values) */
export function isLanguageEcosystem(ecosystem: string): boolean {
  const scheme = ecosystemSchemes.get(baseEcosystem(ecosystem));
  return scheme !== undefined && !osSchemes.has(scheme);
}

const osSchemes: ReadonlySet<string> = new Set(['deb', 'apk', 'rpm']);

/** Go toolchain tags as `go version` prints them: go1.21.3, go1.22rc1, go1.20beta2 */
const GO_TOOLCHAIN = /^go(\d+)\.(\d+)(?:\.(\d+))?(?:(rc|beta)(\d+))?$/;

/**
 * The installed version as the ecosystem's OSV records spell it. Go's standard library is the
 * module "stdlib" and osv.dev records its versions without the "go" prefix (golang/vulndb
 * doc/format.md: "stdlib" and "toolchain" use semver-ised Go release tags, go1.21rc1 → 1.21.0-rc.1).
 * rpm: an epoch kept apart on the package joins the label as "epoch:", which the rpm scheme reads.
 */
export function installedVersion(ecosystem: string, name: string, version: string, epoch: number | undefined): string {
  const base = baseEcosystem(ecosystem);
  if (base === 'Go' && (name === 'stdlib' || name === 'toolchain')) {
    const m = GO_TOOLCHAIN.exec(version);
    if (m !== null) {
      const core = `${m[1]}.${m[2]}.${m[3] ?? '0'}`;
      return m[4] === undefined ? core : `${core}-${m[4]}.${m[5]}`;
    }
    return version;
  }
  if (ecosystemSchemes.get(base) === 'rpm' && epoch !== undefined && epoch !== 0 && !/^\d+:/.test(version)) {
    return `${epoch}:${version}`;
  }
  return version;
}

/**
 * The OSV ecosystem of a language package whose `ecosystem` field is unset (an SBOM from another
 * tool), from its purl type (purl-spec PURL-TYPES.rst); undefined for OS and unknown types.
 */
const purlTypeEcosystems: Readonly<Record<string, string>> = {
  npm: 'npm',
  pypi: 'PyPI',
  golang: 'Go',
  maven: 'Maven',
  gem: 'RubyGems',
  nuget: 'NuGet',
  composer: 'Packagist',
  cargo: 'crates.io',
  pub: 'Pub',
  hackage: 'Hackage',
  cran: 'CRAN',
};

export function ecosystemOfPurlType(type: string): string | undefined {
  return Object.hasOwn(purlTypeEcosystems, type) ? purlTypeEcosystems[type] : undefined;
}
