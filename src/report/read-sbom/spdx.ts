import type { Distro, Inventory, Package, Warning } from '../../core/types.ts';
import { parsePurl } from '../../policy/purl-match.ts';
import { record } from './cyclonedx.ts';
import { MAX_COMPONENTS, sbomError } from './limits.ts';
import { distroFromPurls, packageFromComponent } from './package-from-purl.ts';

/**
 * SPDX 2.3 JSON (https://spdx.github.io/spdx-spec/v2.3/) as Vigil, Trivy and Syft write it: the
 * image is the package with primaryPackagePurpose CONTAINER (else the one the document
 * DESCRIBES), the distro the OPERATING_SYSTEM package (Trivy writes "OPERATING-SYSTEM"), and
 * every other package with a purl external reference (§7.21, category PACKAGE-MANAGER, type purl)
 * is an installed package. SPDX has no properties: Vigil's and Trivy's sourceInfo sentences give
 * the locations, the layer and the source package where they can.
 */
export function inventoryFromSpdx(document: Record<string, unknown>, name: string): Inventory {
  const version = String(document.spdxVersion ?? '');
  if (version !== 'SPDX-2.3' && version !== 'SPDX-2.2')
    throw sbomError(name, `spdxVersion "${version.slice(0, 12)}" is not SPDX-2.3`);
  const creators = record(document.creationInfo).creators;
  const vigil = Array.isArray(creators) && creators.some((c) => typeof c === 'string' && c.startsWith('Tool: vigil-'));
  const all = Array.isArray(document.packages) ? document.packages.map(record) : [];
  if (all.length > MAX_COMPONENTS) throw sbomError(name, `more than ${MAX_COMPONENTS} packages`);
  const described = describedIds(document);
  const purpose = (p: Record<string, unknown>) => String(p.primaryPackagePurpose ?? '').replace('-', '_');
  const image = all.find((p) => purpose(p) === 'CONTAINER') ?? all.find((p) => described.has(String(p.SPDXID)));
  const os = all.find((p) => purpose(p) === 'OPERATING_SYSTEM');

  const warnings: Warning[] = [];
  const packages: Package[] = [];
  for (const pkg of all) {
    if (pkg === image || pkg === os) continue;
    const purl = purlOf(pkg);
    const pkgName = typeof pkg.name === 'string' ? pkg.name : '';
    if (purl === undefined) {
      if (warnings.length < 100)
        warnings.push({
          path: '',
          extractor: 'sbom/spdx',
          message: `package "${pkgName.slice(0, 100)}" has no purl; skipped`,
        });
      continue;
    }
    const info = sourceInfo(typeof pkg.sourceInfo === 'string' ? pkg.sourceInfo : '');
    packages.push(
      packageFromComponent({
        name: pkgName,
        ...(typeof pkg.versionInfo === 'string' ? { version: pkg.versionInfo } : {}),
        purl,
        vigil,
        ...(info.sourceName ? { sourceName: info.sourceName } : {}),
        ...(info.sourceVersion ? { sourceVersion: info.sourceVersion } : {}),
        licenses: declaredLicenses(pkg.licenseDeclared),
        ...(typeof pkg.supplier === 'string' && pkg.supplier.startsWith('Person: ')
          ? { maintainer: supplierName(pkg.supplier) }
          : {}),
        locations: info.locations,
        ...(info.layerDiffId ? { layerDiffId: info.layerDiffId } : {}),
        ...(info.layerIndex !== undefined ? { layerIndex: info.layerIndex } : {}),
      }),
    );
  }

  const imagePurl = image ? purlOf(image) : undefined;
  const oci = imagePurl ? parsePurl(imagePurl) : undefined;
  const distro: Distro | undefined =
    os && typeof os.name === 'string' && os.name !== ''
      ? {
          id: os.name.toLowerCase(),
          ...(typeof os.versionInfo === 'string' && os.versionInfo !== '' ? { versionId: os.versionInfo } : {}),
          ...(typeof os.description === 'string' ? { prettyName: os.description } : {}),
          source:
            /from (\/\S+)$/.exec(String(os.sourceInfo ?? ''))?.[1]?.replace(/^\/+/, '') ??
            'SBOM operating-system package',
        }
      : distroFromPurls(
          packages.map((p) => p.purl),
          'purl distro qualifier',
        );
  const versionInfo = typeof image?.versionInfo === 'string' ? image.versionInfo : '';
  const imageName =
    typeof image?.name === 'string' && image.name !== ''
      ? image.name
      : typeof document.name === 'string'
        ? document.name
        : name;
  return {
    schemaVersion: 1,
    image: {
      ref: imageName,
      transport: image && purpose(image) === 'CONTAINER' ? 'registry' : 'dir',
      manifestDigest: versionInfo.startsWith('sha256:') ? versionInfo : (oci?.version ?? ''),
      configDigest: '',
      platform: { os: '', architecture: String(oci?.qualifiers?.arch ?? '') },
      layers: [],
    },
    ...(distro ? { distro } : {}),
    packages,
    warnings,
    extractors: [`sbom/${version.toLowerCase()}`],
    createdAt: String(record(document.creationInfo).created ?? ''),
  };
}

