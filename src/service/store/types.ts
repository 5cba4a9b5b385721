import type { Finding, Inventory, Severity } from '../../core/types.ts';
import type { DeliveryAttempt, DeliveryRecord, DeliveryStatus, NewDelivery } from '../notify/index.ts';
import type { EventType, FindingState, ScanStatus, TokenRole } from './schema.ts';

export type { EventType, FindingState, ScanStatus, TokenRole } from './schema.ts';

export type ChannelType = 'webhook' | 'slack' | 'email' | 'sns';

/** A notification channel as stored: its secrets are opaque bytes the caller sealed (channel-store.ts). */
export interface ChannelInput {
  readonly name: string;
  readonly type: ChannelType;
  /** the channel config without id, type, filter and secrets (secret values read "[redacted]") */
  readonly config: Readonly<Record<string, unknown>>;
  /** already encrypted by the caller; absent for a channel without secrets */
  readonly secrets?: Uint8Array;
  readonly filters?: Readonly<Record<string, unknown>>;
  /** one digest message per scan instead of one per event */
  readonly digest?: boolean;
  readonly disabled?: boolean;
}

export interface StoredChannel extends Omit<ChannelInput, 'digest' | 'disabled'> {
  readonly id: string;
  readonly digest: boolean;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly disabledAt?: Date;
}

export interface DeliveryFilter {
  readonly state?: DeliveryStatus;
  readonly channelId?: string;
}

export interface RegistryInput {
  readonly name: string;
  readonly url: string;
  readonly kind: 'oci' | 'ecr';
  readonly region?: string;
  readonly awsAccountId?: string;
  readonly awsRoleArn?: string;
  /** production registries start the FedRAMP scan window at push */
  readonly production?: boolean;
  /** already encrypted by the caller; stored and returned as opaque bytes */
  readonly credentials?: Uint8Array;
}

/**
 * What a registry's sealed `credentials` hold (as JSON): username with password (or with a personal
 * access token as `token`), a registry `token` alone (sent as a Bearer token as it is), or an OAuth2
 * `identityToken` (a refresh token, traded at the registry's token service).
 */
export interface RegistryCredentials {
  readonly username?: string;
  readonly password?: string;
  readonly token?: string;
  readonly identityToken?: string;
}

