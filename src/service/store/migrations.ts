import { type ColumnDefinitionBuilder, type Kysely, sql } from 'kysely';
import type { Migration, MigrationProvider } from 'kysely/migration';
import { severities } from '../../core/types.ts';
import { ensureScanJobTable } from './scan-queue-schema.ts';

const findingStates = ['open', 'resolved', 'suppressed', 'archived'] as const;

export type StoreDialect = 'sqlite' | 'postgres';

/**
 * Column types per dialect. Times are bigint on PostgreSQL (epoch milliseconds overflow int4) and
 * read back as numbers through the pool's int8 parser; SQLite's integer is already 64-bit.
 */
function typesFor(dialect: StoreDialect) {
  const pg = dialect === 'postgres';
  return {
    uuid: pg ? 'uuid' : 'text',
    millis: pg ? 'bigint' : 'integer',
    bytes: pg ? 'bytea' : 'blob',
    serial: (c: ColumnDefinitionBuilder) =>
      pg ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement(),
    serialType: pg ? 'bigint' : 'integer',
  } as const;
}

/**
 * Migrations live in code (Kysely's Migrator with an in-code provider) so that a built `dist/` or a
 * bundled binary never reads migration files at runtime. Names sort in order; never edit a shipped
 * migration, add the next one.
 */
