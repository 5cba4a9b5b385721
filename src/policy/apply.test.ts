import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../core/types.ts';
import { applyPolicy } from './apply.ts';
import { parseIgnoreFile } from './ignore-file.ts';
import { finding } from './testing.ts';
import type { ImageIdentity, PolicyOptions } from './types.ts';
import { parseVex } from './vex.ts';

const fixture = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
const now = new Date('2026-12-01T12:00:00Z');
const manifestDigest = 'sha256:7c41e3b0d2f1a9e8c7b6a5f4e3d2c1b0a99887766554433221100ffeeddccbbaa';
const image: ImageIdentity = {
  purl: `pkg:oci/app@${encodeURIComponent(manifestDigest)}?arch=amd64&repository_url=registry.example.com/team/app&tag=1.4.2`,
  digests: [manifestDigest],
};

const lodash = finding();
const libssl = finding({
  id: 'CVE-2023-0464',
  aliases: ['DSA-5417-1'],
  severity: 'MEDIUM',
  package: {
    name: 'libssl3',
    version: '3.0.13-1~deb12u1',
    type: 'deb',
    ecosystem: 'Debian:12',
    purl: 'pkg:deb/debian/libssl3@3.0.13-1~deb12u1?arch=amd64&distro=debian-12&upstream=openssl',
    sourceName: 'openssl',
    locations: ['var/lib/dpkg/status'],
  },
});
const libsslArm = finding({
  ...libssl,
  package: { ...libssl.package, purl: 'pkg:deb/debian/libssl3@3.0.13-1~deb12u1?arch=arm64' },
});
const bash = finding({
  id: 'CVE-2024-9999',
  aliases: [],
  severity: 'LOW',
  fixState: 'not-fixed',
  fixedVersions: [],
  package: {
    name: 'bash',
    version: '5.2.15-2+b7',
    type: 'deb',
    ecosystem: 'Debian:12',
    purl: 'pkg:deb/debian/bash@5.2.15-2+b7',
    locations: [],
  },
});
const musl = finding({
  id: 'CVE-2022-0001',
  aliases: [],
  severity: 'CRITICAL',
  fixState: 'wont-fix',
  package: {
    name: 'musl',
    version: '1.2.4-r2',
    type: 'apk',
    ecosystem: 'Alpine:v3.19',
    purl: 'pkg:apk/alpine/musl@1.2.4-r2',
    locations: [],
  },
});
const lodashOld = finding({ id: 'CVE-2019-10744', aliases: ['GHSA-jf85-cpcp-j695'], severity: 'CRITICAL' });
const all = [lodash, libssl, libsslArm, bash, musl, lodashOld];

const openvex = parseVex(fixture('vex/openvex.json'), 'openvex.json');
const cdxVex = parseVex(fixture('vex/cyclonedx-vex.json'), 'vex.cdx.json');
const yamlRules = parseIgnoreFile(fixture('ignore/trivyignore.yaml'), '.trivyignore.yaml');

type Case = {
  name: string;
  options: Omit<PolicyOptions, 'now'> & { now?: Date };
  kept: Finding[];
  suppressed?: Array<[Finding, string, string]>;
  filtered?: { severity: number; unfixed: number };
};

