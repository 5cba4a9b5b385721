import type { Finding, Severity } from '../core/types.ts';

/**
 * One `--ignore-file` entry, from Trivy's `.trivyignore.yaml` `vulnerabilities:` list or one line
 * of a plain `.trivyignore`. An entry with no purls, packages or paths applies to every package.
 */
export interface IgnoreRule {
  /** vulnerability id as written; matched against a finding's id and every alias */
  readonly id: string;
  /** purls the rule is limited to; a purl without version covers every version (purl-match.ts) */
  readonly purls: readonly string[];
  /** package names the rule is limited to */
  readonly packages: readonly string[];
  /** image paths (a package's locations) the rule is limited to, as Trivy's `paths` */
  readonly paths: readonly string[];
  /** why the finding is accepted (`statement` or `reason`) */
  readonly reason?: string;
  /** the rule stops suppressing after this instant (`expired_at` / `exp:`) */
  readonly expiresAt?: Date;
  /** where the rule was written: file name and 1-based line */
  readonly file: string;
  readonly line: number;
}

/** The VEX statuses shared by OpenVEX and CISA's minimum requirements; CycloneDX states map onto them. */
export type VexStatus = 'not_affected' | 'affected' | 'fixed' | 'under_investigation';

/** One statement about one (vulnerability, product), flattened from OpenVEX or CycloneDX VEX. */
export interface VexStatement {
  /** the vulnerability name and its aliases, as written */
  readonly vulnerability: readonly string[];
  /**
   * The identifiers of the one product the statement is about (its @id, identifiers.purl, hashes
   * as "sha256:..."): a package purl, or an image (oci purl or manifest digest), which the
   * subcomponent purls, when any, narrow to some of the image's packages.
   */
  readonly product: readonly string[];
  readonly subcomponents: readonly string[];
  readonly status: VexStatus;
  /** OpenVEX justification label or CycloneDX analysis.justification, as written */
  readonly justification?: string;
  /** OpenVEX impact_statement / status_notes, CycloneDX analysis.detail */
  readonly detail?: string;
  /** the original CycloneDX analysis.state when the statement came from CycloneDX */
  readonly cyclonedxState?: string;
  /** statement time (last_updated, else timestamp); the latest per (vulnerability, product) wins */
  readonly timestamp?: Date;
  readonly file: string;
  /** where in the file: "statements[3]" or "vulnerabilities[0]" */
  readonly field: string;
}

/** A finding kept out of the results, with what suppressed it, so that reports can show it. */
export interface Suppression {
  readonly finding: Finding;
  readonly by: 'vex' | 'ignore';
  /** one line for people: "not_affected (vulnerable_code_not_present) by vex.json statements[0]" */
  readonly reason: string;
  /** VEX status, or "ignored" for an ignore-file rule */
  readonly status: 'not_affected' | 'fixed' | 'ignored';
  readonly justification?: string;
  /** impact statement, VEX detail, or the ignore rule's statement */
  readonly detail?: string;
  readonly cyclonedxState?: string;
  /** file and line/field of the rule or statement */
  readonly source: string;
}

/** The image a VEX statement may name as its product. */
export interface ImageIdentity {
  /** pkg:oci/... as report/image-identity.ts builds it */
  readonly purl?: string;
  /** manifest and index digests ("sha256:...") */
  readonly digests: readonly string[];
  /** references the image is known by ("registry.example.com/team/app:1.4.2") */
  readonly refs?: readonly string[];
}

export interface PolicyOptions {
  /** keep only these severities (`--severity`); all when unset */
  readonly severities?: readonly Severity[];
  /** drop findings without a fix (`--ignore-unfixed`) */
  readonly ignoreUnfixed?: boolean;
  readonly ignoreRules?: readonly IgnoreRule[];
  readonly vexStatements?: readonly VexStatement[];
  readonly image?: ImageIdentity;
  /** the clock that decides whether an ignore rule has expired */
  readonly now: Date;
}

export interface PolicyResult {
  readonly kept: readonly Finding[];
  readonly suppressed: readonly Suppression[];
  /** counts of findings left out by the filters (not suppressions: they are not shown) */
  readonly filtered: { readonly severity: number; readonly unfixed: number };
  /** ignore rules past their expiry date: they suppressed nothing, and the user should know */
  readonly expiredRules: readonly IgnoreRule[];
  /** one line each, for the report's notes */
  readonly notes: readonly string[];
}
