import type { ColumnType, Generated } from 'kysely';

/**
 * The tables as Kysely sees them. One schema serves SQLite and PostgreSQL, so column types are the
 * ones both read back alike: times are epoch milliseconds (integer / bigint, read as numbers),
 * flags are 0/1 integers, JSON is text, ids are UUID strings (uuid on PostgreSQL).
 */

/** epoch milliseconds */
type Millis = number;
/** 0 or 1: SQLite has no boolean type */
type Flag = number;

export interface RegistryTable {
  id: string;
  name: string;
  url: string;
  kind: 'oci' | 'ecr';
  region: string | null;
  aws_account_id: string | null;
  aws_role_arn: string | null;
  production: Flag;
  /** opaque bytes, encrypted by the caller; the store never reads them */
  credentials: Uint8Array | null;
  created_at: Millis;
  updated_at: Millis;
}

export interface ScanConfigTable {
  id: string;
  created_at: Millis;
  region: string | null;
  /** ECR registry (AWS account) id, as the ECR continuous-scan API names it */
  registry: string | null;
  registry_url: string | null;
  registry_id: string | null;
  repository: string | null;
  repository_pattern: string | null;
  /** JSON string array, or null for "every tag" */
  tags: string | null;
  tag_filter: string | null;
  owner: string | null;
  schedule: string;
  time_zone: string;
  deleted: Flag;
  deleted_at: Millis | null;
}

export interface ImageTable {
  id: string;
  registry_id: string;
  repository: string;
  digest: string;
  pushed_at: Millis | null;
  first_seen: Millis;
  last_scanned: Millis | null;
  last_indexed: Millis | null;
  extractor_key: string | null;
  archived_at: Millis | null;
}

export interface TagTable {
  registry_id: string;
  repository: string;
  tag: string;
  digest: string;
  updated_at: Millis;
}

export interface TagHistoryTable {
  id: Generated<number>;
  registry_id: string;
  repository: string;
  tag: string;
  digest: string;
  seen_at: Millis;
  replaced_at: Millis | null;
}

export interface InventoryTable {
  digest: string;
  extractor_key: string;
  inventory: string;
  created_at: Millis;
}

export interface InventoryPackageTable {
  digest: string;
  /** base OSV ecosystem ("Debian", "npm"), see package-index.ts */
  ecosystem: string;
  /** normalised as the vulnerability DB indexes it */
  name: string;
  /** JSON array of the inventory's packages under this key; null on rows stored before 0004 */
  packages: string | null;
}

export interface InventoryHeaderTable {
  digest: string;
  /** the inventory as JSON without its packages (`packages: []`) */
  header: string;
  /** 1 when a package is an Ubuntu Pro build: the matcher then also reads the Pro advisories */
  ubuntu_pro: Flag;
}

export type FindingState = 'open' | 'resolved' | 'suppressed' | 'archived';

export interface FindingTable {
  id: Generated<number>;
  digest: string;
  /** Finding.id: the CVE alias where one exists, else the record id */
  vulnerability_id: string;
  purl: string;
  package_name: string;
  package_version: string;
  ecosystem: string;
  severity: string;
  /** index in core/types `severities`: 0 = CRITICAL; the sort and threshold key */
  severity_rank: number;
  fix_state: string;
  fix_available: Flag;
  kev: Flag;
  state: FindingState;
  first_seen: Millis;
  last_seen: Millis;
  resolved_at: Millis | null;
  suppress_reason: string | null;
  suppressed_by: string | null;
  suppressed_until: Millis | null;
  finding: string;
  /**
   * 1 while an open or suppressed finding was missing from its digest's last match (incomplete
   * data, or a suppression: neither resolves): last_seen then holds its last sighting (last-seen.ts)
   */
  unseen: Generated<Flag>;
}

export interface ImageFindingCountTable {
  digest: string;
  state: FindingState;
  severity: string;
  count: number;
}

export interface FindingTotalTable {
  state: FindingState;
  severity: string;
  count: number;
}

export interface FindingHistoryDailyTable {
  /** YYYY-MM-DD, UTC */
  day: string;
  digest: string;
  state: FindingState;
  critical: number;
  high: number;
  medium: number;
  low: number;
  none: number;
  unknown: number;
}

export type ScanStatus = 'queued' | 'running' | 'completed' | 'failed';

export interface ScanTable {
  id: string;
  digest: string;
  config_id: string | null;
  status: ScanStatus;
  queued_at: Millis;
  started_at: Millis | null;
  finished_at: Millis | null;
  /** JSON: counts of open findings per severity */
  counts: string | null;
  error: string | null;
}

export const eventTypes = [
  'finding.new',
  'finding.resolved',
  'scan.completed',
  'scan.failed',
  'image.scan-expired',
] as const;
export type EventType = (typeof eventTypes)[number];

export interface EventTable {
  id: Generated<number>;
  type: EventType;
  digest: string | null;
  payload: string;
  created_at: Millis;
}

export interface RematchDispatchTable {
  id: Generated<number>;
  run_id: string;
  digest: string;
  /** JSON array of event ids, in id order */
  event_ids: string;
  created_at: Millis;
}

export type TokenRole = 'viewer' | 'operator' | 'admin';

export interface ApiTokenTable {
  id: string;
  name: string;
  role: TokenRole;
  /** hex SHA-256 of the token; the token itself is never stored */
  token_hash: string;
  created_at: Millis;
  last_used_at: Millis | null;
  revoked_at: ColumnType<Millis | null, Millis | null | undefined, Millis | null>;
}

export interface Database {
  registries: RegistryTable;
  scan_configs: ScanConfigTable;
  images: ImageTable;
  tags: TagTable;
  tag_history: TagHistoryTable;
  inventories: InventoryTable;
  inventory_packages: InventoryPackageTable;
  inventory_headers: InventoryHeaderTable;
  findings: FindingTable;
  image_finding_counts: ImageFindingCountTable;
  finding_totals: FindingTotalTable;
  finding_history_daily: FindingHistoryDailyTable;
  scans: ScanTable;
  events: EventTable;
  rematch_dispatches: RematchDispatchTable;
  digest_matches: DigestMatchTable;
  api_tokens: ApiTokenTable;
}

/** when a digest was last matched: the last sighting of its open findings (last-seen.ts) */
export interface DigestMatchTable {
  digest: string;
  matched_at: Millis;
}
