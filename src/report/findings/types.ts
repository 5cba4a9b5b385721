import type { VulnSourceStatus } from '../../core/osv.ts';
import type { Finding, Inventory } from '../../core/types.ts';
import type { Suppression } from '../../policy/types.ts';
import type { RenderOptions } from '../types.ts';

/** What `vigil scan` reports: the inventory, the findings left after policy, and what was suppressed. */
export interface ScanReport {
  readonly inventory: Inventory;
  /** findings after `--severity`, `--ignore-unfixed`, VEX and the ignore file (policy/applyPolicy `kept`) */
  readonly findings: readonly Finding[];
  /** findings a VEX statement or an ignore rule suppressed, with why (policy/applyPolicy `suppressed`) */
  readonly suppressed: readonly Suppression[];
  /** matcher and policy notes: unsupported distro, expired ignore rules, unmatched versions ... */
  readonly notes: readonly string[];
  /** the vulnerability data the findings come from (VulnDbReader.status() without its local path) */
  readonly db: ScanDatabase;
}

export interface ScanDatabase {
  readonly builtAt?: string;
  readonly sources: readonly VulnSourceStatus[];
}

/** How findings are listed by the human formats. */
export type FindingsOrder = 'severity' | 'package';

export interface FindingsRenderOptions extends RenderOptions {
  /** table: one block per package (Trivy's layout) or most severe first; default "package" */
  readonly order?: FindingsOrder;
}

export type FindingsFormatId = 'table' | 'json' | 'sarif' | 'cyclonedx';

/** One findings output format: a file exporting one object that `satisfies FindingsFormat`, listed in index.ts. */
export interface FindingsFormat {
  readonly id: FindingsFormatId;
  readonly mediaType: string;
  readonly fileExtension: string;
  render(report: ScanReport, options: FindingsRenderOptions): string;
}
