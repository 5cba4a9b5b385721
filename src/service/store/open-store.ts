import { type Kysely, sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import { VigilError } from '../../core/errors.ts';
import * as activity from './activity-store.ts';
import * as channels from './channel-store.ts';
import * as configs from './config-store.ts';
import { contextFor, type StoreContext } from './context.ts';
import * as events from './event-store.ts';
import * as findings from './finding-store.ts';
import * as images from './image-store.ts';
import { migrationProvider, type StoreDialect } from './migrations.ts';
import { isPostgresUrl, openPostgres, type PostgresOptions } from './postgres-database.ts';
import * as reports from './report-store.ts';
import type { Database } from './schema.ts';
import { openSqlite, type SqliteOptions, sqlitePath } from './sqlite-database.ts';
import type { Store } from './types.ts';

export type OpenStoreOptions = SqliteOptions & PostgresOptions;

/**
 * Opens the service store: `postgres://...` (or `postgresql://`) is PostgreSQL through a pg Pool;
 * `sqlite:///abs/path.db`, `sqlite:rel.db` or a plain path is an SQLite file in WAL mode. Migrates
 * to the latest schema before returning.
 */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  let db: Kysely<Database>;
  let dialect: StoreDialect;
  if (isPostgresUrl(url)) {
    db = openPostgres(url, options);
    dialect = 'postgres';
  } else {
    const path = sqlitePath(url);
    if (path === undefined || path === '') {
      throw new VigilError('VIGIL_USAGE', 'database URL must be postgres://..., sqlite:///path or a file path', {
        scheme: url.split(':')[0],
      });
    }
    db = openSqlite(path, options);
    dialect = 'sqlite';
  }
  try {
    await migrate(db, dialect, options.schema);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return storeOn(contextFor(db, dialect));
}

async function migrate(db: Kysely<Database>, dialect: StoreDialect, schema: string | undefined): Promise<void> {
  if (dialect === 'postgres' && schema !== undefined) {
    // two processes starting at once can both pass IF NOT EXISTS; the loser's unique violation
    // (23505) means the schema is there, which is all that is needed
    await sql`create schema if not exists ${sql.id(schema)}`.execute(db).catch((err: { code?: string }) => {
      if (err.code !== '23505') throw err;
    });
  }
  const migrator = new Migrator({
    db,
    provider: migrationProvider(dialect),
    ...(dialect === 'postgres' && schema !== undefined && { migrationTableSchema: schema }),
  });
  let { error, results } = await migrator.migrateToLatest();
  // Kysely's Migrator looks for its own tables by listing the tables of every schema; a schema
  // dropped by another client during that listing (3F000, invalid_schema_name) is not ours to
  // mind, so the check is run again (a few times: drops come in bursts when test suites end)
  for (let attempt = 0; attempt < 5 && isSchemaDroppedMeanwhile(error, schema); attempt++) {
    ({ error, results } = await migrator.migrateToLatest());
  }
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new VigilError(
      'VIGIL_INTERNAL',
      `store migration ${failed ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`.replace(
        '  ',
        ' ',
      ),
      { dialect, ...(failed !== undefined && { migration: failed }) },
      { cause: error },
    );
  }
}

function isSchemaDroppedMeanwhile(error: unknown, ours: string | undefined): boolean {
  const err = error as { code?: string; message?: string } | undefined;
  return err?.code === '3F000' && (ours === undefined || !String(err.message).includes(`"${ours}"`));
}