export interface Registry extends Omit<RegistryInput, 'credentials' | 'production'> {
  readonly id: string;
  readonly production: boolean;
  readonly credentials?: Uint8Array;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface ScanConfigInput {
  /** ECR: AWS region and registry (account) id */
  readonly region?: string;
  readonly registry?: string;
  /** any OCI registry, by URL */
  readonly registryUrl?: string;
  /** the registries row the config reads from, when known */
  readonly registryId?: string;
  readonly repository?: string;
  /** glob over repository names, for configs that cover many */
  readonly repositoryPattern?: string;
  /** null or absent: every tag */
  readonly tags?: readonly string[] | null;
  readonly tagFilter?: string;
  /** who is told about findings (a team or person) */
  readonly owner?: string;
  /** cron expression (default daily at 00:00) */
  readonly schedule?: string;
  /** IANA time zone of the schedule (default UTC) */
  readonly timeZone?: string;
}

export interface ScanConfig {
  readonly id: string;
  readonly createdAt: Date;
  readonly region?: string;
  readonly registry?: string;
  readonly registryUrl?: string;
  readonly registryId?: string;
  readonly repository?: string;
  readonly repositoryPattern?: string;
  readonly tags: readonly string[] | null;
  readonly tagFilter?: string;
  readonly owner?: string;
  readonly schedule: string;
  readonly timeZone: string;
}

/** The shape the ECR continuous-scan API returns from GET /configs/ */
export interface EcrScanConfig {
  readonly id: string;
  /** epoch seconds, as a string */
  readonly created: string;
  readonly region: string | null;
  readonly registry: string | null;
  readonly repository: string | null;
  readonly tags: string[] | null;
}

export interface ImageInput {
  readonly registryId: string;
  readonly repository: string;
  readonly digest: string;
  /** registry push time (ECR imagePushedAt), when the registry says */
  readonly pushedAt?: Date;
}

export interface Image {
  readonly id: string;
  readonly registryId: string;
  readonly repository: string;
  readonly digest: string;
  readonly pushedAt?: Date;
  readonly firstSeen: Date;
  /** the last re-match */
  readonly lastScanned?: Date;
  readonly lastIndexed?: Date;
  readonly extractorKey?: string;
  readonly archivedAt?: Date;
}

export interface TagRef {
  readonly registryId: string;
  readonly repository: string;
  readonly tag: string;
}

export interface TagHistoryEntry {
  readonly digest: string;
  readonly seenAt: Date;
  readonly replacedAt?: Date;
}

export interface PackageKey {
  /** an OSV ecosystem as advisories name it ("Debian:12", "npm", "Red Hat:enterprise_linux:9::appstream") */
  readonly ecosystem: string;
  readonly name: string;
}

export interface StoredFinding {
  readonly id: number;
  readonly digest: string;
  readonly vulnerabilityId: string;
  readonly purl: string;
  readonly severity: Severity;
  readonly fixState: Finding['fixState'];
  readonly state: FindingState;
  readonly firstSeen: Date;
  readonly lastSeen: Date;
  readonly resolvedAt?: Date;
  readonly suppression?: { readonly reason: string; readonly by: string; readonly until?: Date };
  readonly finding: Finding;
}

export interface StoreEvent {
  readonly id: number;
  readonly type: EventType;
  readonly digest?: string;
  readonly payload: Record<string, unknown>;
  readonly createdAt: Date;
}

export interface ApplyOptions {
  /**
   * true only when the match ran against complete, fresh vulnerability data. When false (no DB, a
   * failed source, a stale DB) missing findings are NOT resolved: absent data is not a clean result.
   */
  readonly complete: boolean;
  readonly now: Date;
  /**
   * The purls the match evaluated, when it evaluated only part of the inventory (a DB delta
   * re-evaluates just the packages it can hit): findings of other packages are left as they are,
   * neither resolved nor seen. Absent: the match covered the whole inventory.
   */
  readonly scope?: ReadonlySet<string>;
}

export interface MatchApplication {
  readonly digest: string;
  readonly findings: readonly Finding[];
  readonly options: ApplyOptions;
}

export interface FindingFilter {
  readonly severity?: Severity | readonly Severity[];
  readonly state?: FindingState | readonly FindingState[];
  readonly fixAvailable?: boolean;
  readonly kev?: boolean;
  readonly repository?: string;
  readonly digest?: string;
}

export interface FindingPage {
  readonly findings: StoredFinding[];
  /** pass back for the next page; absent on the last page */
  readonly next?: string;
}

/**
 * A stored finding as its row holds it: times in epoch milliseconds, `finding` as JSON text. What
 * `findingRows` answers, for writing a page out without building a StoredFinding per row.
 */
export interface FindingRow {
  readonly id: number;
  readonly digest: string;
  readonly vulnerability_id: string;
  readonly purl: string;
  readonly severity: string;
  readonly fix_state: string;
  readonly state: FindingState;
  readonly first_seen: number;
  readonly last_seen: number;
  readonly resolved_at: number | null;
  readonly suppress_reason: string | null;
  readonly suppressed_by: string | null;
  readonly suppressed_until: number | null;
  readonly finding: string;
}

/** a findings page as rows (`findingRows`) */
export interface FindingRowPage {
  readonly rows: readonly FindingRow[];
  /** pass back for the next page; absent on the last page */
  readonly next?: string;
}

export type SeverityCounts = Record<Severity, number>;

export interface FindingSummary {
  /** findings per state and severity, across every image */
  readonly counts: Record<FindingState, SeverityCounts>;
  /** images not archived */
  readonly images: number;
}

export interface Scan {
  readonly id: string;
  readonly digest: string;
  readonly configId?: string;
  readonly status: ScanStatus;
  readonly queuedAt: Date;
  readonly startedAt?: Date;
  readonly finishedAt?: Date;
  readonly counts?: SeverityCounts;
  readonly error?: string;
}

export interface ApiToken {
  readonly id: string;
  readonly name: string;
  readonly role: TokenRole;
  readonly createdAt: Date;
  readonly lastUsedAt?: Date;
  readonly revokedAt?: Date;
}

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';

