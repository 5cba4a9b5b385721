/**
 * `vigil scan` end to end: a database imported with `vigil db import` from a mirror of real GHSA
 * records, an image with a Node app built from tar layers (an upper layer deletes one package),
 * then the CLI's findings, policy flags, output formats, SBOM input and exit codes.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OsvRecord } from '../src/core/osv.ts';
import { writeMirrorZip } from '../src/vulndb/testing.ts';
import { type BuiltImage, buildImage } from './support/build-image.ts';

const BIN = new URL('../src/cli/bin.ts', import.meta.url).pathname;
// real GHSA records (see src/match/testdata/PROVENANCE.md)
const NPM_RECORDS = new URL('../src/match/testdata/npm/', import.meta.url);

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function vigil(args: readonly string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? Number((err as { code?: unknown }).code ?? 1) : 0;
      resolve({ code: Number.isInteger(code) ? code : 1, stdout, stderr });
    });
  });
}

const packageJson = (name: string, version: string) => JSON.stringify({ name, version, license: 'MIT' });

let work: string;
let db: string;
let image: BuiltImage;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vigil-scan-cli-'));
  const records: OsvRecord[] = [];
  for (const file of await readdir(NPM_RECORDS)) {
    if (file.endsWith('.json')) records.push(JSON.parse(await readFile(new URL(file, NPM_RECORDS), 'utf8')));
  }
  await writeMirrorZip(join(work, 'mirror'), 'npm', records);
  db = join(work, 'vuln.db');
  const imported = await vigil(['db', 'import', join(work, 'mirror'), '--db', db, '-q']);
  expect(imported.code, imported.stderr).toBe(0);

  image = await buildImage(
    {
      layers: [
        { files: { 'etc/os-release': 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n' } },
        {
          files: {
            'srv/app/package.json': JSON.stringify({ name: 'shop', version: '2.0.0', dependencies: { lodash: '^4' } }),
            'srv/app/node_modules/lodash/package.json': packageJson('lodash', '4.17.15'),
            'srv/app/node_modules/minimist/package.json': packageJson('minimist', '1.2.0'),
          },
          createdBy: 'COPY app /srv/app',
        },
        { whiteouts: ['srv/app/node_modules/minimist'], createdBy: 'RUN npm prune' },
      ],
    },
    join(work, 'layout'),
  );
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

interface JsonFinding {
  id: string;
  severity: string;
  package: { name: string; version: string; layerIndex?: number };
  fixedVersions: string[];
}

async function scanJson(...extra: string[]): Promise<{ result: CliResult; findings: JsonFinding[]; report: unknown }> {
  const result = await vigil(['scan', `oci:${image.layoutDir}`, '--db', db, '--no-cache', '-f', 'json', ...extra]);
  const report = result.stdout ? (JSON.parse(result.stdout) as { findings: JsonFinding[] }) : undefined;
  return { result, findings: report?.findings ?? [], report };
}

const ids = (findings: readonly JsonFinding[]) => findings.map((f) => `${f.package.name} ${f.id}`).sort();

// lodash 4.17.15 is affected by these three (fixed in 4.17.20/4.17.21); minimist was deleted by layer 2
const LODASH = ['lodash CVE-2020-28500', 'lodash CVE-2020-8203', 'lodash CVE-2021-23337'];

describe('vigil scan', () => {
  it('reports the vulnerabilities of the packages left in the image, with their layer', async () => {
    const { result, findings } = await scanJson();
    expect(result.code, result.stderr).toBe(0);
    expect(ids(findings)).toEqual(LODASH);
    for (const finding of findings) {
      expect(finding.package.layerIndex).toBe(1);
      expect(finding.fixedVersions.length).toBeGreaterThan(0);
    }
  });

  it.each([
    ['CRITICAL', 0],
    ['HIGH', 1],
    ['LOW', 1],
  ])('--fail-on %s exits %i', async (threshold, code) => {
    const { result } = await scanJson('--fail-on', threshold);
    expect(result.code).toBe(code);
  });

  it('--severity keeps only the listed severities', async () => {
    const { findings } = await scanJson('--severity', 'MEDIUM');
    expect(ids(findings)).toEqual(['lodash CVE-2020-28500']);
  });

  it('an ignore file and an OpenVEX statement suppress findings, and the report says why', async () => {
    const ignore = join(work, '.trivyignore');
    await writeFile(ignore, '# accepted until the upgrade\nCVE-2020-8203 exp:2999-01-01\n');
    const vex = join(work, 'vex.json');
    await writeFile(
      vex,
      JSON.stringify({
        '@context': 'https://openvex.dev/ns/v0.2.0',
        '@id': 'https://example.com/vex/1',
        author: 'security@example.com',
        timestamp: '2026-11-01T00:00:00Z',
        version: 1,
        statements: [
          {
            vulnerability: { name: 'CVE-2021-23337' },
            products: [{ '@id': 'pkg:npm/lodash' }],
            status: 'not_affected',
            justification: 'vulnerable_code_not_in_execute_path',
          },
        ],
      }),
    );
    const { result, findings, report } = await scanJson('--ignore-file', ignore, '--vex', vex);
    expect(result.code, result.stderr).toBe(0);
    expect(ids(findings)).toEqual(['lodash CVE-2020-28500']);
    expect(JSON.stringify(report)).toContain('vulnerable_code_not_in_execute_path');
  });

  it('scans an SBOM written by vigil sbom with the same result', async () => {
    const sbom = join(work, 'app.cdx.json');
    const written = await vigil(['sbom', `oci:${image.layoutDir}`, '-f', 'cyclonedx', '-o', sbom, '--no-cache']);
    expect(written.code, written.stderr).toBe(0);
    const result = await vigil(['scan', `sbom:${sbom}`, '--db', db, '-f', 'json']);
    expect(result.code, result.stderr).toBe(0);
    expect(ids(JSON.parse(result.stdout).findings)).toEqual(LODASH);
  });

  it.each([
    ['sarif', (text: string) => JSON.parse(text).runs[0].results.length],
    ['cyclonedx', (text: string) => JSON.parse(text).vulnerabilities.length],
    ['table', (text: string) => text.split('\n').filter((line) => /CVE-\d+-\d+/.test(line)).length],
  ])('writes %s', async (format, count) => {
    const result = await vigil(['scan', `oci:${image.layoutDir}`, '--db', db, '--no-cache', '-f', format]);
    expect(result.code, result.stderr).toBe(0);
    expect(count(result.stdout)).toBe(LODASH.length);
  });

  it('warns on stderr when the data is older than --stale-after', async () => {
    const { result } = await scanJson('--stale-after', '0s');
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('stale');
  });

  it.each([
    ['no database yet', ['--db', '/nonexistent/vigil.db'], 5, 'vigil db update'],
    ['a registry reference under --offline', ['--offline', 'REGISTRY'], 2, '--offline'],
    ['an unknown severity', ['--fail-on', 'SEVERE'], 2, 'SEVERE'],
    ['a missing VEX file', ['--vex', '/nonexistent/vex.json'], 2, 'vex.json'],
    ['a missing SBOM', ['SBOM'], 3, 'nothing.json'],
  ])('exits with a documented code and one line for %s', async (_label, extra, code, text) => {
    const target = extra.includes('REGISTRY')
      ? '127.0.0.1:5999/team/app:1'
      : extra.includes('SBOM')
        ? 'sbom:/nonexistent/nothing.json'
        : `oci:${image.layoutDir}`;
    const flags = extra.filter((a) => a !== 'REGISTRY' && a !== 'SBOM');
    const result = await vigil(['scan', target, '--db', db, '--no-cache', ...flags]);
    expect(result.code).toBe(code);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(text);
  });
});