export function migrationProvider(dialect: StoreDialect): MigrationProvider {
  return {
    getMigrations: async (): Promise<Record<string, Migration>> => ({
      '0001-initial': { up: (db) => initial(db, dialect) },
      // the runtime's job details, leases and scheduler slots (scan-queue-schema.ts)
      '0002-scan-queue': { up: (db) => ensureScanJobTable(db, dialect) },
      // notification channels (secrets sealed by the caller) and the delivery log (channel-store.ts)
      '0003-channels': { up: (db) => channelTables(db, dialect) },
      // what a DB delta reads instead of whole inventories (image-store.ts deltaInventories)
      '0004-delta-inventories': { up: (db) => deltaInventoryTables(db) },
      // findings pages of a repository or an image read this index alone (report-store.ts)
      '0005-findings-digest-page': { up: (db) => findingsDigestPage(db) },
      // a re-match's events not yet handed to the notifier (finding-store.ts, reevaluate.ts)
      '0006-rematch-dispatches': { up: (db) => rematchDispatches(db, dialect) },
      // when each digest was last matched, and which of its findings it missed (last-seen.ts)
      '0007-digest-matches': { up: (db) => digestMatches(db, dialect) },
    }),
  };
}

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's table types
async function initial(db: Kysely<any>, dialect: StoreDialect): Promise<void> {
  const t = typesFor(dialect);
  const s = db.schema;

  await s
    .createTable('registries')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sqlIn('kind', ['oci', 'ecr'])))
    .addColumn('region', 'text')
    .addColumn('aws_account_id', 'text')
    .addColumn('aws_role_arn', 'text')
    .addColumn('production', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('credentials', t.bytes)
    .addColumn('created_at', t.millis, (c) => c.notNull())
    .addColumn('updated_at', t.millis, (c) => c.notNull())
    .execute();

  await s
    .createTable('scan_configs')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('created_at', t.millis, (c) => c.notNull())
    .addColumn('region', 'text')
    .addColumn('registry', 'text')
    .addColumn('registry_url', 'text')
    .addColumn('registry_id', t.uuid)
    .addColumn('repository', 'text')
    .addColumn('repository_pattern', 'text')
    .addColumn('tags', 'text')
    .addColumn('tag_filter', 'text')
    .addColumn('owner', 'text')
    .addColumn('schedule', 'text', (c) => c.notNull())
    .addColumn('time_zone', 'text', (c) => c.notNull())
    .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('deleted_at', t.millis)
    .execute();

  await s
    .createTable('images')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('registry_id', t.uuid, (c) => c.notNull())
    .addColumn('repository', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('pushed_at', t.millis)
    .addColumn('first_seen', t.millis, (c) => c.notNull())
    .addColumn('last_scanned', t.millis)
    .addColumn('last_indexed', t.millis)
    .addColumn('extractor_key', 'text')
    .addColumn('archived_at', t.millis)
    .addUniqueConstraint('images_registry_repository_digest', ['registry_id', 'repository', 'digest'])
    .execute();
  await s.createIndex('images_digest').on('images').column('digest').execute();
  await s.createIndex('images_repository').on('images').columns(['repository', 'digest']).execute();
  await s.createIndex('images_first_seen').on('images').columns(['first_seen', 'id']).execute();
  await s.createIndex('images_last_scanned').on('images').columns(['archived_at', 'last_scanned']).execute();

  await s
    .createTable('tags')
    .addColumn('registry_id', t.uuid, (c) => c.notNull())
    .addColumn('repository', 'text', (c) => c.notNull())
    .addColumn('tag', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('updated_at', t.millis, (c) => c.notNull())
    .addPrimaryKeyConstraint('tags_pk', ['registry_id', 'repository', 'tag'])
    .execute();
  await s
    .createTable('tag_history')
    .addColumn('id', t.serialType, t.serial)
    .addColumn('registry_id', t.uuid, (c) => c.notNull())
    .addColumn('repository', 'text', (c) => c.notNull())
    .addColumn('tag', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('seen_at', t.millis, (c) => c.notNull())
    .addColumn('replaced_at', t.millis)
    .execute();
  await s.createIndex('tag_history_tag').on('tag_history').columns(['registry_id', 'repository', 'tag']).execute();

  await s
    .createTable('inventories')
    .addColumn('digest', 'text', (c) => c.primaryKey())
    .addColumn('extractor_key', 'text', (c) => c.notNull())
    .addColumn('inventory', 'text', (c) => c.notNull())
    .addColumn('created_at', t.millis, (c) => c.notNull())
    .execute();
  await s
    .createTable('inventory_packages')
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('ecosystem', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('inventory_packages_pk', ['digest', 'ecosystem', 'name'])
    .execute();
  // the DB-delta lookup goes (ecosystem, name) -> digest; the primary key serves the per-image rewrite
  await s
    .createIndex('inventory_packages_package')
    .on('inventory_packages')
    .columns(['ecosystem', 'name', 'digest'])
    .execute();

  await s
    .createTable('findings')
    .addColumn('id', t.serialType, t.serial)
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('vulnerability_id', 'text', (c) => c.notNull())
    .addColumn('purl', 'text', (c) => c.notNull())
    .addColumn('package_name', 'text', (c) => c.notNull())
    .addColumn('package_version', 'text', (c) => c.notNull())
    .addColumn('ecosystem', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('severity_rank', 'integer', (c) => c.notNull())
    .addColumn('fix_state', 'text', (c) => c.notNull())
    .addColumn('fix_available', 'integer', (c) => c.notNull())
    .addColumn('kev', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) =>
      c.notNull().check(sqlIn('state', ['open', 'resolved', 'suppressed', 'archived'])),
    )
    .addColumn('first_seen', t.millis, (c) => c.notNull())
    .addColumn('last_seen', t.millis, (c) => c.notNull())
    .addColumn('resolved_at', t.millis)
    .addColumn('suppress_reason', 'text')
    .addColumn('suppressed_by', 'text')
    .addColumn('suppressed_until', t.millis)
    .addColumn('finding', 'text', (c) => c.notNull())
    .addUniqueConstraint('findings_identity', ['digest', 'vulnerability_id', 'purl'])
    .execute();
  // findingsPage(): keyset order is (severity_rank, id)
  await s.createIndex('findings_page').on('findings').columns(['severity_rank', 'id']).execute();
  await s.createIndex('findings_state_page').on('findings').columns(['state', 'severity_rank', 'id']).execute();

  // per-image counts, rewritten with the image's findings: summary() adds up one row per image,
  // state and severity instead of counting every finding row, and per-image summaries read it as is
  await s
    .createTable('image_finding_counts')
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('image_finding_counts_pk', ['digest', 'state', 'severity'])
    .execute();
  await s
    .createIndex('image_finding_counts_summary')
    .on('image_finding_counts')
    .columns(['state', 'severity', 'count'])
    .execute();

  // totals across every image, moved by each image's count delta: summary() reads 24 rows
  await s
    .createTable('finding_totals')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('count', t.millis, (c) => c.notNull())
    .addPrimaryKeyConstraint('finding_totals_pk', ['state', 'severity'])
    .execute();
  await db
    .insertInto('finding_totals')
    .values(findingStates.flatMap((state) => severities.map((severity) => ({ state, severity, count: 0 }))))
    .execute();

  await s
    .createTable('finding_history_daily')
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('critical', 'integer', (c) => c.notNull())
    .addColumn('high', 'integer', (c) => c.notNull())
    .addColumn('medium', 'integer', (c) => c.notNull())
    .addColumn('low', 'integer', (c) => c.notNull())
    .addColumn('none', 'integer', (c) => c.notNull())
    .addColumn('unknown', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('finding_history_daily_pk', ['day', 'state', 'digest'])
    .execute();

  await s
    .createTable('scans')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('config_id', t.uuid)
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sqlIn('status', ['queued', 'running', 'completed', 'failed'])),
    )
    .addColumn('queued_at', t.millis, (c) => c.notNull())
    .addColumn('started_at', t.millis)
    .addColumn('finished_at', t.millis)
    .addColumn('counts', 'text')
    .addColumn('error', 'text')
    .execute();
  await s.createIndex('scans_digest').on('scans').columns(['digest', 'queued_at']).execute();

  await s
    .createTable('events')
    .addColumn('id', t.serialType, t.serial)
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('digest', 'text')
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('created_at', t.millis, (c) => c.notNull())
    .execute();
  await s.createIndex('events_type').on('events').columns(['type', 'id']).execute();

  await s
    .createTable('api_tokens')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().check(sqlIn('role', ['viewer', 'operator', 'admin'])))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', t.millis, (c) => c.notNull())
    .addColumn('last_used_at', t.millis)
    .addColumn('revoked_at', t.millis)
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's table types
async function channelTables(db: Kysely<any>, dialect: StoreDialect): Promise<void> {
  const t = typesFor(dialect);
  await db.schema
    .createTable('channels')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('type', 'text', (c) => c.notNull().check(sqlIn('type', ['webhook', 'slack', 'email', 'sns'])))
    .addColumn('config', 'text', (c) => c.notNull())
    .addColumn('secrets', t.bytes)
    .addColumn('filters', 'text')
    .addColumn('digest', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', t.millis, (c) => c.notNull())
    .addColumn('updated_at', t.millis, (c) => c.notNull())
    .addColumn('disabled_at', t.millis)
    .execute();

  // ids are text, not uuid: the notifier's channel ids (and so a delivery's) may come from a file
  await db.schema
    .createTable('deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('channel_id', 'text', (c) => c.notNull())
    .addColumn('channel_type', 'text', (c) => c.notNull())
    .addColumn('notification_type', 'text', (c) => c.notNull())
    .addColumn('notification_id', 'text', (c) => c.notNull())
    .addColumn('event_ids', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('attempts', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sqlIn('state', ['pending', 'delivered', 'failed'])))
    .addColumn('created_at', t.millis, (c) => c.notNull())
    .addColumn('updated_at', t.millis, (c) => c.notNull())
    .addColumn('finished_at', t.millis)
    .addColumn('last_error', 'text')
    .execute();
  await db.schema.createIndex('deliveries_state').on('deliveries').columns(['state', 'created_at', 'id']).execute();
}

/** a CHECK (column IN (...)) from constants, so both dialects reject a value the code never writes */
function sqlIn(column: string, values: readonly string[]) {
  return sql`${sql.ref(column)} in (${sql.join(values.map((v) => sql.lit(v)))})`;
}

/**
 * Each package-index row carries the packages it keys (a JSON array; NULL on rows written before
 * this migration, whose images take the whole-inventory path), and each inventory its header: the
 * inventory without its packages, plus whether any package is an Ubuntu Pro build.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's table types
async function deltaInventoryTables(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('inventory_packages').addColumn('packages', 'text').execute();
  await db.schema
    .createTable('inventory_headers')
    .addColumn('digest', 'text', (c) => c.primaryKey())
    .addColumn('header', 'text', (c) => c.notNull())
    .addColumn('ubuntu_pro', 'integer', (c) => c.notNull())
    .execute();
}

/**
 * The findings of a few digests, in page order, with every column a page filters on: a repository's
 * page picks its 51 ids from this index alone and reads only those rows.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's table types
async function findingsDigestPage(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('findings_digest_page')
    .on('findings')
    .columns(['digest', 'severity_rank', 'id', 'state', 'fix_available', 'kev'])
    .execute();
}

/**
 * One row per re-matched image whose events are not yet handed to the notifier: written in the
 * re-match's transaction, deleted after its dispatch, so a process that dies between the two
 * leaves the row for `redispatchPending` to finish.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's table types
async function rematchDispatches(db: Kysely<any>, dialect: StoreDialect): Promise<void> {
  const t = typesFor(dialect);
  await db.schema
    .createTable('rematch_dispatches')
    .addColumn('id', t.serialType, t.serial)
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('event_ids', 'text', (c) => c.notNull())
    .addColumn('created_at', t.millis, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('rematch_dispatches_run')
    .on('rematch_dispatches')
    .columns(['run_id', 'digest'])
    .execute();
  await db.schema
    .createIndex('rematch_dispatches_age')
    .on('rematch_dispatches')
    .columns(['created_at', 'id'])
    .execute();
}

/**
 * One row per matched digest with the time of its last match, written with images.last_scanned:
 * an open or suppressed finding reads its last sighting from here instead of being rewritten by
 * every re-match that finds it again, unless `findings.unseen` says the last match missed it
 * (last-seen.ts). Filled from the images' last_scanned; every finding starts seen, its last_seen
 * as the old re-matches wrote it.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's table types
async function digestMatches(db: Kysely<any>, dialect: StoreDialect): Promise<void> {
  const t = typesFor(dialect);
  await db.schema
    .createTable('digest_matches')
    .addColumn('digest', 'text', (c) => c.primaryKey())
    .addColumn('matched_at', t.millis, (c) => c.notNull())
    .execute();
  await db.schema
    .alterTable('findings')
    .addColumn('unseen', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`
    insert into digest_matches (digest, matched_at)
    select digest, max(last_scanned) from images where last_scanned is not null group by digest`.execute(db);
}
