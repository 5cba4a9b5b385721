import type { Distro, Package } from '../../core/types.ts';
import { parsePurl } from '../../policy/purl-match.ts';

/** purl type → OSV ecosystem for language packages (OSV schema "affected[].package.ecosystem"). */
const ECOSYSTEMS: Readonly<Record<string, string>> = {
  npm: 'npm',
  pypi: 'PyPI',
  golang: 'Go',
  maven: 'Maven',
  gem: 'RubyGems',
  cargo: 'crates.io',
  composer: 'Packagist',
  nuget: 'NuGet',
  pub: 'Pub',
  hackage: 'Hackage',
  cran: 'CRAN',
};

const OS_TYPES: ReadonlySet<string> = new Set(['deb', 'rpm', 'apk', 'alpm']);

/** What an SBOM component says about a package besides its purl, in Vigil's terms. */
export interface ComponentFacts {
  readonly name: string;
  readonly version?: string;
  readonly purl: string;
  /** Vigil's own documents: the name and version are Package.name and Package.version as extracted */
  readonly vigil: boolean;
  readonly type?: string;
  readonly arch?: string;
  readonly sourceName?: string;
  readonly sourceVersion?: string;
  readonly epoch?: number;
  readonly modularityLabel?: string;
  readonly licenses?: readonly string[];
  readonly maintainer?: string;
  readonly locations: readonly string[];
  readonly layerDiffId?: string;
  readonly layerIndex?: number;
  readonly files?: readonly string[];
}

/**
 * Rebuilds a Package from an SBOM component and its purl (purl-spec PURL-TYPES): the type, the
 * OSV-style name of language packages ("@scope/name", "group:artifact", "module/path",
 * "vendor/name"), the rpm epoch (`epoch` qualifier, so "1:2.3-4"), the arch qualifier, and the
 * source package of deb/rpm/apk from the `upstream` qualifier ("name" or "name@version", as Syft
 * writes it) when the document has no property for it. Names and versions Vigil wrote are kept as
 * written; a foreign component's name is rebuilt from its purl where the purl type has a namespace.
 */
export function packageFromComponent(facts: ComponentFacts): Package {
  const parsed = parsePurl(facts.purl);
  const type = facts.type ?? parsed?.type ?? 'generic';
  const qualifiers = (parsed?.qualifiers ?? {}) as Record<string, string | undefined>;
  const epochText = qualifiers.epoch;
  const epoch = facts.epoch ?? (epochText !== undefined && /^\d+$/.test(epochText) ? Number(epochText) : undefined);
  let version = facts.version ?? parsed?.version ?? '';
  if (!facts.vigil && type === 'rpm' && epoch !== undefined && epoch > 0 && !/^\d+:/.test(version)) {
    version = `${epoch}:${version}`;
  }
  const upstream = OS_TYPES.has(type) ? parseUpstream(qualifiers.upstream) : undefined;
  const sourceName = facts.sourceName ?? upstream?.name;
  const sourceVersion = facts.sourceVersion ?? upstream?.version;
  const ecosystem = ECOSYSTEMS[type];
  const release = type === 'rpm' && version.includes('-') ? version.slice(version.lastIndexOf('-') + 1) : undefined;
  const arch = facts.arch ?? qualifiers.arch;
  return {
    type,
    name:
      facts.vigil || parsed === undefined ? facts.name : languageName(type, parsed.namespace, parsed.name, facts.name),
    version,
    ...(arch ? { arch } : {}),
    ...(sourceName ? { sourceName } : {}),
    ...(sourceVersion ? { sourceVersion } : {}),
    ...(epoch !== undefined && type === 'rpm' ? { epoch } : {}),
    ...(release ? { release } : {}),
    ...(facts.modularityLabel ? { modularityLabel: facts.modularityLabel } : {}),
    ...(facts.licenses && facts.licenses.length > 0 ? { licenses: facts.licenses } : {}),
    ...(facts.maintainer ? { maintainer: facts.maintainer } : {}),
    ...(ecosystem ? { ecosystem } : {}),
    purl: facts.purl,
    locations: facts.locations,
    ...(facts.layerDiffId ? { layerDiffId: facts.layerDiffId } : {}),
    ...(facts.layerIndex !== undefined ? { layerIndex: facts.layerIndex } : {}),
    ...(facts.files && facts.files.length > 0 ? { files: facts.files } : {}),
  };
}

function languageName(type: string, namespace: string | undefined | null, name: string, fallback: string): string {
  if (!namespace) return type === 'pypi' || type === 'nuget' || type === 'gem' ? fallback || name : name;
  switch (type) {
    case 'npm':
    case 'golang':
    case 'composer':
      return `${namespace}/${name}`;
    case 'maven':
      return `${namespace}:${name}`;
    default:
      // OS purls carry the distro as namespace; pypi and others keep the name as the document spells it
      return OS_TYPES.has(type) ? name : fallback || name;
  }
}

function parseUpstream(text: string | undefined): { name: string; version?: string } | undefined {
  if (!text) return undefined;
  const at = text.indexOf('@');
  if (at <= 0) return { name: text };
  return { name: text.slice(0, at), version: text.slice(at + 1) };
}

/**
 * The distro from an OS purl when the document has no operating-system component: the `distro`
 * qualifier ("debian-12", "alpine-3.19.1"; Trivy writes only the version, "3.15.11", so the purl
 * namespace gives the id then).
 */
export function distroFromPurls(purls: readonly string[], source: string): Distro | undefined {
  for (const text of purls) {
    const parsed = parsePurl(text);
    if (!parsed || !OS_TYPES.has(parsed.type)) continue;
    const qualifier = (parsed.qualifiers as Record<string, string | undefined> | undefined)?.distro;
    if (!qualifier) continue;
    const split = /^([a-z][a-z0-9._-]*?)-(\d[^-]*)$/i.exec(qualifier);
    if (split) return { id: split[1]!.toLowerCase(), versionId: split[2]!, source };
    if (/^\d/.test(qualifier) && parsed.namespace)
      return { id: parsed.namespace.toLowerCase(), versionId: qualifier, source };
    return { id: qualifier.toLowerCase(), source };
  }
  return undefined;
}
