import { VigilError } from '../core/errors.ts';
import { distroQualifier } from '../core/purl.ts';
import type { Inventory, Package } from '../core/types.ts';
import { imagePlatform, imagePurl } from './image-identity.ts';
import { isOsPackage } from './package-kind.ts';
import { classifyLicense } from './spdx-license.ts';
import type { RenderOptions, SbomFormat } from './types.ts';
import { documentTimestamp, UniqueIds } from './unique-ids.ts';

/**
 * CycloneDX 1.6 JSON (https://cyclonedx.org/docs/1.6/json/). Plain objects rather than the
 * library's models: the document is small and flat, and key order stays under our control for
 * golden files. Property names follow the `<tool>:<area>:<field>` taxonomy Trivy and Syft use.
 */
export const cyclonedxFormat = {
  id: 'cyclonedx',
  mediaType: 'application/vnd.cyclonedx+json;version=1.6',
  fileExtension: '.cdx.json',
  render(inventory: Inventory, options: RenderOptions): string {
    return `${JSON.stringify(cyclonedxBom(inventory, options), null, 2)}\n`;
  },
} as const satisfies SbomFormat;

interface Property {
  readonly name: string;
  readonly value: string;
}

type LicenseChoice = Array<{ license: { id: string } | { name: string } }> | [{ expression: string }];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function cyclonedxBom(inventory: Inventory, options: RenderOptions): Record<string, unknown> {
  const uuid = options.uuid().toLowerCase();
  if (!UUID.test(uuid)) throw new VigilError('VIGIL_INTERNAL', `RenderOptions.uuid returned "${uuid}", not a UUID`);
  const refs = new UniqueIds();
  const image = imageComponent(inventory, refs);
  const os = inventory.distro ? osComponent(inventory, refs) : undefined;
  const packages = inventory.packages.map((pkg) => packageComponent(pkg, refs, options.includeFiles === true));

  const osRefs: string[] = [];
  const imageRefs: string[] = os ? [os['bom-ref']] : [];
  inventory.packages.forEach((pkg, index) => {
    const ref = packages[index]!['bom-ref'];
    (os && isOsPackage(pkg) ? osRefs : imageRefs).push(ref);
  });
  const dependencies: Array<{ ref: string; dependsOn: string[] }> = [{ ref: image['bom-ref'], dependsOn: imageRefs }];
  if (os) dependencies.push({ ref: os['bom-ref'], dependsOn: osRefs });

  return {
    $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json',
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: `urn:uuid:${uuid}`,
    version: 1,
    metadata: {
      timestamp: documentTimestamp(options.now),
      tools: { components: [{ type: 'application', name: 'vigil', version: options.toolVersion }] },
      component: image,
    },
    components: os ? [os, ...packages] : packages,
    dependencies,
  };
}

function imageComponent(inventory: Inventory, refs: UniqueIds) {
  const { image } = inventory;
  const purl = imagePurl(inventory);
  const properties: Property[] = [
    { name: 'vigil:image:transport', value: image.transport },
    { name: 'vigil:image:config-digest', value: image.configDigest },
    { name: 'vigil:image:platform', value: imagePlatform(inventory) },
    ...(image.repoTags ?? []).map((tag) => ({ name: 'vigil:image:repo-tag', value: tag })),
    ...image.layers.map((layer) => ({ name: 'vigil:image:layer-diffId', value: layer.diffId })),
  ];
  return {
    'bom-ref': refs.claim(purl ?? `vigil:image:${image.ref}`),
    type: 'container',
    name: image.ref,
    ...(image.manifestDigest ? { version: image.manifestDigest } : {}),
    ...(purl ? { purl } : {}),
    properties: uniqueProperties(properties),
  };
}

function osComponent(inventory: Inventory, refs: UniqueIds) {
  const distro = inventory.distro!;
  const properties: Property[] = [
    ...(distro.versionCodename ? [{ name: 'vigil:distro:codename', value: distro.versionCodename }] : []),
    ...(distro.idLike ?? []).map((like) => ({ name: 'vigil:distro:id-like', value: like })),
    { name: 'vigil:distro:source', value: distro.source },
  ];
  return {
    'bom-ref': refs.claim(`vigil:os:${distroQualifier(distro)}`),
    type: 'operating-system',
    name: distro.id,
    ...(distro.versionId ? { version: distro.versionId } : {}),
    ...(distro.prettyName ? { description: distro.prettyName } : {}),
    properties: uniqueProperties(properties),
  };
}

function packageComponent(pkg: Package, refs: UniqueIds, includeFiles: boolean) {
  const licenses = cyclonedxLicenses(pkg.licenses ?? []);
  const properties: Property[] = [
    { name: 'vigil:package:type', value: pkg.type },
    ...optional('vigil:package:arch', pkg.arch),
    ...optional('vigil:package:source-name', pkg.sourceName),
    ...optional('vigil:package:source-version', pkg.sourceVersion),
    ...optional('vigil:rpm:epoch', pkg.epoch === undefined ? undefined : String(pkg.epoch)),
    ...optional('vigil:rpm:modularity-label', pkg.modularityLabel),
    ...optional('vigil:layer:diffId', pkg.layerDiffId),
    ...optional('vigil:layer:index', pkg.layerIndex === undefined ? undefined : String(pkg.layerIndex)),
    ...pkg.locations.map((location) => ({ name: 'vigil:package:location', value: location })),
    ...(includeFiles ? (pkg.files ?? []).map((file) => ({ name: 'vigil:package:file', value: file })) : []),
  ];
  return {
    'bom-ref': refs.claim(pkg.purl || `vigil:package:${pkg.type}/${pkg.name}@${pkg.version}`),
    type: 'library',
    ...(pkg.maintainer ? { publisher: pkg.maintainer } : {}),
    name: pkg.name,
    version: pkg.version,
    ...(licenses ? { licenses } : {}),
    ...(pkg.purl ? { purl: pkg.purl } : {}),
    properties: uniqueProperties(properties),
  };
}

/**
 * CycloneDX 1.6 `licenseChoice` is either a list of {license: {id | name}} or exactly one
 * {expression}. One expression is used when every string is valid SPDX (several are ANDed, as a
 * package declaring several licenses means all apply); otherwise each string becomes its own
 * entry, listed ids as `id` and everything else, expressions included, as `name`.
 */
export function cyclonedxLicenses(licenses: readonly string[]): LicenseChoice | undefined {
  const classified = [...new Set(licenses.map((l) => l.trim()).filter((l) => l !== ''))].map(classifyLicense);
  if (classified.length === 0) return undefined;
  const allSpdx = classified.every((c) => c.kind !== 'text');
  if (allSpdx && classified.some((c) => c.kind === 'expression')) {
    const parts = classified.map((c) => {
      if (c.kind === 'id') return c.id;
      return c.compound && classified.length > 1 ? `(${c.expression})` : c.expression;
    });
    return [{ expression: parts.join(' AND ') }];
  }
  return classified.map((c) => {
    if (c.kind === 'id') return { license: { id: c.id } };
    return { license: { name: c.kind === 'expression' ? c.expression : c.text } };
  });
}

function optional(name: string, value: string | undefined): Property[] {
  return value === undefined || value === '' ? [] : [{ name, value }];
}

function uniqueProperties(properties: readonly Property[]): Property[] {
  const seen = new Set<string>();
  return properties.filter((p) => {
    const key = `${p.name}\u0000${p.value}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
