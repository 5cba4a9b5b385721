import { describe, expect, it } from 'vitest';
import type { CvssScore, Finding, Severity } from '../../core/types.ts';
import { finding } from '../../policy/testing.ts';
import type { Suppression } from '../../policy/types.ts';
import { cyclonedxFormat } from './cyclonedx-format.ts';
import { sarifFormat } from './sarif-format.ts';
import { tableFormat } from './table-format.ts';
import { goldenOptions, goldenReport } from './testing.ts';
import type { ScanReport } from './types.ts';

const base = goldenReport();
const report = (findings: Finding[], suppressed: Suppression[] = []): ScanReport => ({
  ...base,
  findings,
  suppressed,
  notes: [],
});
const cvss = (score: number, type = 'CVSS_V3', vector = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'): CvssScore => ({
  type,
  vector,
  score,
  severity: 'HIGH',
  source: 'nvd',
});

describe('sarif: level and security-severity per finding', () => {
  it.each<[Severity, CvssScore[], string, string]>([
    ['CRITICAL', [cvss(9.8)], 'error', '9.8'],
    ['HIGH', [cvss(7.5), cvss(8.1, 'CVSS_V4', 'CVSS:4.0/AV:N')], 'error', '8.1'],
    ['MEDIUM', [], 'warning', '5.5'],
    ['LOW', [], 'note', '2.0'],
    ['UNKNOWN', [], 'note', '0.0'],
    ['HIGH', [], 'error', '8.0'],
  ])('%s with %j: level %s, security-severity %s', (severity, scores, level, securitySeverity) => {
    const log = JSON.parse(sarifFormat.render(report([finding({ severity, cvss: scores })]), goldenOptions));
    expect(log.runs[0].results[0].level).toBe(level);
    expect(log.runs[0].tool.driver.rules[0].properties['security-severity']).toBe(securitySeverity);
  });

  it('one rule per id across packages, the worst severity speaking for it; locations are image paths', () => {
    const other = finding({
      severity: 'LOW',
      package: {
        name: 'lodash',
        version: '4.17.4',
        purl: 'pkg:npm/lodash@4.17.4',
        locations: ['/srv/app/node_modules/lodash/package.json'],
      },
    });
    const log = JSON.parse(sarifFormat.render(report([other, finding()]), goldenOptions));
    const run = log.runs[0];
    expect(run.tool.driver.rules).toHaveLength(1);
    expect(run.tool.driver.rules[0].defaultConfiguration.level).toBe('error');
    expect(run.results.map((r: { level: string }) => r.level)).toEqual(['error', 'note']);
    expect(run.results[1].locations[0].physicalLocation.artifactLocation).toEqual({
      uri: 'srv/app/node_modules/lodash/package.json',
      uriBaseId: 'ROOTPATH',
    });
    expect(run.results[0].partialFingerprints['vigilFinding/v1']).not.toBe(
      run.results[1].partialFingerprints['vigilFinding/v1'],
    );
  });

  it('a package without locations is located at the image; suppressed findings carry an accepted suppression', () => {
    const lone = finding({ package: { locations: [] } });
    const suppression: Suppression = {
      finding: lone,
      by: 'vex',
      status: 'fixed',
      reason: 'fixed (v.json statements[0])',
      source: 'v.json statements[0]',
    };
    const log = JSON.parse(sarifFormat.render(report([], [suppression]), goldenOptions));
    const [result] = log.runs[0].results;
    expect(result.locations[0].physicalLocation.artifactLocation.uri).toBe(
      'registry.example.com%3A5000/team/app%3A1.4.2',
    );
    expect(result.suppressions).toEqual([
      { kind: 'external', status: 'accepted', justification: 'fixed (v.json statements[0])' },
    ]);
  });
});

