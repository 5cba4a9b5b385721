/**
 * Package-name identity per OSV ecosystem: two spellings that name the same package compare equal
 * after `normalizePackageName`. The vulnerability DB indexes by this key and the matcher looks up
 * by it, so both sides must use this one function.
 * - PyPI: PEP 503 (lowercase, runs of "-", "_", "." become one "-").
 * - npm, NuGet, Packagist: case-insensitive registries (some advisories spell names with capitals).
 * - everything else (Go, Maven, crates.io, RubyGems, distro packages): exact.
 */
export function normalizePackageName(ecosystem: string, name: string): string {
  switch (baseEcosystem(ecosystem)) {
    case 'PyPI':
      return name.toLowerCase().replace(/[-_.]+/g, '-');
    case 'npm':
    case 'NuGet':
    case 'Packagist':
      return name.toLowerCase();
    default:
      return name;
  }
}

/** "Debian:12" -> "Debian", "Ubuntu:22.04:LTS" -> "Ubuntu", "npm" -> "npm" */
export function baseEcosystem(ecosystem: string): string {
  const colon = ecosystem.indexOf(':');
  return colon === -1 ? ecosystem : ecosystem.slice(0, colon);
}
