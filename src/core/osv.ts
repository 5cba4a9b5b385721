/**
 * The OSV record as the schema defines it (https://ossf.github.io/osv-schema/, 1.7), read-only and
 * with only the fields Vigil uses typed; unknown fields pass through untouched. This is the
 * contract between the vulnerability DB (src/vulndb) and the matcher (src/match).
 */
export interface OsvEvent {
  readonly introduced?: string;
  readonly fixed?: string;
  readonly last_affected?: string;
  readonly limit?: string;
}

export interface OsvRange {
  readonly type: 'SEMVER' | 'ECOSYSTEM' | 'GIT' | (string & {});
  readonly repo?: string;
  readonly events: readonly OsvEvent[];
  readonly database_specific?: Record<string, unknown>;
}

export interface OsvAffected {
  readonly package?: { readonly ecosystem: string; readonly name: string; readonly purl?: string };
  readonly severity?: readonly OsvSeverity[];
  readonly ranges?: readonly OsvRange[];
  readonly versions?: readonly string[];
  readonly ecosystem_specific?: Record<string, unknown>;
  readonly database_specific?: Record<string, unknown>;
}

export interface OsvSeverity {
  readonly type: 'CVSS_V2' | 'CVSS_V3' | 'CVSS_V4' | 'Ubuntu' | (string & {});
  readonly score: string;
}

export interface OsvRecord {
  readonly schema_version?: string;
  readonly id: string;
  readonly modified: string;
  readonly published?: string;
  readonly withdrawn?: string;
  readonly aliases?: readonly string[];
  readonly upstream?: readonly string[];
  readonly related?: readonly string[];
  readonly summary?: string;
  readonly details?: string;
  readonly severity?: readonly OsvSeverity[];
  readonly affected?: readonly OsvAffected[];
  readonly references?: ReadonlyArray<{ readonly type: string; readonly url: string }>;
  readonly database_specific?: Record<string, unknown>;
}

/**
 * The fields of a record that matching and findings read besides `affected`: a whole `OsvRecord`
 * is one, and the SQLite store keeps just these per record for the matcher.
 */
export type OsvRecordHead = Pick<
  OsvRecord,
  | 'id'
  | 'modified'
  | 'published'
  | 'withdrawn'
  | 'aliases'
  | 'upstream'
  | 'summary'
  | 'details'
  | 'severity'
  | 'database_specific'
  | 'references'
>;

/**
 * The first line of a record's `details`, as a finding shows it when none of its records has a
 * summary: at most 200 characters. The SQLite store keeps just this in a record's head.
 */
export function detailsSummary(details: string): string {
  const line = details.trim().split('\n')[0]?.trim() ?? '';
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

/** One `affected[]` entry and its position in the record's list. */
export interface OsvAffectedEntry {
  readonly index: number;
  readonly affected: OsvAffected;
}

/**
 * A record as matching one package reads it: the record's head, and the affected entries whose
 * package is this one (base ecosystem and name after `normalizePackageName`), in record order.
 */
export interface PackageAdvisory {
  readonly record: OsvRecordHead;
  readonly entries: readonly OsvAffectedEntry[];
}

export interface KevEntry {
  readonly cveId: string;
  readonly dateAdded: string;
  readonly dueDate?: string;
  readonly knownRansomwareCampaignUse?: boolean;
  readonly vulnerabilityName?: string;
}

export interface EpssEntry {
  readonly cveId: string;
  readonly score: number;
  readonly percentile: number;
  readonly date?: string;
}

export interface NvdCvss {
  readonly cveId: string;
  /** "CVSS_V2" | "CVSS_V3" | "CVSS_V4" */
  readonly type: string;
  readonly vector: string;
  /** the base score NVD published with the vector */
  readonly baseScore?: number;
}

export interface VulnSourceStatus {
  /** "osv:Debian", "osv:npm", "kev", "epss", "nvd" */
  readonly name: string;
  readonly records: number;
  /** ISO time of the last update that landed whole */
  readonly updatedAt?: string;
  /** a later update failed or arrived partly; the data above is the last good one */
  readonly stale: boolean;
  readonly lastError?: string;
}

export interface VulnDbStatus {
  readonly path: string;
  readonly schemaVersion: number;
  readonly builtAt?: string;
  readonly sources: readonly VulnSourceStatus[];
}

/** Read side of the vulnerability DB, what the matcher needs. Synchronous: better-sqlite3 is. */
export interface VulnDbReader {
  /**
   * Non-withdrawn records with an `affected[]` entry whose package has this base ecosystem
   * ("Debian", not "Debian:12") and this name (compared after `normalizePackageName`). The matcher
   * filters the affected entries by the full ecosystem string itself.
   */
  recordsFor(baseEcosystem: string, name: string): readonly OsvRecord[];
  /**
   * The records `recordsFor` returns, as matching this package reads them. Optional: the matcher
   * derives them from `recordsFor` when a reader has none (the in-memory test reader); the SQLite
   * store keeps them at import, so that a match reads small rows instead of whole records.
   */
  advisoriesFor?(baseEcosystem: string, name: string): readonly PackageAdvisory[];
  /** the ecosystems (full strings, e.g. "Debian:12", "Alpine:v3.19") the DB has any record for */
  ecosystems(): readonly string[];
  kev(cveId: string): KevEntry | undefined;
  epss(cveId: string): EpssEntry | undefined;
  nvdCvss(cveId: string): readonly NvdCvss[];
  status(): VulnDbStatus;
  close(): void;
}
