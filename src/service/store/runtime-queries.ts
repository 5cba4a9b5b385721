import type { Kysely } from 'kysely';
import { VigilError } from '../../core/errors.ts';
import { isPostgresUrl, openPostgres, type PostgresOptions } from './postgres-database.ts';
import type { Database, EventType } from './schema.ts';
import { openSqlite, type SqliteOptions, sqlitePath } from './sqlite-database.ts';

/**
 * Reads the service runtime needs and the Store does not offer (yet): the digests to re-match, the
 * image rows of one repository (discovery), and whether an event was already raised. Their own
 * connection; once the Store grows these methods this file goes away.
 */
export interface RuntimeQueries {
  /** digests of live images that have a stored inventory, in order, a page after `after` */
  inventoriedDigests(after: string | undefined, limit: number): Promise<string[]>;
  /** live image rows of one registry repository: what discovery compares the registry against */
  liveDigestsOf(registryId: string, repository: string): Promise<string[]>;
  /** live repositories of one registry that discovery has seen */
  liveRepositoriesOf(registryId: string): Promise<string[]>;
  /**
   * digests of live images whose stored inventory came from other extractors than `currentKey`
   * and that have no scan queued or running: what an extractor upgrade must re-index
   */
  outdatedInventories(currentKey: string, limit: number): Promise<string[]>;
  /** whether an event of `type` about `digest` was written at or after `since` */
  hasEventSince(type: EventType, digest: string, since: Date): Promise<boolean>;
  close(): Promise<void>;
}

export function runtimeQueriesOn(db: Kysely<Database>): RuntimeQueries {
  return {
    async inventoriedDigests(after, limit) {
      let query = db
        .selectFrom('inventories as v')
        .select('v.digest')
        .where((eb) =>
          eb.exists(
            eb
              .selectFrom('images as i')
              .select('i.id')
              .whereRef('i.digest', '=', 'v.digest')
              .where('i.archived_at', 'is', null),
          ),
        );
      if (after !== undefined) query = query.where('v.digest', '>', after);
      const rows = await query.orderBy('v.digest').limit(limit).execute();
      return rows.map((r) => r.digest);
    },

    async liveDigestsOf(registryId, repository) {
      const rows = await db
        .selectFrom('images')
        .select('digest')
        .where('registry_id', '=', registryId)
        .where('repository', '=', repository)
        .where('archived_at', 'is', null)
        .orderBy('digest')
        .execute();
      return rows.map((r) => r.digest);
    },

    async liveRepositoriesOf(registryId) {
      const rows = await db
        .selectFrom('images')
        .select('repository')
        .distinct()
        .where('registry_id', '=', registryId)
        .where('archived_at', 'is', null)
        .orderBy('repository')
        .execute();
      return rows.map((r) => r.repository);
    },

    async outdatedInventories(currentKey, limit) {
      const rows = await db
        .selectFrom('inventories as v')
        .select('v.digest')
        .where('v.extractor_key', '<>', currentKey)
        .where((eb) =>
          eb.exists(
            eb
              .selectFrom('images as i')
              .select('i.id')
              .whereRef('i.digest', '=', 'v.digest')
              .where('i.archived_at', 'is', null),
          ),
        )
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom('scans as s')
                .select('s.id')
                .whereRef('s.digest', '=', 'v.digest')
                .where('s.status', 'in', ['queued', 'running']),
            ),
          ),
        )
        .orderBy('v.digest')
        .limit(limit)
        .execute();
      return rows.map((r) => r.digest);
    },

    async hasEventSince(type, digest, since) {
      const row = await db
        .selectFrom('events')
        .select('id')
        .where('type', '=', type)
        .where('digest', '=', digest)
        .where('created_at', '>=', since.getTime())
        .limit(1)
        .executeTakeFirst();
      return row !== undefined;
    },

    close: () => db.destroy(),
  };
}

/** The same database URLs openStore takes; call after openStore so the schema exists. */
export function openRuntimeQueries(url: string, options: SqliteOptions & PostgresOptions = {}): RuntimeQueries {
  if (isPostgresUrl(url)) return runtimeQueriesOn(openPostgres(url, { poolSize: 2, ...options }));
  const path = sqlitePath(url);
  if (path === undefined || path === '') {
    throw new VigilError('VIGIL_USAGE', 'database URL must be postgres://..., sqlite:///path or a file path', {
      scheme: url.split(':')[0],
    });
  }
  return runtimeQueriesOn(openSqlite(path, options));
}
