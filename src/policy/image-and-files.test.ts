import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Finding, Inventory } from '../core/types.ts';
import { applyPolicy } from './apply.ts';
import { imageIdentity } from './image-identity.ts';
import { readIgnoreFile, readVexFiles } from './read-files.ts';
import { finding } from './testing.ts';
import type { VexStatement } from './types.ts';

const digest = `sha256:${'ab'.repeat(32)}`;
const inventory = {
  schemaVersion: 1,
  image: {
    ref: 'ghcr.io/acme/app:2.0',
    transport: 'registry',
    manifestDigest: digest,
    configDigest: '',
    platform: { os: 'linux', architecture: 'arm64' },
    layers: [],
    repoTags: ['ghcr.io/acme/app:latest'],
  },
  packages: [],
  warnings: [],
  extractors: [],
  createdAt: '',
} satisfies Inventory;
const image = imageIdentity(inventory);
const lodash = finding();
const statement = (product: string, subcomponents: string[] = []): VexStatement => ({
  vulnerability: [lodash.id],
  product: [product],
  subcomponents,
  status: 'not_affected',
  justification: 'component_not_present',
  file: 'v.json',
  field: 'statements[0]',
});

describe('imageIdentity and image products', () => {
  it('names the image by oci purl, digest and references', () => {
    expect(image).toEqual({
      purl: `pkg:oci/app@${digest}?arch=arm64&repository_url=ghcr.io%2Facme%2Fapp&tag=2.0`,
      digests: [digest],
      refs: ['ghcr.io/acme/app:2.0', 'ghcr.io/acme/app:latest'],
    });
  });

  it.each([
    ['the oci purl without qualifiers', `pkg:oci/app@${digest.replace(':', '%3A')}`, true],
    ['the oci purl with its repository', 'pkg:oci/app?repository_url=ghcr.io/acme/app', true],
    ['an oci purl of another repository', 'pkg:oci/app?repository_url=ghcr.io/other/app', false],
    ['an oci purl pinned to another digest', `pkg:oci/app@sha256%3A${'cd'.repeat(32)}`, false],
    ['the bare digest', digest, true],
    ['a reference by tag', 'ghcr.io/acme/app:2.0', true],
    ['a reference by another tag it has', 'ghcr.io/acme/app:latest', true],
    ['a reference by a tag it does not have', 'ghcr.io/acme/app:1.0', false],
    ['a reference by digest', `ghcr.io/acme/app@${digest}`, true],
    ['a reference by another digest', `ghcr.io/acme/app@sha256:${'cd'.repeat(32)}`, false],
    ['an unrelated IRI', 'https://example.com/products/app', false],
  ])('%s: %s suppresses every package: %s', (_name, product, expected) => {
    const result = applyPolicy([lodash], { now: new Date(0), image, vexStatements: [statement(product)] });
    expect(result.suppressed.length === 1).toBe(expected);
  });

  it('subcomponents narrow an image statement to the packages they name', () => {
    const other = finding({ package: { name: 'lodash-es', purl: 'pkg:npm/lodash-es@4.17.20' } });
    const result = applyPolicy([lodash, other], {
      now: new Date(0),
      image,
      vexStatements: [statement('ghcr.io/acme/app:2.0', ['pkg:npm/lodash'])],
    });
    expect(result.suppressed.map((s) => s.finding)).toEqual([lodash]);
    expect(result.kept).toEqual([other]);
  });
});