function describedIds(document: Record<string, unknown>): Set<string> {
  const ids = new Set<string>(Array.isArray(document.documentDescribes) ? document.documentDescribes.map(String) : []);
  if (Array.isArray(document.relationships)) {
    for (const relationship of document.relationships.map(record)) {
      if (relationship.relationshipType === 'DESCRIBES' && relationship.spdxElementId === 'SPDXRef-DOCUMENT') {
        ids.add(String(relationship.relatedSpdxElement));
      }
    }
  }
  return ids;
}

function purlOf(pkg: Record<string, unknown>): string | undefined {
  if (!Array.isArray(pkg.externalRefs)) return undefined;
  for (const ref of pkg.externalRefs.map(record)) {
    const category = String(ref.referenceCategory ?? '').replace('_', '-');
    if (category === 'PACKAGE-MANAGER' && ref.referenceType === 'purl' && typeof ref.referenceLocator === 'string') {
      return ref.referenceLocator;
    }
  }
  return undefined;
}

interface SourceInfo {
  readonly locations: string[];
  readonly layerDiffId?: string;
  readonly layerIndex?: number;
  readonly sourceName?: string;
  readonly sourceVersion?: string;
}

/**
 * Vigil (spdx-format.ts): "acquired package info from deb package database: /var/lib/dpkg/status
 * in layer #0 sha256:..."; Trivy: "built package from: libc-dev 0.7.2-r3".
 */
function sourceInfo(text: string): SourceInfo {
  const vigil = /^acquired package info from \S+ package database: (.*?)(?: in layer (?:#(\d+) )?(\S+))?$/.exec(text);
  if (vigil) {
    const where = vigil[1] === 'the image' ? [] : (vigil[1] ?? '').split(', ').map((path) => path.replace(/^\/+/, ''));
    return {
      locations: where.filter((path) => path !== ''),
      ...(vigil[3] ? { layerDiffId: vigil[3] } : {}),
      ...(vigil[2] ? { layerIndex: Number(vigil[2]) } : {}),
    };
  }
  const trivy = /^built package from: (\S+)(?: (\S+))?$/.exec(text);
  if (trivy) return { locations: [], sourceName: trivy[1]!, ...(trivy[2] ? { sourceVersion: trivy[2] } : {}) };
  return { locations: [] };
}

function declaredLicenses(value: unknown): string[] {
  return typeof value === 'string' && value !== 'NOASSERTION' && value !== 'NONE' ? [value] : [];
}

/** §7.5 "Person: name (email)" back to the "name <email>" maintainer form. */
function supplierName(supplier: string): string {
  const text = supplier.slice('Person: '.length);
  const match = /^(.*?) \(([^()]*)\)$/.exec(text);
  return match ? `${match[1]} <${match[2]}>` : text;
}