function storeOn(ctx: StoreContext): Store {
  return {
    dialect: ctx.dialect,
    createRegistry: (input, now) => configs.createRegistry(ctx, input, now),
    getRegistry: (id) => configs.getRegistry(ctx, id),
    listRegistries: () => configs.listRegistries(ctx),
    updateRegistry: (id, patch, now) => configs.updateRegistry(ctx, id, patch, now),
    deleteRegistry: (id) => configs.deleteRegistry(ctx, id),
    createConfig: (input, now) => configs.createConfig(ctx, input, now),
    getConfig: (id) => configs.getConfig(ctx, id),
    listConfigs: () => configs.listConfigs(ctx),
    updateConfig: (id, patch) => configs.updateConfig(ctx, id, patch),
    deleteConfig: (id, now) => configs.deleteConfig(ctx, id, now),
    upsertImage: (input, now) => images.upsertImage(ctx, input, now),
    getImages: (digest) => images.getImages(ctx, digest),
    getImagesOf: (digests) => images.getImagesOf(ctx, digests),
    listImages: (filter, cursor, limit) => images.listImages(ctx, filter, cursor, limit),
    recordTag: (ref, digest, now) => images.recordTag(ctx, ref, digest, now),
    tagHistory: (ref) => images.tagHistory(ctx, ref),
    tagsForConfig: (config) => images.tagsForConfig(ctx, config),
    saveInventory: (digest, inventory, key, now) => images.saveInventory(ctx, digest, inventory, key, now),
    getInventory: (digest) => images.getInventory(ctx, digest),
    getInventories: (digests) => images.getInventories(ctx, digests),
    imagesAffectedBy: (packages) => images.imagesAffectedBy(ctx, packages),
    affectedPackages: (packages) => images.affectedPackages(ctx, packages),
    inventoryHeaders: (digests) => images.inventoryHeaders(ctx, digests),
    applyMatchResult: (digest, found, options) => findings.applyMatchResult(ctx, digest, found, options),
    applyMatchResults: (results, options) => findings.applyMatchResults(ctx, results, options),
    clearPendingDispatches: (runId, digests) => events.clearPendingDispatches(ctx, runId, digests),
    pendingDispatches: (before, limit) => events.pendingDispatches(ctx, before, limit),
    archiveImage: (digest, now, scope) => findings.archiveImage(ctx, digest, now, scope),
    suppressFinding: (id, suppression) => findings.suppressFinding(ctx, id, suppression),
    getFinding: (id) => findings.getFinding(ctx, id),
    getFindings: (ids) => findings.getFindings(ctx, ids),
    findingsPage: (filter, cursor, limit) => reports.findingsPage(ctx, filter, cursor, limit),
    findingRows: (filter, cursor, limit) => reports.findingRows(ctx, filter, cursor, limit),
    summary: () => reports.summary(ctx),
    countsByImage: (digests, state) => reports.countsByImage(ctx, digests, state),
    rollupDaily: (day) => reports.rollupDaily(ctx, day),
    imagesWithFinding: (day, min, state) => reports.imagesWithFinding(ctx, day, min, state),
    imagesNotScannedSince: (cutoff, options) => reports.imagesNotScannedSince(ctx, cutoff, options),
    createScan: (input, now) => activity.createScan(ctx, input, now),
    startScan: (id, now) => activity.startScan(ctx, id, now),
    completeScan: (id, counts, now) => activity.completeScan(ctx, id, counts, now),
    failScan: (id, error, now) => activity.failScan(ctx, id, error, now),
    getScan: (id) => activity.getScan(ctx, id),
    listScans: (filter) => activity.listScans(ctx, filter),
    insertEvent: (type, payload, now, digest) => events.insertEvent(ctx, type, payload, now, digest),
    listEvents: (filter) => events.listEvents(ctx, filter),
    createApiToken: (input, now) => activity.createApiToken(ctx, input, now),
    findApiTokenByHash: (hash, now) => activity.findApiTokenByHash(ctx, hash, now),
    revokeApiToken: (id, now) => activity.revokeApiToken(ctx, id, now),
    listApiTokens: () => activity.listApiTokens(ctx),
    createChannel: (input, now) => channels.createChannel(ctx, input, now),
    getChannel: (id) => channels.getChannel(ctx, id),
    listChannels: () => channels.listChannels(ctx),
    updateChannel: (id, patch, now) => channels.updateChannel(ctx, id, patch, now),
    deleteChannel: (id) => channels.deleteChannel(ctx, id),
    createDelivery: (delivery) => channels.createDelivery(ctx, delivery),
    recordDeliveryAttempt: (id, attempt) => channels.recordDeliveryAttempt(ctx, id, attempt),
    finishDelivery: (id, status, at, error) => channels.finishDelivery(ctx, id, status, at, error),
    getDelivery: (id) => channels.getDelivery(ctx, id),
    listDeliveries: (filter, cursor, limit) => channels.listDeliveries(ctx, filter, cursor, limit),
    ping: async () => {
      await sql`select 1`.execute(ctx.db);
    },
    close: () => ctx.db.destroy(),
  };
}
