import type { VulnSourceStatus } from '../../core/osv.ts';
import type { Distro, Finding, Inventory, Platform, Severity } from '../../core/types.ts';
import type { Suppression } from '../../policy/types.ts';
import { documentTimestamp } from '../unique-ids.ts';
import { compareFindings, severityCounts } from './report-facts.ts';
import type { FindingsFormat, FindingsRenderOptions, ScanReport } from './types.ts';

/**
 * The scan result for machines: `application/vnd.vigil.scan+json;version=1`, documented in
 * README.md beside this file. Findings and suppressions keep core/types.ts `Finding` as is;
 * everything is sorted (most severe first, then package, version, id), so two scans of the same
 * image against the same data give the same bytes except `createdAt`. A field is only ever added
 * within a schemaVersion; renaming or removing one means schemaVersion 2.
 */
export const jsonFormat = {
  id: 'json',
  mediaType: 'application/vnd.vigil.scan+json;version=1',
  fileExtension: '.json',
  render(report: ScanReport, options: FindingsRenderOptions): string {
    return `${JSON.stringify(scanJson(report, options), null, 2)}\n`;
  },
} as const satisfies FindingsFormat;

export interface ScanJson {
  readonly schemaVersion: 1;
  readonly createdAt: string;
  readonly tool: { readonly name: 'vigil'; readonly version: string };
  readonly artifact: {
    readonly ref: string;
    readonly transport: Inventory['image']['transport'];
    readonly manifestDigest: string;
    readonly configDigest: string;
    readonly platform: Platform;
    readonly repoTags?: readonly string[];
  };
  readonly distro?: Distro;
  readonly db: { readonly builtAt?: string; readonly sources: readonly VulnSourceStatus[] };
  readonly summary: {
    readonly packages: number;
    readonly findings: number;
    readonly bySeverity: Readonly<Record<Severity, number>>;
    readonly suppressed: number;
  };
  readonly findings: readonly Finding[];
  readonly suppressed: ReadonlyArray<Omit<Suppression, 'finding'> & { readonly finding: Finding }>;
  readonly notes: readonly string[];
}

export function scanJson(report: ScanReport, options: FindingsRenderOptions): ScanJson {
  const { image, distro, packages } = report.inventory;
  const findings = [...report.findings].sort(compareFindings);
  const suppressed = [...report.suppressed].sort((a, b) => compareFindings(a.finding, b.finding));
  return {
    schemaVersion: 1,
    createdAt: documentTimestamp(options.now),
    tool: { name: 'vigil', version: options.toolVersion },
    artifact: {
      ref: image.ref,
      transport: image.transport,
      manifestDigest: image.manifestDigest,
      configDigest: image.configDigest,
      platform: image.platform,
      ...(image.repoTags && image.repoTags.length > 0 ? { repoTags: image.repoTags } : {}),
    },
    ...(distro ? { distro } : {}),
    db: { ...(report.db.builtAt ? { builtAt: report.db.builtAt } : {}), sources: report.db.sources },
    summary: {
      packages: packages.length,
      findings: findings.length,
      bySeverity: severityCounts(findings),
      suppressed: suppressed.length,
    },
    findings,
    // `by`, `status`, `reason` first: a reader skimming the file sees why before what
    suppressed: suppressed.map(({ finding, ...why }) => ({ ...why, finding })),
    notes: report.notes,
  };
}
