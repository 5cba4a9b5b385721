import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateCyclonedx, validateSpdx } from '../../test/support/sbom-schemas.ts';
import type { Inventory, Package } from '../core/types.ts';
import { cyclonedxFormat } from './cyclonedx-format.ts';
import { jsonFormat, parseInventoryJson } from './json-format.ts';
import { spdxFormat } from './spdx-format.ts';
import { classifyLicense } from './spdx-license.ts';
import { tableFormat } from './table-format.ts';
import type { RenderOptions } from './types.ts';

const options: RenderOptions = {
  now: new Date('2026-11-22T10:30:00Z'),
  uuid: () => '0e9a3c1f-6b7d-4e2a-8c5f-1d3b5a7c9e0f',
  toolVersion: '0.1.0',
};

const golden = parseInventoryJson(readFileSync(new URL('./testdata/golden/inventory.json', import.meta.url), 'utf8'));

function checkCyclonedx(inventory: Inventory, extra: Partial<RenderOptions> = {}): void {
  const bom = JSON.parse(cyclonedxFormat.render(inventory, { ...options, ...extra }));
  expect(validateCyclonedx(bom), JSON.stringify(validateCyclonedx.errors?.slice(0, 3))).toBe(true);
  const refs = [bom.metadata.component['bom-ref'], ...bom.components.map((c: { 'bom-ref': string }) => c['bom-ref'])];
  expect(new Set(refs).size).toBe(refs.length);
  const dependencyRefs = bom.dependencies.flatMap((d: { ref: string; dependsOn: string[] }) => [d.ref, ...d.dependsOn]);
  for (const ref of dependencyRefs) expect(refs).toContain(ref);
  expect(bom.components.length).toBe(inventory.packages.length + (inventory.distro ? 1 : 0));
}

function checkSpdx(inventory: Inventory): void {
  const doc = JSON.parse(spdxFormat.render(inventory, options));
  expect(validateSpdx(doc), JSON.stringify(validateSpdx.errors?.slice(0, 3))).toBe(true);
  const ids: string[] = doc.packages.map((p: { SPDXID: string }) => p.SPDXID);
  expect(new Set([...ids, 'SPDXRef-DOCUMENT']).size).toBe(ids.length + 1);
  for (const id of ids) expect(id).toMatch(/^SPDXRef-[A-Za-z0-9.-]+$/);
  for (const r of doc.relationships) {
    expect(['SPDXRef-DOCUMENT', ...ids]).toContain(r.spdxElementId);
    expect(ids).toContain(r.relatedSpdxElement);
  }
  const declared = new Set((doc.hasExtractedLicensingInfos ?? []).map((e: { licenseId: string }) => e.licenseId));
  for (const pkg of doc.packages) {
    if (pkg.licenseDeclared === 'NOASSERTION') continue;
    expect(classifyLicense(pkg.licenseDeclared).kind, pkg.licenseDeclared).not.toBe('text');
    for (const ref of pkg.licenseDeclared.match(/LicenseRef-[A-Za-z0-9.-]+/g) ?? []) expect(declared).toContain(ref);
  }
}

describe('golden inventory', () => {
  it('renders schema-valid CycloneDX 1.6, with and without files', () => {
    checkCyclonedx(golden);
    checkCyclonedx(golden, { includeFiles: true });
  });
  it('renders schema-valid SPDX 2.3', () => checkSpdx(golden));
});

describe('the validators are not vacuous', () => {
  it.each([
    ['CycloneDX without bomFormat', () => validateCyclonedx({ specVersion: '1.6' })],
    ['CycloneDX with an unknown license id', () => validateCyclonedx(withLicense({ id: 'Not-A-License' }))],
    ['SPDX without creationInfo', () => validateSpdx({ spdxVersion: 'SPDX-2.3', SPDXID: 'SPDXRef-DOCUMENT' })],
    ['SPDX with OPERATING-SYSTEM (hyphen) purpose', () => validateSpdx(withPurpose('OPERATING-SYSTEM'))],
  ])('rejects %s', (_name, validate) => {
    expect(validate()).toBe(false);
  });
});

function withLicense(license: object): unknown {
  const bom = JSON.parse(cyclonedxFormat.render(golden, options));
  bom.components[1].licenses = [{ license }];
  return bom;
}

function withPurpose(purpose: string): unknown {
  const doc = JSON.parse(spdxFormat.render(golden, options));
  doc.packages[1].primaryPackagePurpose = purpose;
  return doc;
}

