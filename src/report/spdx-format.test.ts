import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Inventory, Package } from '../core/types.ts';
import { parseInventoryJson } from './json-format.ts';
import { spdxDocument } from './spdx-format.ts';
import type { RenderOptions } from './types.ts';

const golden = parseInventoryJson(readFileSync(new URL('./testdata/golden/inventory.json', import.meta.url), 'utf8'));
const options: RenderOptions = {
  now: new Date('2026-11-22T10:30:00.500Z'),
  uuid: () => '5b0f8c7e-2d4a-4f61-9c3b-7a1e0d9f8b26',
  toolVersion: '1.2.3',
};
// biome-ignore lint/suspicious/noExplicitAny: rendered documents are probed field by field against literals
type Doc = { [key: string]: any };
const doc = (inventory: Inventory): Doc => spdxDocument(inventory, options);
const withPackages = (...packages: Package[]): Doc => doc({ ...golden, packages });
const pkg = (fields: Partial<Package>): Package => ({
  type: 'deb',
  name: 'x',
  version: '1',
  purl: 'pkg:deb/debian/x@1',
  locations: ['var/lib/dpkg/status'],
  ...fields,
});

describe('spdxDocument', () => {
  it('fills the document header from the options', () => {
    expect(doc(golden)).toMatchObject({
      spdxVersion: 'SPDX-2.3',
      dataLicense: 'CC0-1.0',
      SPDXID: 'SPDXRef-DOCUMENT',
      name: 'registry.example.com:5000/team/app:1.4.2',
      documentNamespace:
        'https://vigil.dev/spdx/registry.example.com-5000-team-app-1.4.2-5b0f8c7e-2d4a-4f61-9c3b-7a1e0d9f8b26',
      creationInfo: { created: '2026-11-22T10:30:00Z', creators: ['Organization: Vigil', 'Tool: vigil-1.2.3'] },
    });
  });

  it('describes the image, which contains the OS and every package', () => {
    const d = doc(golden);
    const [image, os] = d.packages;
    expect(image.primaryPackagePurpose).toBe('CONTAINER');
    expect(os).toMatchObject({ name: 'debian', versionInfo: '12', primaryPackagePurpose: 'OPERATING_SYSTEM' });
    expect(d.relationships[0]).toEqual({
      spdxElementId: 'SPDXRef-DOCUMENT',
      relationshipType: 'DESCRIBES',
      relatedSpdxElement: image.SPDXID,
    });
    const contained = d.relationships
      .filter((r: Doc) => r.relationshipType === 'CONTAINS')
      .map((r: Doc) => r.relatedSpdxElement);
    expect(contained).toEqual(d.packages.slice(1).map((p: Doc) => p.SPDXID));
  });

  it('maps a package: purl reference, supplier, layer in sourceInfo, no file analysis', () => {
    const libc6 = doc(golden).packages.find((p: Doc) => p.name === 'libc6');
    expect(libc6).toMatchObject({
      SPDXID: 'SPDXRef-Package-deb-libc6-2.36-9-deb12u7',
      versionInfo: '2.36-9+deb12u7',
      supplier: 'Person: GNU Libc Maintainers (debian-glibc@lists.debian.org)',
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      licenseConcluded: 'NOASSERTION',
      licenseDeclared: 'LGPL-2.1-or-later AND (GPL-2.0-or-later WITH GCC-exception-3.1)',
      externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: libcPurl() }],
      primaryPackagePurpose: 'LIBRARY',
    });
    expect(libc6.sourceInfo).toBe(
      `acquired package info from deb package database: /var/lib/dpkg/status in layer #0 ${golden.image.layers[0]!.diffId}`,
    );
  });

  it.each([
    [[], 'NOASSERTION', []],
    [['MIT'], 'MIT', []],
    [['GPL-2+'], 'LicenseRef-GPL-2-plus', ['GPL-2+']],
    [['MIT', 'GPL-2+', 'MIT'], 'MIT AND LicenseRef-GPL-2-plus', ['GPL-2+']],
    [['LicenseRef-acme'], 'LicenseRef-acme', ['LicenseRef-acme']],
    [['MIT AND LicenseRef-acme'], 'LicenseRef-MIT-AND-LicenseRef-acme', ['MIT AND LicenseRef-acme']],
    [['BSD 3', 'BSD/3'], 'LicenseRef-BSD-3 AND LicenseRef-BSD-3-2', ['BSD 3', 'BSD/3']],
    [['日本'], 'LicenseRef-unnamed', ['日本']],
  ])('licenses %j declare %j', (licenses, declared, extracted) => {
    const d = withPackages(pkg({ licenses }));
    expect(d.packages.at(-1).licenseDeclared).toBe(declared);
    expect((d.hasExtractedLicensingInfos ?? []).map((e: Doc) => e.extractedText)).toEqual(extracted);
  });

  it('declares each free-text license once across packages', () => {
    const d = withPackages(pkg({ name: 'a', licenses: ['GPL-2+'] }), pkg({ name: 'b', licenses: ['GPL-2+'] }));
    expect(d.hasExtractedLicensingInfos).toHaveLength(1);
    expect(d.packages.slice(-2).map((p: Doc) => p.licenseDeclared)).toEqual([
      'LicenseRef-GPL-2-plus',
      'LicenseRef-GPL-2-plus',
    ]);
  });

  it('gives duplicate and unsanitisable packages distinct SPDXIDs', () => {
    const d = withPackages(pkg({}), pkg({}), pkg({ name: 'ü', version: '' }), pkg({ name: 'x', version: '1!' }));
    expect(d.packages.slice(2).map((p: Doc) => p.SPDXID)).toEqual([
      'SPDXRef-Package-deb-x-1',
      'SPDXRef-Package-deb-x-1-2',
      'SPDXRef-Package-deb',
      'SPDXRef-Package-deb-x-1-3',
    ]);
  });

  it('leaves out purls that are empty or contain spaces', () => {
    const d = withPackages(pkg({ purl: '' }), pkg({ purl: 'pkg:deb/a b@1' }));
    expect(d.packages.slice(-2).map((p: Doc) => p.externalRefs)).toEqual([undefined, undefined]);
  });

  it('has no OS package without a distro', () => {
    const d = doc({ ...golden, distro: undefined });
    expect(d.packages.map((p: Doc) => p.primaryPackagePurpose)).not.toContain('OPERATING_SYSTEM');
  });
});

function libcPurl(): string {
  return golden.packages.find((p) => p.name === 'libc6')!.purl;
}