  createRegistry(input: RegistryInput, now: Date): Promise<Registry>;
  getRegistry(id: string): Promise<Registry | undefined>;
  listRegistries(): Promise<Registry[]>;
  updateRegistry(id: string, patch: Partial<RegistryInput>, now: Date): Promise<Registry | undefined>;
  deleteRegistry(id: string): Promise<boolean>;

  createConfig(input: ScanConfigInput, now: Date): Promise<ScanConfig>;
  getConfig(id: string): Promise<ScanConfig | undefined>;
  listConfigs(): Promise<ScanConfig[]>;
  updateConfig(id: string, patch: Partial<ScanConfigInput>): Promise<ScanConfig | undefined>;
  /** soft delete; false when unknown or already deleted (the API's 404) */
  deleteConfig(id: string, now: Date): Promise<boolean>;

  upsertImage(input: ImageInput, now: Date): Promise<Image>;
  getImages(digest: string): Promise<Image[]>;
  /** getImages for many digests at once; a digest with no row maps to [] */
  getImagesOf(digests: readonly string[]): Promise<Map<string, Image[]>>;
  listImages(
    filter: { repository?: string; registryId?: string; includeArchived?: boolean },
    cursor: string | undefined,
    limit: number,
  ): Promise<{ images: Image[]; next?: string }>;
  /** tag -> digest; a tag that moves closes its history row and opens one for the new digest */
  recordTag(ref: TagRef, digest: string, now: Date): Promise<{ moved: boolean; previousDigest?: string }>;
  tagHistory(ref: TagRef): Promise<TagHistoryEntry[]>;
  /** the tags a config covers, each with the last re-match of its image; by tag */
  tagsForConfig(config: ScanConfig): Promise<Array<{ tag: string; digest: string; lastScanned?: Date }>>;
  saveInventory(digest: string, inventory: Inventory, extractorKey: string, now: Date): Promise<void>;
  getInventory(digest: string): Promise<{ inventory: Inventory; extractorKey: string } | undefined>;
  /** many digests' inventories at once; a digest with none stored is absent from the map */
  getInventories(digests: readonly string[]): Promise<Map<string, { inventory: Inventory; extractorKey: string }>>;
  /** digests of live images holding any of the packages: what a DB delta must re-match */
  imagesAffectedBy(packages: readonly PackageKey[]): Promise<string[]>;
  /**
   * for a DB delta: each live image holding one of the packages, with the JSON arrays of the
   * packages it holds under those keys, or null when its index predates them (read the inventory)
   */
  affectedPackages(packages: readonly PackageKey[]): Promise<Map<string, string[] | null>>;
  /** inventories without their packages, with their Ubuntu Pro flag; absent for those stored before */
  inventoryHeaders(digests: readonly string[]): Promise<Map<string, { header: Inventory; ubuntuPro: boolean }>>;

