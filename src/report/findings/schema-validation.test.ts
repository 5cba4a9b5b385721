import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import ajvFormats from 'ajv-formats';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Finding, severities } from '../../core/types.ts';
import type { Suppression } from '../../policy/types.ts';
import { cyclonedxFormat } from './cyclonedx-format.ts';
import { jsonFormat } from './json-format.ts';
import { sarifFormat } from './sarif-format.ts';
import { tableFormat } from './table-format.ts';
import { goldenOptions, goldenReport } from './testing.ts';
import type { ScanReport } from './types.ts';

// SARIF 2.1.0 is a draft-04 schema; see testdata/schema/PROVENANCE.md for why it is compiled as draft-07.
const {
  id,
  $schema: _draft04,
  ...sarifSchema
} = JSON.parse(readFileSync(new URL('./testdata/schema/sarif-schema-2.1.0.json', import.meta.url), 'utf8'));
const sarifAjv = new Ajv({ strict: false, allErrors: true });
ajvFormats.default(sarifAjv);
const validateSarif = sarifAjv.compile({ ...sarifSchema, $id: id });

const cdxDir = new URL('../testdata/schema/', import.meta.url);
const loadCdx = (name: string) => JSON.parse(readFileSync(new URL(name, cdxDir), 'utf8'));
const cdxAjv = new Ajv({ strict: false, allErrors: true });
ajvFormats.default(cdxAjv);
cdxAjv.addSchema({
  ...loadCdx('spdx.SNAPSHOT.schema.json'),
  $id: 'http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json',
});
cdxAjv.addSchema({
  ...loadCdx('jsf-0.82.SNAPSHOT.schema.json'),
  $id: 'http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json',
});
const validateCyclonedx = cdxAjv.compile(loadCdx('bom-1.6.SNAPSHOT.schema.json'));

const golden = goldenReport();

function checkSarif(report: ScanReport): void {
  const log = JSON.parse(sarifFormat.render(report, goldenOptions));
  expect(validateSarif(log), JSON.stringify(validateSarif.errors?.slice(0, 3))).toBe(true);
  const rules: Array<{ id: string; properties: Record<string, string> }> = log.runs[0].tool.driver.rules;
  const results: Array<{ ruleId: string; ruleIndex: number }> = log.runs[0].results;
  expect(new Set(rules.map((r) => r.id)).size).toBe(rules.length);
  expect(results).toHaveLength(report.findings.length + report.suppressed.length);
  for (const result of results) expect(rules[result.ruleIndex]?.id).toBe(result.ruleId);
  // GitHub reads security-severity as a number in [0, 10]
  for (const rule of rules) expect(Number(rule.properties['security-severity'])).toBeGreaterThanOrEqual(0);
}

function checkCyclonedx(report: ScanReport): void {
  const bom = JSON.parse(cyclonedxFormat.render(report, goldenOptions));
  expect(validateCyclonedx(bom), JSON.stringify(validateCyclonedx.errors?.slice(0, 3))).toBe(true);
  const refs = new Set(bom.components.map((c: { 'bom-ref': string }) => c['bom-ref']));
  for (const vulnerability of bom.vulnerabilities) {
    for (const affect of vulnerability.affects) expect(refs).toContain(affect.ref);
  }
}

describe('golden scan report', () => {
  it('renders schema-valid SARIF 2.1.0', () => checkSarif(golden));
  it('renders schema-valid CycloneDX 1.6 with vulnerabilities', () => checkCyclonedx(golden));
});

describe('the validators are not vacuous', () => {
  const sarif = () => JSON.parse(sarifFormat.render(golden, goldenOptions));
  const bom = () => JSON.parse(cyclonedxFormat.render(golden, goldenOptions));
  it.each([
    ['SARIF with version 2.0.0', () => validateSarif({ ...sarif(), version: '2.0.0' })],
    [
      'SARIF with a result level "critical"',
      () => {
        const log = sarif();
        log.runs[0].results[0].level = 'critical';
        return validateSarif(log);
      },
    ],
    [
      'SARIF with region.startLine 0',
      () => {
        const log = sarif();
        log.runs[0].results[0].locations[0].physicalLocation.region.startLine = 0;
        return validateSarif(log);
      },
    ],
    [
      'CycloneDX with rating severity "severe"',
      () => {
        const doc = bom();
        doc.vulnerabilities[0].ratings[0].severity = 'severe';
        return validateCyclonedx(doc);
      },
    ],
    [
      'CycloneDX with analysis state "ignored"',
      () => {
        const doc = bom();
        doc.vulnerabilities.at(-1).analysis.state = 'ignored';
        return validateCyclonedx(doc);
      },
    ],
  ])('rejects %s', (_name, validate) => {
    expect(validate()).toBe(false);
  });
});

