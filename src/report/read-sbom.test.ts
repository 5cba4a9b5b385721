import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isVigilError } from '../core/errors.ts';
import { purl } from '../core/purl.ts';
import type { Inventory, Package } from '../core/types.ts';
import { cyclonedxFormat } from './cyclonedx-format.ts';
import { jsonFormat, parseInventoryJson } from './json-format.ts';
import { parseSbom, readSbom } from './read-sbom.ts';
import { spdxFormat } from './spdx-format.ts';
import type { RenderOptions } from './types.ts';

const testdata = new URL('./testdata/read-sbom/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, testdata), 'utf8');
const brief = (p: Package) => ({
  type: p.type,
  name: p.name,
  version: p.version,
  ecosystem: p.ecosystem,
  sourceName: p.sourceName,
  sourceVersion: p.sourceVersion,
  layerIndex: p.layerIndex,
  locations: p.locations,
});

describe('foreign SBOMs', () => {
  it('Trivy CycloneDX 1.5: image, OS component, Src* properties, layers, scoped npm name', () => {
    const inventory = parseSbom(fixture('trivy-alpine.cdx.json'), 'trivy.cdx.json');
    expect(inventory.image).toEqual({
      ref: 'alpine:3.15',
      transport: 'registry',
      manifestDigest: 'sha256:21a3deaa0d32a8057914f36584b5288d2e5ecc984380bc0118285c70fa8c9300',
      configDigest: 'sha256:c059bfaa849c4d8e4aecaeb3a10c2d9b3d85f5165c66ad3a4d937758128c4d18',
      platform: { os: '', architecture: 'amd64' },
      layers: [
        { diffId: 'sha256:8d3ac3489996423f53d6087c81180006263b79f206d3fdec9e66f0e27ceb8759', digest: '', size: 0 },
      ],
      repoTags: ['alpine:3.15'],
    });
    expect(inventory.distro).toEqual({ id: 'alpine', versionId: '3.15.0', source: 'SBOM operating-system component' });
    expect(inventory.packages.map(brief)).toEqual([
      {
        type: 'apk',
        name: 'musl-utils',
        version: '1.2.2-r7',
        ecosystem: undefined,
        sourceName: 'musl',
        sourceVersion: '1.2.2-r7',
        layerIndex: 0,
        locations: [],
      },
      {
        type: 'npm',
        name: '@babel/core',
        version: '7.16.0',
        ecosystem: 'npm',
        sourceName: undefined,
        sourceVersion: undefined,
        layerIndex: undefined,
        locations: ['app/node_modules/@babel/core/package.json'],
      },
    ]);
    expect(inventory.packages[0]?.licenses).toEqual(['MIT AND BSD-3-Clause AND GPL-2.0-or-later']);
    expect(inventory.packages[0]?.arch).toBe('x86_64');
  });

  it('Syft CycloneDX 1.4: nested components, upstream qualifier, rpm epoch, distro from purls', () => {
    const inventory = parseSbom(fixture('syft-nested.cdx.json'), 'syft.cdx.json');
    expect(inventory.image.manifestDigest).toBe(
      'sha256:0bced47fffa3361afa981854fcabcd4577cd43cebbb808cea2b1f33a3dd7f508',
    );
    expect(inventory.distro).toEqual({ id: 'ubuntu', versionId: '22.04', source: 'purl distro qualifier' });
    expect(inventory.packages.map(brief)).toEqual([
      {
        type: 'deb',
        name: 'libssl3',
        version: '3.0.2-0ubuntu1.10',
        ecosystem: undefined,
        sourceName: 'openssl',
        sourceVersion: undefined,
        layerIndex: undefined,
        locations: ['var/lib/dpkg/status'],
      },
      {
        type: 'maven',
        name: 'org.apache.logging.log4j:log4j-core',
        version: '2.14.1',
        ecosystem: 'Maven',
        sourceName: undefined,
        sourceVersion: undefined,
        layerIndex: undefined,
        locations: [],
      },
      {
        type: 'golang',
        name: 'github.com/wagoodman/go-partybus',
        version: 'v0.0.0-20230516145632-8ccac152c651',
        ecosystem: 'Go',
        sourceName: undefined,
        sourceVersion: undefined,
        layerIndex: undefined,
        locations: [],
      },
      {
        type: 'pypi',
        name: 'Django',
        version: '4.2.1',
        ecosystem: 'PyPI',
        sourceName: undefined,
        sourceVersion: undefined,
        layerIndex: undefined,
        locations: [],
      },
      {
        type: 'rpm',
        name: 'rpm-thing',
        version: '2:2.3-4.el9',
        ecosystem: undefined,
        sourceName: 'rpm-thing-2.3-4.el9.src.rpm',
        sourceVersion: undefined,
        layerIndex: undefined,
        locations: [],
      },
    ]);
    expect(inventory.packages[0]?.layerDiffId).toBe(
      'sha256:5498e8c22f6996f25ef193ee58617d5b37e2a96decf22e72de13c3b34e147591',
    );
    expect(inventory.packages[4]).toMatchObject({ epoch: 2, release: '4.el9' });
    expect(inventory.warnings).toEqual([
      { path: '', extractor: 'sbom/cyclonedx', message: 'component "app.jar" has no purl; skipped' },
    ]);
  });

  it('Trivy SPDX 2.3: CONTAINER and OPERATING-SYSTEM packages, source from sourceInfo', () => {
    const inventory = parseSbom(fixture('trivy.spdx.json'), 'trivy.spdx.json');
    expect(inventory.image.ref).toBe('alpine:3.15');
    expect(inventory.image.manifestDigest).toBe(
      'sha256:19b4bcc4f60e99dd5ebdca0cbce22c503bbcff197549d7e19dab4f22254dc864',
    );
    expect(inventory.image.platform.architecture).toBe('amd64');
    expect(inventory.distro).toEqual({ id: 'alpine', versionId: '3.15.11', source: 'SBOM operating-system package' });
    expect(inventory.packages.map(brief)).toEqual([
      {
        type: 'apk',
        name: 'libc-utils',
        version: '0.7.2-r3',
        ecosystem: undefined,
        sourceName: 'libc-dev',
        sourceVersion: '0.7.2-r3',
        layerIndex: undefined,
        locations: [],
      },
    ]);
    expect(inventory.packages[0]?.licenses).toEqual(['BSD-2-Clause AND BSD-3-Clause']);
    expect(inventory.warnings.map((w) => w.message)).toEqual(['package "no-purl-here" has no purl; skipped']);
  });
});

const options: RenderOptions = {
  now: new Date('2026-11-22T10:30:00Z'),
  uuid: () => '0e9a3c1f-6b7d-4e2a-8c5f-1d3b5a7c9e0f',
  toolVersion: '0.1.0',
};
const golden = parseInventoryJson(readFileSync(new URL('./testdata/golden/inventory.json', import.meta.url), 'utf8'));
const language = (
  type: string,
  ecosystem: string,
  namespace: string | undefined,
  base: string,
  name: string,
  version: string,
): Package => ({
  type,
  ecosystem,
  name,
  version,
  purl: purl(type, namespace, base, version),
  locations: [`app/${type}.lock`],
});
const mixed: Inventory = {
  ...golden,
  packages: [
    ...golden.packages,
    language('npm', 'npm', '@babel', 'core', '@babel/core', '7.16.0'),
    language('npm', 'npm', undefined, 'lodash', 'lodash', '4.17.20'),
    language(
      'maven',
      'Maven',
      'org.apache.logging.log4j',
      'log4j-core',
      'org.apache.logging.log4j:log4j-core',
      '2.14.1',
    ),
    language('golang', 'Go', 'golang.org/x', 'net', 'golang.org/x/net', 'v0.17.0'),
    language('pypi', 'PyPI', undefined, 'Django', 'Django', '4.2.1'),
    language('gem', 'RubyGems', undefined, 'rack', 'rack', '2.2.3'),
    language('cargo', 'crates.io', undefined, 'smallvec', 'smallvec', '1.6.0'),
    language('composer', 'Packagist', 'symfony', 'http-kernel', 'symfony/http-kernel', 'v5.4.0'),
    language('nuget', 'NuGet', undefined, 'Newtonsoft.Json', 'Newtonsoft.Json', '12.0.1'),
  ],
};
// what `vigil scan sbom:` needs to match: identity, version, ecosystem and the source package
// (an unset source name means "same as the binary", so the two spellings compare equal)
const identity = (p: Package) => ({
  type: p.type,
  name: p.name,
  version: p.version,
  purl: p.purl,
  ecosystem: p.ecosystem,
  sourceName: p.sourceName ?? p.name,
});

describe('round trip: Vigil inventory → SBOM → readSbom', () => {
  it.each([
    ['cyclonedx', (inv: Inventory) => cyclonedxFormat.render(inv, options)],
    ['cyclonedx with files', (inv: Inventory) => cyclonedxFormat.render(inv, { ...options, includeFiles: true })],
    ['spdx', (inv: Inventory) => spdxFormat.render(inv, options)],
    ['json', (inv: Inventory) => jsonFormat.render(inv)],
  ])('%s keeps names, versions, purls, ecosystems and source names', (_format, render) => {
    const back = parseSbom(render(mixed), 'sbom');
    expect(back.packages.map(identity)).toEqual(mixed.packages.map(identity));
    expect(back.distro?.id).toBe('debian');
    expect(back.distro?.versionId).toBe('12');
    expect(back.image.ref).toBe(mixed.image.ref);
    expect(back.image.manifestDigest).toBe(mixed.image.manifestDigest);
  });

  it('cyclonedx keeps everything the matcher and reports use', () => {
    const back = parseSbom(cyclonedxFormat.render(mixed, { ...options, includeFiles: true }), 'sbom');
    const { idLike: _ignored, ...distro } = mixed.distro!;
    expect(back.distro).toEqual(distro);
    expect(back.image.configDigest).toBe(mixed.image.configDigest);
    expect(back.image.platform).toEqual(mixed.image.platform);
    expect(back.image.layers.map((l) => l.diffId)).toEqual(mixed.image.layers.map((l) => l.diffId));
    expect(back.packages).toEqual(mixed.packages.map(({ licenses: _l, ...pkg }) => expect.objectContaining(pkg)));
  });

  it('spdx keeps locations and layers from its sourceInfo sentences', () => {
    const back = parseSbom(spdxFormat.render(mixed, options), 'sbom');
    expect(back.packages.map((p) => [p.locations, p.layerDiffId, p.layerIndex])).toEqual(
      mixed.packages.map((p) => [p.locations, p.layerDiffId, p.layerIndex]),
    );
  });
});

describe('not an SBOM', () => {
  it.each([
    ['empty', '', 'not JSON'],
    ['text', 'hello', 'not JSON'],
    ['XML CycloneDX', '<?xml version="1.0"?><bom/>', 'XML'],
    ['SPDX tag-value', 'SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n', 'tag-value'],
    ['a JSON array', '[]', 'not a CycloneDX or SPDX'],
    ['a package.json', '{"name": "x", "version": "1.0.0"}', 'not a CycloneDX or SPDX'],
    ['CycloneDX 1.3', '{"bomFormat": "CycloneDX", "specVersion": "1.3", "components": []}', 'not 1.4, 1.5 or 1.6'],
    ['SPDX 2.1', '{"spdxVersion": "SPDX-2.1", "packages": []}', 'is not SPDX-2.3'],
    ['a broken Vigil inventory', '{"schemaVersion": 1, "image": {}, "packages": []}', 'not a Vigil inventory'],
  ])('%s: VIGIL_SBOM_INVALID', (_name, text, message) => {
    expect(() => parseSbom(text, 'in.json')).toThrow(expect.objectContaining({ code: 'VIGIL_SBOM_INVALID' }));
    expect(() => parseSbom(text, 'in.json')).toThrow(`in.json: `);
    expect(() => parseSbom(text, 'in.json')).toThrow(message);
  });

  it('arbitrary JSON reads or fails with VIGIL_SBOM_INVALID', () => {
    const shaped = fc.oneof(
      fc.jsonValue(),
      fc.record({
        bomFormat: fc.constant('CycloneDX'),
        specVersion: fc.constantFrom('1.4', '1.6'),
        components: fc.jsonValue(),
        metadata: fc.jsonValue(),
      }),
      fc.record({
        spdxVersion: fc.constant('SPDX-2.3'),
        packages: fc.array(fc.jsonValue(), { maxLength: 3 }),
        relationships: fc.jsonValue(),
      }),
    );
    fc.assert(
      fc.property(shaped, (value) => {
        try {
          const inventory = parseSbom(JSON.stringify(value), 'f.json');
          expect(Array.isArray(inventory.packages)).toBe(true);
        } catch (err) {
          expect(isVigilError(err, 'VIGIL_SBOM_INVALID'), String(err)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('walks 50,000 levels of nested components without recursion', () => {
    const depth = 50_000;
    const leaf = '{"type":"library","name":"deep","version":"1","purl":"pkg:npm/deep@1"}';
    const nested = `${'{"type":"application","name":"x","components":['.repeat(depth)}${leaf}${']}'.repeat(depth)}`;
    const inventory = parseSbom(`{"bomFormat":"CycloneDX","specVersion":"1.6","components":[${nested}]}`, 'deep.json');
    expect(inventory.packages.map((p) => p.name)).toEqual(['deep']);
  });
});

describe('readSbom(path)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-read-sbom-'));

  it('reads a file', async () => {
    const inventory = await readSbom(new URL('trivy-alpine.cdx.json', testdata).pathname);
    expect(inventory.packages).toHaveLength(2);
  });

  it('a missing file is VIGIL_IMAGE_NOT_FOUND', async () => {
    await expect(readSbom(join(dir, 'nope.json'))).rejects.toMatchObject({ code: 'VIGIL_IMAGE_NOT_FOUND' });
  });

  it('a file over the bound is VIGIL_LIMIT_EXCEEDED before it is parsed', async () => {
    const path = join(dir, 'big.json');
    writeFileSync(path, `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[]${' '.repeat(2000)}}`);
    await expect(readSbom(path, 1024)).rejects.toMatchObject({ code: 'VIGIL_LIMIT_EXCEEDED' });
    await expect(readSbom(path, 4096)).resolves.toMatchObject({ packages: [] });
  });

  it('a directory is VIGIL_SBOM_INVALID', async () => {
    await expect(readSbom(dir)).rejects.toMatchObject({ code: 'VIGIL_SBOM_INVALID' });
  });
});
