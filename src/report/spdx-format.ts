import { VigilError } from '../core/errors.ts';
import { distroQualifier } from '../core/purl.ts';
import type { Inventory, Package } from '../core/types.ts';
import { imagePurl } from './image-identity.ts';
import { classifyLicense } from './spdx-license.ts';
import type { RenderOptions, SbomFormat } from './types.ts';
import { documentTimestamp, UniqueIds } from './unique-ids.ts';

/**
 * SPDX 2.3 JSON (https://spdx.github.io/spdx-spec/v2.3/). One package for the image, one for the
 * operating system, one per installed package; files are not listed (SPDX files need checksums,
 * which package databases do not always give), so every package has filesAnalyzed false.
 */
export const spdxFormat = {
  id: 'spdx',
  mediaType: 'application/spdx+json',
  fileExtension: '.spdx.json',
  render(inventory: Inventory, options: RenderOptions): string {
    return `${JSON.stringify(spdxDocument(inventory, options), null, 2)}\n`;
  },
} as const satisfies SbomFormat;

const NOASSERTION = 'NOASSERTION';
const DOCUMENT_ID = 'SPDXRef-DOCUMENT';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Relationship {
  readonly spdxElementId: string;
  readonly relationshipType: 'DESCRIBES' | 'CONTAINS';
  readonly relatedSpdxElement: string;
}

export function spdxDocument(inventory: Inventory, options: RenderOptions): Record<string, unknown> {
  const uuid = options.uuid().toLowerCase();
  if (!UUID.test(uuid)) throw new VigilError('VIGIL_INTERNAL', `RenderOptions.uuid returned "${uuid}", not a UUID`);
  const ids = new UniqueIds();
  ids.claim(DOCUMENT_ID);
  const licenseRefs = new LicenseRefs();
  const { image, distro } = inventory;

  const purl = imagePurl(inventory);
  const imagePackage = {
    name: image.ref,
    SPDXID: ids.claim(spdxId('Image', image.ref)),
    ...(image.manifestDigest ? { versionInfo: image.manifestDigest } : {}),
    downloadLocation: NOASSERTION,
    filesAnalyzed: false,
    licenseConcluded: NOASSERTION,
    licenseDeclared: NOASSERTION,
    copyrightText: NOASSERTION,
    ...(purl ? { externalRefs: [purlRef(purl)] } : {}),
    primaryPackagePurpose: 'CONTAINER',
  };
  const osPackage = distro && {
    name: distro.id,
    SPDXID: ids.claim(spdxId('OperatingSystem', distroQualifier(distro) ?? distro.id)),
    ...(distro.versionId ? { versionInfo: distro.versionId } : {}),
    downloadLocation: NOASSERTION,
    filesAnalyzed: false,
    sourceInfo: `acquired distribution facts from ${imagePath(distro.source)}`,
    licenseConcluded: NOASSERTION,
    licenseDeclared: NOASSERTION,
    copyrightText: NOASSERTION,
    ...(distro.prettyName ? { description: distro.prettyName } : {}),
    primaryPackagePurpose: 'OPERATING_SYSTEM',
  };
  const packages = inventory.packages.map((pkg) => ({
    name: pkg.name,
    SPDXID: ids.claim(spdxId('Package', `${pkg.type}-${pkg.name}-${pkg.version}`)),
    versionInfo: pkg.version,
    ...(pkg.maintainer ? { supplier: supplier(pkg.maintainer) } : {}),
    downloadLocation: NOASSERTION,
    filesAnalyzed: false,
    sourceInfo: sourceInfo(pkg),
    licenseConcluded: NOASSERTION,
    licenseDeclared: licenseRefs.declared(pkg.licenses ?? []),
    copyrightText: NOASSERTION,
    ...(usablePurl(pkg.purl) ? { externalRefs: [purlRef(pkg.purl)] } : {}),
    // Trivy's mapping: installed packages, OS or language, are LIBRARY; the image is the application container
    primaryPackagePurpose: 'LIBRARY',
  }));

  const relationships: Relationship[] = [
    { spdxElementId: DOCUMENT_ID, relationshipType: 'DESCRIBES', relatedSpdxElement: imagePackage.SPDXID },
    ...(osPackage ? [contains(imagePackage.SPDXID, osPackage.SPDXID)] : []),
    ...packages.map((pkg) => contains(imagePackage.SPDXID, pkg.SPDXID)),
  ];
  const extracted = licenseRefs.extractedLicensingInfos();

  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: DOCUMENT_ID,
    name: image.ref,
    documentNamespace: `https://vigil.dev/spdx/${namespaceSlug(image.ref)}-${uuid}`,
    creationInfo: {
      created: documentTimestamp(options.now),
      creators: [`Organization: Vigil`, `Tool: vigil-${options.toolVersion}`],
    },
    packages: osPackage ? [imagePackage, osPackage, ...packages] : [imagePackage, ...packages],
    relationships,
    ...(extracted.length > 0 ? { hasExtractedLicensingInfos: extracted } : {}),
  };
}