// Text from advisories and images: control characters, markdown, unicode, empty strings.
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 16 }),
  fc.constantFrom('', ' ', '|a|', '[x](y)', '\u001b[31mred', '日本語', 'a\nb', 'CVE-2024-1'),
);
const severity = fc.constantFrom(...severities);
const inventory = golden.inventory;
const finding: fc.Arbitrary<Finding> = fc.record({
  id: fc.oneof(
    fc.constantFrom('CVE-2024-1', 'GHSA-aaaa-bbbb-cccc', 'DSA-1-1'),
    text.filter((s) => s !== ''),
  ),
  aliases: fc.array(fc.oneof(text, fc.constantFrom('CVE-2024-1')), { maxLength: 2 }),
  sources: fc.array(text, { maxLength: 1 }),
  package: fc.oneof(
    fc.constantFrom(...inventory.packages).map((pkg) => ({ ...pkg, ecosystem: pkg.ecosystem ?? 'Debian:12' })),
    fc.record({
      name: text,
      version: text,
      type: text,
      ecosystem: text,
      purl: text,
      locations: fc.array(text, { maxLength: 2 }),
    }),
  ),
  fixedVersions: fc.array(text, { maxLength: 2 }),
  fixState: fc.constantFrom('fixed', 'not-fixed', 'wont-fix'),
  severity,
  cvss: fc.array(
    fc.record({
      type: fc.constantFrom('CVSS_V2', 'CVSS_V3', 'CVSS_V4', 'other'),
      vector: text,
      score: fc.double({ min: 0, max: 10, noNaN: true }),
      severity,
      source: text,
    }),
    { maxLength: 2 },
  ),
  summary: fc.option(text, { nil: undefined }),
  published: fc.option(fc.oneof(text, fc.constant('2024-01-02T03:04:05Z')), { nil: undefined }),
  urls: fc.array(fc.oneof(text, fc.constant('https://example.com/a b')), { maxLength: 2 }),
  kev: fc.option(fc.record({ dateAdded: text }), { nil: undefined }),
}) as fc.Arbitrary<Finding>;
const suppression: fc.Arbitrary<Suppression> = fc.record({
  finding,
  by: fc.constantFrom('vex', 'ignore'),
  reason: text,
  status: fc.constantFrom('not_affected', 'fixed', 'ignored'),
  justification: fc.option(fc.constantFrom('component_not_present', 'code_not_reachable', 'made up'), {
    nil: undefined,
  }),
  source: text,
}) as fc.Arbitrary<Suppression>;
const report: fc.Arbitrary<ScanReport> = fc.record({
  inventory: fc.constant(inventory),
  findings: fc.array(finding, { maxLength: 6 }),
  suppressed: fc.array(suppression, { maxLength: 3 }),
  notes: fc.array(text, { maxLength: 2 }),
  db: fc.record({ sources: fc.constant([]) }),
});

describe('generated scan reports', () => {
  it('SARIF is always schema-valid with one rule per id', () => {
    fc.assert(fc.property(report, checkSarif), { numRuns: 200 });
  });

  it('CycloneDX is always schema-valid and affects only known components', () => {
    fc.assert(fc.property(report, checkCyclonedx), { numRuns: 200 });
  });

  it('json always parses back with the counts it claims', () => {
    fc.assert(
      fc.property(report, (r) => {
        const doc = JSON.parse(jsonFormat.render(r, goldenOptions));
        expect(doc.summary.findings).toBe(r.findings.length);
        expect(doc.findings).toHaveLength(r.findings.length);
        expect(doc.suppressed).toHaveLength(r.suppressed.length);
      }),
      { numRuns: 200 },
    );
  });

  it('the plain table never emits control characters and every line fits the width', () => {
    fc.assert(
      fc.property(report, fc.integer({ min: 60, max: 200 }), (r, width) => {
        const out = tableFormat.render(r, { ...goldenOptions, width });
        expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
        for (const line of out.split('\n')) expect(Array.from(line).length, line).toBeLessThanOrEqual(width);
      }),
      { numRuns: 200 },
    );
  });
});