// Names from the wild and from hostile images: unicode, spaces, "@", "/", control characters.
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom(
    '',
    ' ',
    'a b',
    'pkg@1',
    'a/b/c',
    'ünïcödé',
    '日本語',
    '\u001b[31mred',
    '..',
    '-',
    'SPDXRef-DOCUMENT',
  ),
);
const license = fc.oneof(
  fc.constantFrom(
    'MIT',
    'mit',
    'GPL-2+',
    'MIT OR Apache-2.0',
    '(MIT',
    'LicenseRef-x',
    'GPL-2.0-only WITH Classpath-exception-2.0',
  ),
  fc.constantFrom('BSD-3-Clause AND (MIT OR ISC)', 'Apache-2.0+', 'MIT AND', 'public domain', 'and', 'LicenseRef-a b'),
  text,
);
const digest = fc.constantFrom(`sha256:${'a'.repeat(64)}`, `sha256:${'b'.repeat(64)}`, '');
// a handful of purls so that duplicates are common
const purlText = fc.constantFrom(
  'pkg:deb/debian/a@1',
  'pkg:deb/debian/a@1',
  'pkg:apk/alpine/b@2?arch=x86_64',
  '',
  'not a purl',
);

const pkg: fc.Arbitrary<Package> = fc.record(
  {
    type: fc.constantFrom('deb', 'apk', 'rpm', 'npm', 'weird type'),
    name: text.filter((s) => s !== ''),
    version: text,
    arch: text,
    sourceName: text,
    sourceVersion: text,
    epoch: fc.nat(),
    modularityLabel: text,
    licenses: fc.array(license, { maxLength: 4 }),
    maintainer: text,
    purl: fc.oneof(purlText, text),
    locations: fc.array(text, { maxLength: 3 }),
    layerDiffId: digest,
    layerIndex: fc.nat(5),
    files: fc.array(text, { maxLength: 3 }),
  },
  { requiredKeys: ['type', 'name', 'version', 'purl', 'locations'] },
);

const inventory: fc.Arbitrary<Inventory> = fc.record({
  schemaVersion: fc.constant(1 as const),
  image: fc.record(
    {
      ref: text,
      transport: fc.constantFrom('registry', 'docker-archive', 'oci-archive', 'oci', 'dir'),
      manifestDigest: digest,
      configDigest: digest,
      platform: fc.record({ os: text, architecture: text }),
      layers: fc.array(fc.record({ diffId: digest, digest, size: fc.nat() }), { maxLength: 3 }),
      repoTags: fc.array(text, { maxLength: 2 }),
    },
    { requiredKeys: ['ref', 'transport', 'manifestDigest', 'configDigest', 'platform', 'layers'] },
  ),
  distro: fc.option(
    fc.record(
      { id: text.filter((s) => s !== ''), versionId: text, prettyName: text, idLike: fc.array(text), source: text },
      { requiredKeys: ['id', 'source'] },
    ),
    { nil: undefined },
  ),
  packages: fc.array(pkg, { maxLength: 8 }),
  warnings: fc.array(fc.record({ path: text, message: text }), { maxLength: 3 }),
  extractors: fc.array(text, { maxLength: 2 }),
  createdAt: fc.constant('2026-11-22T10:30:00.000Z'),
});

const empty: Inventory = {
  schemaVersion: 1,
  image: {
    ref: '',
    transport: 'dir',
    manifestDigest: '',
    configDigest: '',
    platform: { os: '', architecture: '' },
    layers: [],
  },
  packages: [],
  warnings: [],
  extractors: [],
  createdAt: '2026-11-22T10:30:00.000Z',
};

describe('generated inventories', () => {
  it('an empty inventory is schema-valid in both formats', () => {
    checkCyclonedx(empty);
    checkSpdx(empty);
  });

  it('CycloneDX is always schema-valid with unique bom-refs', () => {
    fc.assert(
      fc.property(inventory, fc.boolean(), (inv, includeFiles) => checkCyclonedx(inv, { includeFiles })),
      { numRuns: 200 },
    );
  });

  it('SPDX is always schema-valid with unique SPDXIDs and declared LicenseRefs', () => {
    fc.assert(fc.property(inventory, checkSpdx), { numRuns: 200 });
  });

  it('the json format reads back to the same inventory', () => {
    fc.assert(
      fc.property(inventory, (inv) => {
        expect(parseInventoryJson(jsonFormat.render(inv))).toEqual(inv);
      }),
      { numRuns: 200 },
    );
  });

  it('the table never emits control characters when plain, and rows fit the width', () => {
    fc.assert(
      fc.property(inventory, fc.integer({ min: 34, max: 200 }), (inv, width) => {
        const out = tableFormat.render(inv, { ...options, width });
        expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
        const lines = out.split('\n');
        const end = lines.indexOf('WARNINGS');
        for (const line of lines.slice(0, end < 0 ? undefined : end)) {
          expect(Array.from(line).length, line).toBeLessThanOrEqual(width);
        }
      }),
      { numRuns: 200 },
    );
  });
});