describe('cyclonedx: analysis of suppressed findings', () => {
  const suppressed = (fields: Partial<Suppression>): Suppression => ({
    finding: finding({
      package: base.inventory.packages[3] && { ...base.inventory.packages[3], ecosystem: 'Debian:12' },
    }),
    by: 'vex',
    status: 'not_affected',
    reason: 'r',
    source: 'vex.json statements[0]',
    ...fields,
  });
  it.each<[string, Partial<Suppression>, Record<string, unknown>]>([
    [
      'OpenVEX not_affected, justification mapped',
      { justification: 'vulnerable_code_not_present', detail: 'no parser' },
      {
        state: 'not_affected',
        justification: 'code_not_present',
        detail: 'not_affected (vulnerable_code_not_present): no parser (vex.json statements[0])',
      },
    ],
    [
      'OpenVEX inline mitigations',
      { justification: 'inline_mitigations_already_exist' },
      {
        state: 'not_affected',
        justification: 'protected_by_mitigating_control',
        detail: 'not_affected (inline_mitigations_already_exist): (vex.json statements[0])',
      },
    ],
    [
      'CycloneDX false_positive kept as such',
      { cyclonedxState: 'false_positive' },
      { state: 'false_positive', detail: 'not_affected: (vex.json statements[0])' },
    ],
    [
      'CycloneDX justification passed through',
      { justification: 'requires_configuration', cyclonedxState: 'not_affected' },
      {
        state: 'not_affected',
        justification: 'requires_configuration',
        detail: 'not_affected (requires_configuration): (vex.json statements[0])',
      },
    ],
    ['VEX fixed is resolved', { status: 'fixed' }, { state: 'resolved', detail: 'fixed: (vex.json statements[0])' }],
    [
      'an ignore rule is an accepted risk',
      { by: 'ignore', status: 'ignored', detail: 'HTTP/1.1 only', source: '.trivyignore:3' },
      { state: 'exploitable', response: ['will_not_fix'], detail: 'accepted risk: HTTP/1.1 only (.trivyignore:3)' },
    ],
  ])('%s', (_name, fields, analysis) => {
    const bom = JSON.parse(cyclonedxFormat.render(report([], [suppressed(fields)]), goldenOptions));
    expect(bom.vulnerabilities[0].analysis).toEqual(analysis);
    expect(bom.vulnerabilities[0].affects[0].ref).toBe(base.inventory.packages[3]!.purl);
  });

  it.each([
    ['CVSS_V3', 'CVSS:3.0/AV:N', 'CVSSv3'],
    ['CVSS_V3', 'CVSS:3.1/AV:N', 'CVSSv31'],
    ['CVSS_V2', 'AV:N/AC:L', 'CVSSv2'],
    ['CVSS_V4', 'CVSS:4.0/AV:N', 'CVSSv4'],
    ['SSVC', 'x', 'other'],
  ])('rating method for %s %s is %s', (type, vector, method) => {
    const bom = JSON.parse(cyclonedxFormat.render(report([finding({ cvss: [cvss(7, type, vector)] })]), goldenOptions));
    expect(bom.vulnerabilities[0].ratings[0].method).toBe(method);
  });

  it('one vulnerability per id, affecting every package it was found in; no affects for packages outside the inventory', () => {
    const [libssl, libc] = [base.inventory.packages[3]!, base.inventory.packages[2]!];
    const onLibssl = finding({ id: 'CVE-1', package: { ...libssl, ecosystem: 'Debian:12' } });
    const onLibc = finding({ id: 'CVE-1', package: { ...libc, ecosystem: 'Debian:12' } });
    const elsewhere = finding({ id: 'CVE-2', package: { purl: 'pkg:npm/not-in-inventory@1' } });
    const bom = JSON.parse(cyclonedxFormat.render(report([onLibssl, onLibc, elsewhere]), goldenOptions));
    expect(bom.vulnerabilities.map((v: { id: string }) => v.id)).toEqual(['CVE-1', 'CVE-2']);
    expect(bom.vulnerabilities[0].affects.map((a: { ref: string }) => a.ref)).toEqual([libc.purl, libssl.purl]);
    expect(bom.vulnerabilities[1].affects).toEqual([]);
  });
});