  applyMatchResult(digest: string, findings: readonly Finding[], options: ApplyOptions): Promise<StoreEvent[]>;
  /**
   * applyMatchResult for many images in one transaction (what a re-match does); a digest with no
   * image row gets [] instead of an error
   */
  applyMatchResults(
    results: readonly MatchApplication[],
    options?: {
      /** a re-match run's id: the events are also recorded as pending dispatch (see below) */
      readonly dispatchRun?: string;
    },
  ): Promise<StoreEvent[][]>;
  /** after a re-match run's dispatch of these images' events: their pending rows go */
  clearPendingDispatches(runId: string, digests: readonly string[]): Promise<void>;
  /** re-match dispatches recorded before `before` and not cleared (the process died), oldest first */
  pendingDispatches(
    before: Date,
    limit: number,
  ): Promise<Array<{ runId: string; digest: string; events: StoreEvent[] }>>;
  /** deleted from the registry: the image rows and (once no live row has the digest) its findings */
  archiveImage(digest: string, now: Date, scope?: { registryId: string; repository: string }): Promise<void>;
  suppressFinding(
    id: number,
    suppression: { reason: string; by: string; until?: Date },
  ): Promise<StoredFinding | undefined>;
  getFinding(id: number): Promise<StoredFinding | undefined>;
  /** many findings by id; ids not stored are absent */
  getFindings(ids: readonly number[]): Promise<Map<number, StoredFinding>>;
  findingsPage(filter: FindingFilter, cursor: string | undefined, limit: number): Promise<FindingPage>;
  /** the same page as its rows: the API writes them out as JSON without a StoredFinding each */
  findingRows(filter: FindingFilter, cursor: string | undefined, limit: number): Promise<FindingRowPage>;
  summary(): Promise<FindingSummary>;
  /** per-image counts of findings in `state` (default open): the ECR-style per-image summary */
  countsByImage(digests: readonly string[], state?: FindingState): Promise<Map<string, SeverityCounts>>;

  rollupDaily(day: string): Promise<void>;
  imagesWithFinding(day: string, minSeverity: Severity, state?: FindingState): Promise<string[]>;
  imagesNotScannedSince(cutoff: Date, options?: { productionOnly?: boolean }): Promise<Image[]>;

  createScan(input: { digest: string; configId?: string }, now: Date): Promise<Scan>;
  startScan(id: string, now: Date): Promise<Scan | undefined>;
  completeScan(id: string, counts: SeverityCounts, now: Date): Promise<StoreEvent | undefined>;
  failScan(id: string, error: string, now: Date): Promise<StoreEvent | undefined>;
  getScan(id: string): Promise<Scan | undefined>;
  listScans(filter: { digest?: string; status?: ScanStatus; limit?: number }): Promise<Scan[]>;

  insertEvent(type: EventType, payload: Record<string, unknown>, now: Date, digest?: string): Promise<StoreEvent>;
  /** in id order, after `afterId` (for consumers that remember where they stopped) */
  listEvents(filter: { afterId?: number; type?: EventType; limit?: number }): Promise<StoreEvent[]>;

  createApiToken(input: { name: string; role: TokenRole; tokenHash: string }, now: Date): Promise<ApiToken>;
  /** the live token with that hash (last use refreshed at most once a minute); undefined when unknown or revoked */
  findApiTokenByHash(tokenHash: string, now: Date): Promise<ApiToken | undefined>;
  revokeApiToken(id: string, now: Date): Promise<boolean>;
  listApiTokens(): Promise<ApiToken[]>;

  createChannel(input: ChannelInput, now: Date): Promise<StoredChannel>;
  getChannel(id: string): Promise<StoredChannel | undefined>;
  /** by name */
  listChannels(): Promise<StoredChannel[]>;
  /** `secrets: undefined` or `filters: undefined` in the patch removes them */
  updateChannel(id: string, patch: Partial<ChannelInput>, now: Date): Promise<StoredChannel | undefined>;
  deleteChannel(id: string): Promise<boolean>;

  /** the delivery log (storeDeliveryLog in channel-store.ts adapts these to notify's DeliveryLog) */
  createDelivery(delivery: NewDelivery): Promise<void>;
  recordDeliveryAttempt(id: string, attempt: DeliveryAttempt): Promise<void>;
  finishDelivery(id: string, status: 'delivered' | 'failed', at: string, error?: string): Promise<void>;
  getDelivery(id: string): Promise<DeliveryRecord | undefined>;
  /** oldest first, keyset pages; no limit: every match */
  listDeliveries(
    filter: DeliveryFilter,
    cursor?: string,
    limit?: number,
  ): Promise<{ deliveries: DeliveryRecord[]; next?: string }>;

  /** one round trip, for readiness probes */
  ping(): Promise<void>;
  close(): Promise<void>;
}