const cases: Case[] = [
  { name: 'no policy keeps everything', options: {}, kept: all },
  {
    name: '--severity HIGH,CRITICAL',
    options: { severities: ['HIGH', 'CRITICAL'] },
    kept: [lodash, musl, lodashOld],
    filtered: { severity: 3, unfixed: 0 },
  },
  {
    name: '--ignore-unfixed drops not-fixed and wont-fix',
    options: { ignoreUnfixed: true },
    kept: [lodash, libssl, libsslArm, lodashOld],
    filtered: { severity: 0, unfixed: 2 },
  },
  {
    name: 'OpenVEX: versionless package purl, image digest with subcomponents, image hash; latest statement wins',
    options: { vexStatements: openvex, image },
    kept: [libsslArm, bash, lodashOld],
    suppressed: [
      [lodash, 'not_affected', 'openvex.json statements[0]'],
      [libssl, 'fixed', 'openvex.json statements[1]'],
      [musl, 'not_affected', 'openvex.json statements[3]'],
    ],
  },
  {
    name: 'OpenVEX image statements do not apply to another image',
    options: { vexStatements: openvex, image: { digests: [`sha256:${'0'.repeat(64)}`] } },
    kept: [libssl, libsslArm, bash, musl, lodashOld],
    suppressed: [[lodash, 'not_affected', 'openvex.json statements[0]']],
  },
  {
    name: 'CycloneDX VEX: exact purls from bom-refs and BOM-Links, false_positive, resolved',
    options: { vexStatements: cdxVex, image },
    kept: [libsslArm, bash, lodashOld],
    suppressed: [
      [lodash, 'not_affected', 'vex.cdx.json vulnerabilities[1]'],
      [libssl, 'not_affected', 'vex.cdx.json vulnerabilities[0]'],
      [musl, 'fixed', 'vex.cdx.json vulnerabilities[2]'],
    ],
  },
  {
    name: 'a later affected statement overrides an earlier not_affected one across files',
    options: {
      vexStatements: [
        ...cdxVex,
        ...parseVex(
          JSON.stringify({
            '@context': 'https://openvex.dev/ns/v0.2.0',
            timestamp: '2026-11-20T00:00:00Z',
            statements: [
              {
                vulnerability: { name: 'CVE-2023-0464' },
                products: [{ '@id': 'pkg:deb/debian/libssl3' }],
                status: 'affected',
              },
            ],
          }),
          'later.json',
        ),
      ],
    },
    kept: [libssl, libsslArm, bash, lodashOld],
    suppressed: [
      [lodash, 'not_affected', 'vex.cdx.json vulnerabilities[1]'],
      [musl, 'fixed', 'vex.cdx.json vulnerabilities[2]'],
    ],
  },
  {
    name: 'YAML ignore file: by id, alias, purl, package name, path; expired rules suppress nothing',
    options: { ignoreRules: yamlRules },
    kept: [bash, musl, lodashOld],
    suppressed: [
      [lodash, 'ignored', '.trivyignore.yaml:3'],
      [libssl, 'ignored', '.trivyignore.yaml:6'],
      [libsslArm, 'ignored', '.trivyignore.yaml:6'],
    ],
  },
  {
    name: 'the same rules before CVE-2019-10744 expired',
    options: { ignoreRules: yamlRules, now: new Date('2025-06-29T23:59:59Z') },
    kept: [bash, musl],
    suppressed: [
      [lodash, 'ignored', '.trivyignore.yaml:3'],
      [libssl, 'ignored', '.trivyignore.yaml:6'],
      [libsslArm, 'ignored', '.trivyignore.yaml:6'],
      [lodashOld, 'ignored', '.trivyignore.yaml:13'],
    ],
  },
  {
    name: 'VEX is applied before the ignore file, and filters before both',
    options: {
      vexStatements: openvex,
      image,
      ignoreRules: parseIgnoreFile('CVE-2021-23337\nCVE-2024-9999\n', '.trivyignore'),
      ignoreUnfixed: true,
    },
    kept: [libsslArm, lodashOld],
    suppressed: [
      [lodash, 'not_affected', 'openvex.json statements[0]'],
      [libssl, 'fixed', 'openvex.json statements[1]'],
    ],
    filtered: { severity: 0, unfixed: 2 },
  },
  {
    name: 'plain ignore ids match aliases case-insensitively',
    options: { ignoreRules: parseIgnoreFile('ghsa-35JH-r3h4-6jhm\ndsa-5417-1\n', '.trivyignore') },
    kept: [bash, musl, lodashOld],
    suppressed: [
      [lodash, 'ignored', '.trivyignore:1'],
      [libssl, 'ignored', '.trivyignore:2'],
      [libsslArm, 'ignored', '.trivyignore:2'],
    ],
  },
];

describe('applyPolicy', () => {
  it.each(cases)('$name', ({ options, kept, suppressed = [], filtered = { severity: 0, unfixed: 0 } }) => {
    const result = applyPolicy(all, { now, ...options });
    expect(result.kept).toEqual(kept);
    expect(result.suppressed.map((s) => [s.finding, s.status, s.source])).toEqual(suppressed);
    expect(result.filtered).toEqual(filtered);
  });

  it('reports expired rules and says so in the notes', () => {
    const result = applyPolicy(all, { now, ignoreRules: yamlRules });
    expect(result.expiredRules.map((r) => r.id)).toEqual(['CVE-2019-10744']);
    expect(result.notes).toEqual([
      'ignore rule CVE-2019-10744 (.trivyignore.yaml:13) expired on 2025-06-30 and no longer suppresses anything',
    ]);
  });

  it('keeps the justification, detail and a readable reason with each suppression', () => {
    const [first] = applyPolicy([lodash], { now, vexStatements: openvex }).suppressed;
    expect(first).toEqual({
      finding: lodash,
      by: 'vex',
      status: 'not_affected',
      reason: 'not_affected: vulnerable_code_not_in_execute_path (openvex.json statements[0])',
      justification: 'vulnerable_code_not_in_execute_path',
      detail: 'template() is never called',
      source: 'openvex.json statements[0]',
    });
    const [ignored] = applyPolicy([libssl], { now, ignoreRules: yamlRules }).suppressed;
    expect(ignored?.reason).toBe('ignored: policy constraints are off in our build (.trivyignore.yaml:6)');
    expect(ignored?.by).toBe('ignore');
  });

  it('scales: 5,000 findings against 5,000 statements', () => {
    const findings = Array.from({ length: 5000 }, (_, i) => finding({ id: `CVE-2026-${i}`, aliases: [] }));
    const statements = Array.from({ length: 5000 }, (_, i) => ({
      ...openvex[0]!,
      vulnerability: [`CVE-2026-${i * 2}`],
    }));
    const result = applyPolicy(findings, { now, vexStatements: statements });
    expect(result.suppressed.length).toBe(2500);
    expect(result.kept.length).toBe(2500);
  });
});
