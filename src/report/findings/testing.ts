import { readFileSync } from 'node:fs';
import type { Finding } from '../../core/types.ts';
import { applyPolicy } from '../../policy/apply.ts';
import { parseIgnoreFile } from '../../policy/ignore-file.ts';
import { parseVex } from '../../policy/vex.ts';
import { parseInventoryJson } from '../json-format.ts';
import type { FindingsRenderOptions, ScanReport } from './types.ts';

/**
 * The scan report the golden files render: report/testdata/golden/inventory.json, the findings in
 * testdata/findings.json, run through the policy with testdata/openvex.json and
 * testdata/trivyignore.yaml at a pinned time (one ignore rule has expired by then).
 */
export function goldenReport(): ScanReport {
  const inventory = parseInventoryJson(
    readFileSync(new URL('../testdata/golden/inventory.json', import.meta.url), 'utf8'),
  );
  const findings = JSON.parse(readFileSync(new URL('./testdata/findings.json', import.meta.url), 'utf8')) as Finding[];
  const policy = applyPolicy(findings, {
    now: new Date('2026-11-22T10:30:00Z'),
    vexStatements: parseVex(readFileSync(new URL('./testdata/openvex.json', import.meta.url), 'utf8'), 'openvex.json'),
    ignoreRules: parseIgnoreFile(
      readFileSync(new URL('./testdata/trivyignore.yaml', import.meta.url), 'utf8'),
      '.trivyignore.yaml',
    ),
  });
  return {
    inventory,
    findings: policy.kept,
    suppressed: policy.suppressed,
    notes: ['1 OS package(s) not matched: their type does not fit Debian:12', ...policy.notes],
    db: {
      builtAt: '2026-11-22T06:00:00Z',
      sources: [
        { name: 'osv:Debian', records: 41210, updatedAt: '2026-11-22T06:00:00Z', stale: false },
        { name: 'kev', records: 1412, updatedAt: '2026-11-22T06:00:00Z', stale: false },
      ],
    },
  };
}

export const goldenOptions: FindingsRenderOptions = {
  now: new Date('2026-11-22T10:30:00.123Z'),
  uuid: () => '5b0f8c7e-2d4a-4f61-9c3b-7a1e0d9f8b26',
  toolVersion: '0.1.0',
};