/** SPDX 2.3 §7.2: SPDXRef-[idstring], idstring = letters, digits, "." and "-". */
function spdxId(kind: string, name: string): string {
  const idstring = name
    .replace(/[^A-Za-z0-9.-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 200);
  return idstring === '' ? `SPDXRef-${kind}` : `SPDXRef-${kind}-${idstring}`;
}

function namespaceSlug(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'image';
}

function contains(parent: string, child: string): Relationship {
  return { spdxElementId: parent, relationshipType: 'CONTAINS', relatedSpdxElement: child };
}

/** §7.21: the locator is a purl and has "no spaces". */
function usablePurl(purl: string): boolean {
  return purl !== '' && !/\s/.test(purl);
}

function purlRef(purl: string) {
  return { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: purl };
}

/** §7.5 agent syntax, "Person: name (email)", from a maintainer field written "name <email>". */
function supplier(maintainer: string): string {
  const oneLine = maintainer.replace(/\s+/g, ' ').trim();
  const match = /^(.*?)\s*<([^<>]*)>$/.exec(oneLine);
  return match ? `Person: ${match[1]} (${match[2]})` : `Person: ${oneLine}`;
}

function sourceInfo(pkg: Package): string {
  const where = pkg.locations.length > 0 ? pkg.locations.map(imagePath).join(', ') : 'the image';
  const layer =
    pkg.layerDiffId === undefined
      ? ''
      : ` in layer ${pkg.layerIndex === undefined ? '' : `#${pkg.layerIndex} `}${pkg.layerDiffId}`;
  return `acquired package info from ${pkg.type} package database: ${where}${layer}`;
}

function imagePath(path: string): string {
  return path.startsWith('/') ? path : `/${path}`;
}

/**
 * licenseDeclared per §7.15: a license expression over listed ids and LicenseRef-s. Strings that
 * are not valid SPDX become LicenseRef-<sanitised text>, declared once in hasExtractedLicensingInfos
 * with the original text, as Syft does. Several strings are ANDed.
 */
class LicenseRefs {
  readonly #ids = new UniqueIds();
  readonly #byText = new Map<string, string>();

  declared(licenses: readonly string[]): string {
    const texts = [...new Set(licenses.map((l) => l.trim()).filter((l) => l !== ''))];
    if (texts.length === 0) return NOASSERTION;
    const terms = texts.map((text) => {
      const license = classifyLicense(text);
      if (license.kind === 'id') return license.id;
      if (license.kind === 'expression' && !license.hasLicenseRef) {
        return license.compound && texts.length > 1 ? `(${license.expression})` : license.expression;
      }
      return this.#refFor(text);
    });
    return [...new Set(terms)].join(' AND ');
  }

  extractedLicensingInfos(): Array<{ licenseId: string; extractedText: string; name: string }> {
    return [...this.#byText].map(([text, licenseId]) => ({ licenseId, extractedText: text, name: text }));
  }

  #refFor(text: string): string {
    const known = this.#byText.get(text);
    if (known) return known;
    const bare = /^LicenseRef-[A-Za-z0-9.-]+$/.test(text);
    // "GPL-2+" must not read as GPL-2 once "+" is gone
    const idstring = text
      .replace(/\+/g, '-plus')
      .replace(/[^A-Za-z0-9.-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 64);
    const ref = this.#ids.claim(bare ? text : `LicenseRef-${idstring || 'unnamed'}`);
    this.#byText.set(text, ref);
    return ref;
  }
}
