/**
 * Correctness bar of issue 4: a Node app whose node_modules hold old lodash, minimist, express,
 * jsonwebtoken, axios and node-fetch. Every non-withdrawn GHSA record of the npm mirror
 * (src/match/testdata/npm: all 62 records of ../shared/vulndata/osv/npm/all.zip, see PROVENANCE.md
 * there) whose ranges include an installed version is reported, and none other. The expectation is
 * computed apart from the matcher: node-semver's `satisfies` over a range string built per affected
 * entry (introduced → ">=", fixed → "<", last_affected → "<=").
 */
import { join } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import type { OsvRecord } from '../src/core/osv.ts';
import type { Package } from '../src/core/types.ts';
import { matchInventory } from '../src/match/index.ts';
import { InMemoryVulnDb, inventoryOf, readRecords } from '../src/match/testing.ts';

const records = readRecords(join(import.meta.dirname, '../src/match/testdata/npm'));
const db = new InMemoryVulnDb(records);

/** installed versions per package: below, at and above the advisories' bounds, prereleases too */
const installed: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['lodash', ['4.17.4', '4.17.5', '4.17.11', '4.17.15', '4.17.20', '4.17.21']],
  ['minimist', ['0.0.8', '0.2.1', '1.1.3', '1.2.0', '1.2.3', '1.2.5', '1.2.6']],
  ['express', ['3.4.4', '3.4.5', '4.5.0', '4.16.0', '4.19.2', '4.20.0', '5.0.0-alpha.8', '5.0.0-beta.3', '5.0.0']],
  ['jsonwebtoken', ['4.2.1', '4.2.2', '8.5.1', '9.0.0']],
  ['axios', ['0.18.0', '0.18.1', '0.21.1', '0.21.2', '1.3.2', '1.6.0', '1.7.3', '1.7.4']],
  ['node-fetch', ['1.7.3', '2.6.0', '2.6.1', '2.6.7', '3.0.0-beta.5', '3.0.0-beta.9', '3.1.0', '3.2.10']],
];

function pkg(name: string, version: string, i: number): Package {
  return {
    type: 'npm',
    ecosystem: 'npm',
    name,
    version,
    purl: `pkg:npm/${name}@${version}`,
    locations: [`app/node_modules/${i}/${name}/package.json`],
    layerDiffId: 'sha256:layer2',
    layerIndex: 2,
  };
}

const packages = installed.flatMap(([name, versions]) => versions.map((v, i) => pkg(name, v, i)));

/** node-semver range for one affected entry, built from its events in record order */
function semverRange(events: readonly Record<string, string>[]): string {
  const parts: string[] = [];
  let lower: string | undefined;
  for (const e of events) {
    if (e.introduced !== undefined) lower = e.introduced === '0' ? '>=0.0.0-0' : `>=${e.introduced}`;
    else if (e.fixed !== undefined) {
      parts.push(`${lower} <${e.fixed}`);
      lower = undefined;
    } else if (e.last_affected !== undefined) {
      parts.push(`${lower} <=${e.last_affected}`);
      lower = undefined;
    }
  }
  if (lower !== undefined) parts.push(lower);
  return parts.join(' || ');
}

function expectedFor(name: string, version: string): string[] {
  const ids: string[] = [];
  for (const record of records as OsvRecord[]) {
    if (record.withdrawn !== undefined) continue;
    const hit = (record.affected ?? []).some(
      (a) =>
        a.package?.ecosystem === 'npm' &&
        a.package.name.toLowerCase() === name &&
        (a.ranges ?? []).some((r) =>
          semver.satisfies(version, semverRange(r.events as Record<string, string>[]), { includePrerelease: true }),
        ),
    );
    if (hit) ids.push(record.aliases?.find((a) => a.startsWith('CVE-')) ?? record.id);
  }
  return ids.sort();
}

const result = matchInventory(inventoryOf(packages), db);

describe('npm correctness bar', () => {
  const rows = installed.flatMap(([name, versions]) => versions.map((v) => [name, v] as const));
  it.each(rows)('%s@%s: exactly the advisories whose ranges include it', (name, version) => {
    const found = result.findings
      .filter((f) => f.package.name === name && f.package.version === version)
      .map((f) => f.id)
      .sort();
    expect(found).toEqual(expectedFor(name, version));
  });

  it('the table is not vacuous: most rows have findings, some have none', () => {
    const withFindings = rows.filter(([n, v]) => expectedFor(n, v).length > 0).length;
    expect(withFindings).toBeGreaterThan(rows.length / 2);
    expect(withFindings).toBeLessThan(rows.length);
  });

  it('matches "Axios" (GHSA-8hc4-vh64-cxmj spells it with a capital) against axios', () => {
    const axios = result.findings.find((f) => f.package.name === 'axios' && f.package.version === '1.6.0');
    expect(
      result.findings.filter((f) => f.sources.includes('GHSA-8hc4-vh64-cxmj')).map((f) => f.package.version),
    ).toEqual(['1.3.2', '1.6.0', '1.7.3']);
    expect(axios).toBeDefined();
  });

  it.each(['GHSA-7fhm-mqm4-2wp7', 'GHSA-pgv6-jrvv-75jp'])('withdrawn %s never matches', (id) => {
    expect(result.findings.filter((f) => f.sources.includes(id))).toEqual([]);
    const withSend = matchInventory(inventoryOf([pkg('send', '0.8.0', 0), pkg('acorn', '5.0.0', 0)]), db);
    expect(withSend.findings.filter((f) => f.sources.includes(id))).toEqual([]);
  });

  it.each([
    ['lodash', '4.17.20', 'CVE-2021-23337', ['4.17.21'], 'HIGH', 'HIGH'],
    ['minimist', '1.2.5', 'CVE-2021-44906', ['1.2.6'], 'CRITICAL', 'CRITICAL'],
    ['express', '5.0.0-beta.3', 'CVE-2024-43796', ['5.0.0'], 'MEDIUM', 'MODERATE'],
    // the record's CVSS v3.1 (4.7) wins over GHSA's own rating, which stays in ecosystemSeverity
    ['express', '4.20.0', 'CVE-2024-9266', [], 'MEDIUM', 'LOW'],
    // GHSA-r683-j2x4-v87g has two overlapping ranges, [0, 2.6.7) and [1.0, 3.1.1): both contain 2.6.0
    ['node-fetch', '2.6.0', 'CVE-2022-0235', ['2.6.7', '3.1.1'], 'HIGH', 'HIGH'],
    ['node-fetch', '3.1.0', 'CVE-2022-0235', ['3.1.1'], 'HIGH', 'HIGH'],
  ] as const)('%s@%s: %s fixed in %j, severity %s (GHSA: %s)', (name, version, id, fixed, severity, ghsa) => {
    const f = result.findings.find((x) => x.package.name === name && x.package.version === version && x.id === id);
    expect(f?.fixedVersions).toEqual(fixed);
    expect(f?.fixState).toBe(fixed.length > 0 ? 'fixed' : 'not-fixed');
    expect(f?.severity).toBe(severity);
    expect(f?.ecosystemSeverity).toBe(ghsa);
    expect(f?.package).toMatchObject({ ecosystem: 'npm', layerDiffId: 'sha256:layer2', layerIndex: 2 });
    expect(f?.urls.length).toBeGreaterThan(0);
  });
});
