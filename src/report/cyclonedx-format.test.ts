import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Inventory, Package } from '../core/types.ts';
import { cyclonedxBom, cyclonedxLicenses } from './cyclonedx-format.ts';
import { parseInventoryJson } from './json-format.ts';
import type { RenderOptions } from './types.ts';

const golden = parseInventoryJson(readFileSync(new URL('./testdata/golden/inventory.json', import.meta.url), 'utf8'));
const options: RenderOptions = {
  now: new Date('2026-11-22T10:30:00.999Z'),
  uuid: () => '5B0F8C7E-2D4A-4F61-9C3B-7A1E0D9F8B26',
  toolVersion: '9.9.9',
};
// biome-ignore lint/suspicious/noExplicitAny: rendered documents are probed field by field against literals
type Bom = { [key: string]: any };
const bom = (inventory: Inventory, extra: Partial<RenderOptions> = {}): Bom =>
  cyclonedxBom(inventory, { ...options, ...extra });

describe('cyclonedxLicenses', () => {
  it.each([
    [[], undefined],
    [['', '  '], undefined],
    [['MIT'], [{ license: { id: 'MIT' } }]],
    [
      ['mit', 'MIT'],
      [{ license: { id: 'MIT' } }, { license: { id: 'MIT' } }],
    ],
    [['GPL-2+'], [{ license: { name: 'GPL-2+' } }]],
    [['MIT OR Apache-2.0'], [{ expression: 'MIT OR Apache-2.0' }]],
    [['ISC', 'MIT OR Apache-2.0'], [{ expression: 'ISC AND (MIT OR Apache-2.0)' }]],
    [['LicenseRef-acme'], [{ expression: 'LicenseRef-acme' }]],
    [
      ['MIT OR Apache-2.0', 'public domain'],
      [{ license: { name: 'MIT OR Apache-2.0' } }, { license: { name: 'public domain' } }],
    ],
  ])('%j', (input, expected) => {
    expect(cyclonedxLicenses(input)).toEqual(expected);
  });
});

describe('cyclonedxBom', () => {
  it('takes time, serial number and tool version from the options', () => {
    const doc = bom(golden);
    expect(doc.serialNumber).toBe('urn:uuid:5b0f8c7e-2d4a-4f61-9c3b-7a1e0d9f8b26');
    expect(doc.metadata.timestamp).toBe('2026-11-22T10:30:00Z');
    expect(doc.metadata.tools.components).toEqual([{ type: 'application', name: 'vigil', version: '9.9.9' }]);
  });

  it('refuses a uuid source that does not give UUIDs', () => {
    expect(() => bom(golden, { uuid: () => 'not-a-uuid' })).toThrow(/not a UUID/);
  });

  it('describes the image as a container with an oci purl', () => {
    expect(bom(golden).metadata.component).toMatchObject({
      type: 'container',
      name: 'registry.example.com:5000/team/app:1.4.2',
      version: golden.image.manifestDigest,
      purl: expect.stringMatching(
        /^pkg:oci\/app@sha256(%3A|:)7c41.*repository_url=registry.example.com%3A5000%2Fteam%2Fapp/,
      ),
    });
  });

  it('gives the OS component the distro facts and makes it own the OS packages', () => {
    const doc = bom(golden);
    expect(doc.components[0]).toMatchObject({
      type: 'operating-system',
      name: 'debian',
      version: '12',
      description: 'Debian GNU/Linux 12 (bookworm)',
    });
    const osDeps = doc.dependencies.find((d: Bom) => d.ref === doc.components[0]['bom-ref']);
    expect(osDeps.dependsOn).toHaveLength(golden.packages.length);
  });

  it('keeps language packages under the image and everything under the image without a distro', () => {
    const npm: Package = {
      type: 'npm',
      name: 'lodash',
      version: '4.17.21',
      purl: 'pkg:npm/lodash@4.17.21',
      locations: [],
    };
    const withNpm = bom({ ...golden, packages: [...golden.packages, npm] });
    expect(withNpm.dependencies[0].dependsOn).toEqual(['vigil:os:debian-12', 'pkg:npm/lodash@4.17.21']);
    const noDistro = bom({ ...golden, distro: undefined });
    expect(noDistro.dependencies).toHaveLength(1);
    expect(noDistro.dependencies[0].dependsOn).toHaveLength(golden.packages.length);
  });

  it('writes the rpm and layer facts as properties', () => {
    const nodejs = bom(golden).components.find((c: Bom) => c.name === 'nodejs');
    expect(nodejs.properties).toEqual(
      expect.arrayContaining([
        { name: 'vigil:package:type', value: 'rpm' },
        { name: 'vigil:rpm:epoch', value: '1' },
        { name: 'vigil:rpm:modularity-label', value: 'nodejs:18:8090020231213:a75119d5' },
        { name: 'vigil:package:source-name', value: 'nodejs' },
        { name: 'vigil:layer:diffId', value: golden.image.layers[1]!.diffId },
        { name: 'vigil:package:location', value: 'opt/rpm-root/var/lib/rpm/rpmdb.sqlite' },
      ]),
    );
  });

  it('lists files only with includeFiles', () => {
    const files = (doc: Bom) =>
      doc.components.flatMap((c: Bom) => (c.properties ?? []).filter((p: Bom) => p.name === 'vigil:package:file'));
    expect(files(bom(golden))).toEqual([]);
    expect(files(bom(golden, { includeFiles: true }))).toContainEqual({
      name: 'vigil:package:file',
      value: 'bin/bash',
    });
  });

  it('makes bom-refs unique when purls repeat, in inventory order', () => {
    const twin = golden.packages[0]!;
    const doc = bom({ ...golden, packages: [twin, twin, { ...twin, purl: `${twin.purl}-2` }, twin] });
    expect(doc.components.slice(1).map((c: Bom) => c['bom-ref'])).toEqual([
      twin.purl,
      `${twin.purl}-2`,
      `${twin.purl}-2-2`,
      `${twin.purl}-3`,
    ]);
  });
});