describe('reading policy files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-policy-'));

  it('reads an ignore file and several VEX files in order', async () => {
    writeFileSync(join(dir, '.trivyignore'), 'CVE-1\n');
    writeFileSync(
      join(dir, 'a.json'),
      JSON.stringify({
        '@context': 'https://openvex.dev/ns/v0.2.0',
        statements: [{ vulnerability: 'CVE-1', products: [{ '@id': 'pkg:npm/a' }], status: 'fixed' }],
      }),
    );
    writeFileSync(
      join(dir, 'b.json'),
      JSON.stringify({
        '@context': 'https://openvex.dev/ns/v0.2.0',
        statements: [{ vulnerability: 'CVE-2', products: [{ '@id': 'pkg:npm/b' }], status: 'fixed' }],
      }),
    );
    expect((await readIgnoreFile(join(dir, '.trivyignore'))).map((r) => r.id)).toEqual(['CVE-1']);
    expect((await readVexFiles([join(dir, 'a.json'), join(dir, 'b.json')])).map((s) => s.vulnerability[0])).toEqual([
      'CVE-1',
      'CVE-2',
    ]);
  });

  it.each([
    ['a missing file', 'missing.yaml', 'cannot be read: ENOENT'],
    ['a directory', '.', 'is not a regular file'],
  ])('%s is VIGIL_POLICY_INVALID naming it', async (_name, file, message) => {
    const path = join(dir, file);
    await expect(readIgnoreFile(path)).rejects.toMatchObject({
      code: 'VIGIL_POLICY_INVALID',
      message: expect.stringContaining(message),
    });
    await expect(readVexFiles([path])).rejects.toMatchObject({
      code: 'VIGIL_POLICY_INVALID',
      message: expect.stringContaining(path),
    });
  });
});

describe('applyPolicy properties', () => {
  const findings = fc.array(
    fc
      .record({
        id: fc.constantFrom('CVE-1', 'CVE-2', 'CVE-3'),
        severity: fc.constantFrom('CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'NONE', 'UNKNOWN'),
        fixState: fc.constantFrom('fixed', 'not-fixed', 'wont-fix'),
        name: fc.constantFrom('a', 'b'),
      })
      .map(
        ({ id, severity, fixState, name }): Finding =>
          finding({ id, aliases: [], severity, fixState, package: { name, purl: `pkg:npm/${name}@1` } }),
      ),
    { maxLength: 12 },
  );
  const statements = fc.array(
    fc
      .record({
        id: fc.constantFrom('CVE-1', 'CVE-2'),
        product: fc.constantFrom('pkg:npm/a', 'pkg:npm/b@1', 'pkg:npm/b@2'),
        status: fc.constantFrom('not_affected', 'fixed', 'affected', 'under_investigation'),
        time: fc.integer({ min: 0, max: 3 }),
      })
      .map(
        ({ id, product, status, time }): VexStatement => ({
          vulnerability: [id],
          product: [product],
          subcomponents: [],
          status,
          timestamp: new Date(time * 1000),
          file: 'v',
          field: 'f',
        }),
      ),
    { maxLength: 6 },
  );

  it('kept and suppressed partition what the filters let through, in input order', () => {
    fc.assert(
      fc.property(findings, statements, fc.boolean(), (input, vex, ignoreUnfixed) => {
        const result = applyPolicy(input, {
          now: new Date(0),
          vexStatements: vex,
          ignoreUnfixed,
          severities: ['CRITICAL', 'HIGH', 'LOW'],
        });
        const passed = input.filter(
          (f) => ['CRITICAL', 'HIGH', 'LOW'].includes(f.severity) && (!ignoreUnfixed || f.fixState === 'fixed'),
        );
        const suppressed = new Set(result.suppressed.map((s) => s.finding));
        expect(passed.filter((f) => !suppressed.has(f))).toEqual(result.kept);
        expect(passed.filter((f) => suppressed.has(f))).toEqual(result.suppressed.map((s) => s.finding));
        expect(result.filtered.severity + result.filtered.unfixed + passed.length).toBe(input.length);
      }),
    );
  });

  it('a finding is suppressed exactly when its latest covering statement says not_affected or fixed', () => {
    fc.assert(
      fc.property(findings, statements, (input, vex) => {
        const result = applyPolicy(input, { now: new Date(0), vexStatements: vex });
        const suppressed = new Set(result.suppressed.map((s) => s.finding));
        for (const f of input) {
          const covering = vex
            .map((s, order) => ({ s, order }))
            .filter(
              ({ s }) =>
                s.vulnerability.includes(f.id) &&
                (s.product[0] === 'pkg:npm/a'
                  ? f.package.name === 'a'
                  : s.product[0] === `pkg:npm/${f.package.name}@1`),
            );
          const latest = covering
            .sort((x, y) => x.s.timestamp!.getTime() - y.s.timestamp!.getTime() || x.order - y.order)
            .at(-1);
          expect(suppressed.has(f)).toBe(
            latest !== undefined && (latest.s.status === 'not_affected' || latest.s.status === 'fixed'),
          );
        }
      }),
    );
  });
});
