import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findingsFormats } from './index.ts';
import { goldenOptions, goldenReport } from './testing.ts';
import type { FindingsRenderOptions } from './types.ts';

// Rendering the golden scan report must reproduce the reviewed files byte for byte.
// UPDATE_GOLDEN=1 npx vitest run src/report/findings rewrites them; review the diff before committing.
const golden = new URL('./testdata/golden/', import.meta.url);
const report = goldenReport();

const cases: Array<{ file: string; format: string; extra?: Partial<FindingsRenderOptions> }> = [
  ...findingsFormats.map((format) => ({ file: `scan${format.fileExtension}`, format: format.id })),
  { file: 'scan.by-severity.txt', format: 'table', extra: { order: 'severity' } },
  { file: 'scan.color.txt', format: 'table', extra: { color: true } },
  { file: 'scan.width80.txt', format: 'table', extra: { width: 80 } },
];

describe('golden renderings of the golden scan report', () => {
  it('the report is what the golden files were reviewed against', () => {
    expect(report.findings.map((f) => f.id)).toEqual([
      'CVE-2024-5535',
      'CVE-2025-4802',
      'CVE-2022-3715',
      'CVE-2023-44487',
      'CVE-2025-26519',
    ]);
    expect(report.suppressed.map((s) => [s.finding.id, s.by])).toEqual([
      ['CVE-2023-0464', 'vex'],
      ['CVE-2024-27983', 'ignore'],
    ]);
  });

  it.each(cases)('$file', ({ file, format, extra }) => {
    const rendered = findingsFormats.find((f) => f.id === format)!.render(report, { ...goldenOptions, ...extra });
    const path = new URL(file, golden);
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(path, rendered);
    expect(rendered).toBe(readFileSync(path, 'utf8'));
  });
});
