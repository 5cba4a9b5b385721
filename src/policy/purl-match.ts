import { PackageURL } from 'packageurl-js';

/** Parsed purl, or undefined when the text is not one. */
export function parsePurl(text: string): PackageURL | undefined {
  if (!text.startsWith('pkg:') || text.length > MAX_PURL_LENGTH) return undefined;
  try {
    return PackageURL.fromString(text);
  } catch {
    return undefined;
  }
}

const MAX_PURL_LENGTH = 4096;

/**
 * Does a VEX or ignore-file purl (`pattern`) cover a package's purl? As OpenVEX 0.2.0 ("Product
 * matching") and CycloneDX VEX use them: type, and namespace with name, must be equal (after the purl
 * spec's per-type normalisation, which packageurl-js applies: npm and pypi names lowercase ...);
 * a pattern without version covers every version; every qualifier the pattern has must be present
 * with the same value (the pattern's qualifiers are a subset); a subpath, when given, must match.
 */
export function purlMatches(pattern: string, target: string): boolean {
  const want = parsePurl(pattern);
  const have = parsePurl(target);
  if (!want || !have) return pattern !== '' && pattern === target;
  if (want.type.toLowerCase() !== have.type.toLowerCase()) return false;
  if (fullName(want) !== fullName(have)) return false;
  if (want.version !== undefined && want.version !== null && want.version !== '') {
    if (!sameVersion(want.version, have.version ?? '')) return false;
  }
  const haveQualifiers = have.qualifiers ?? {};
  for (const [key, value] of Object.entries(want.qualifiers ?? {})) {
    if (haveQualifiers[key] !== value) return false;
  }
  if (want.subpath && want.subpath !== have.subpath) return false;
  return true;
}

/**
 * Namespace and name as one path: "pkg:golang/github.com/a/b" and "pkg:golang/github.com%2Fa%2Fb"
 * (core/purl.ts writes Go modules as one encoded name) name the same module.
 */
function fullName(purl: PackageURL): string {
  return purl.namespace ? `${purl.namespace}/${purl.name}` : purl.name;
}

/** Digest versions (oci purls) compare case-insensitively; everything else exactly. */
function sameVersion(a: string, b: string): boolean {
  return /^sha\d+:/i.test(a) ? a.toLowerCase() === b.toLowerCase() : a === b;
}