describe('table', () => {
  const lodash = finding();
  const lodashCritical = finding({ id: 'CVE-2019-10744', severity: 'CRITICAL' });
  const minimist = finding({
    id: 'CVE-2021-44906',
    severity: 'MEDIUM',
    package: { name: 'minimist', version: '1.2.5', purl: 'pkg:npm/minimist@1.2.5' },
  });
  // the finding rows: from the header line to the first blank line
  const rows = (text: string) => {
    const lines = text.split('\n');
    const start = lines.findIndex((line) => line.startsWith('PACKAGE'));
    const end = lines.indexOf('', start);
    return lines.slice(start + 1, end);
  };

  it('by package: each package named once, its findings most severe first', () => {
    const out = tableFormat.render(report([minimist, lodash, lodashCritical]), goldenOptions);
    expect(rows(out).map((line) => line.split(/\s{2,}/).slice(0, 3))).toEqual([
      ['lodash', 'CVE-2019-10744', 'CRITICAL'],
      ['', 'CVE-2021-23337', 'HIGH'],
      ['minimist', 'CVE-2021-44906', 'MEDIUM'],
    ]);
  });

  it('a package installed at several paths says where, so its rows do not read as repeats', () => {
    const other = finding({ package: { locations: ['srv/other/node_modules/lodash/package.json'] } });
    const out = tableFormat.render(report([lodash, other, minimist]), goldenOptions);
    expect(rows(out).map((line) => line.split(/\s{2,}/).slice(0, 2))).toEqual([
      ['lodash (app/node_modules/lodash/package.json)', 'CVE-2021-23337'],
      ['lodash (srv/other/node_modules/lodash/package.json)', 'CVE-2021-23337'],
      ['minimist', 'CVE-2021-44906'],
    ]);
  });

  it('by severity: most severe first, every row names its package', () => {
    const out = tableFormat.render(report([minimist, lodash, lodashCritical]), { ...goldenOptions, order: 'severity' });
    expect(rows(out).map((line) => line.split(/\s+/).slice(0, 2))).toEqual([
      ['lodash', 'CVE-2019-10744'],
      ['lodash', 'CVE-2021-23337'],
      ['minimist', 'CVE-2021-44906'],
    ]);
  });

  it('says so when nothing was found', () => {
    const out = tableFormat.render(report([]), goldenOptions);
    expect(out).toContain('Total: 0 (CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, UNKNOWN: 0)\n');
    expect(out).toContain('No vulnerabilities found.');
    expect(out).not.toContain('Suppressed:');
  });

  it.each<[number | undefined, string[]]>([
    [undefined, ['PACKAGE', 'VULNERABILITY', 'SEVERITY', 'STATUS', 'INSTALLED', 'FIXED IN', 'TITLE']],
    [120, ['PACKAGE', 'VULNERABILITY', 'SEVERITY', 'STATUS', 'INSTALLED', 'FIXED IN', 'TITLE']],
    [60, ['PACKAGE', 'VULNERABILITY', 'SEVERITY', 'INSTALLED', 'FIXED IN']],
    [50, ['PACKAGE', 'VULNERABILITY', 'SEVERITY', 'INSTALLED']],
    [44, ['PACKAGE', 'VULNERABILITY', 'SEVERITY', 'INSTALLED']],
    [43, ['PACKAGE', 'VULNERABILITY', 'SEVERITY', 'INSTALLED']],
  ])('at width %s the columns are %j, and ids are cut only when nothing else fits', (width, columns) => {
    const long = finding({
      id: 'CVE-2019-10744',
      summary: 'x'.repeat(200),
      package: { version: '4.17.20-very-long-version-string' },
    });
    const out = tableFormat.render(report([long]), { ...goldenOptions, ...(width ? { width } : {}) });
    const lines = out.split('\n');
    expect(lines.find((line) => line.startsWith('PACKAGE'))?.split(/\s{2,}/)).toEqual(columns);
    expect(out.includes('CVE-2019-10744')).toBe(width !== 43);
    if (width !== undefined) for (const line of lines) expect(Array.from(line).length).toBeLessThanOrEqual(width);
  });

  it('escapes control characters from advisory text', () => {
    const hostile = finding({ summary: 'evil\u001b[2J\u0007title' });
    expect(tableFormat.render(report([hostile]), goldenOptions)).toContain('evil\\x1b[2J\\x07title');
  });
});
