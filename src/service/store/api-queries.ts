import { type Kysely, sql } from 'kysely';
import { VigilError } from '../../core/errors.ts';
import { toImage } from './image-store.ts';
import { isPostgresUrl, openPostgres, type PostgresOptions } from './postgres-database.ts';
import type { Database } from './schema.ts';
import { openSqlite, type SqliteOptions, sqlitePath } from './sqlite-database.ts';
import type { Image, ScanConfig } from './types.ts';

/**
 * Read queries the HTTP API needs and the Store does not offer (yet): image listing by keyset and
 * the tags a scan config covers. They read the same tables through their own connection, because
 * the Store hides its Kysely instance; once the Store grows these methods this file goes away.
 */
export interface ApiQueries {
  /** newest first seen first; `next` is an opaque cursor, absent on the last page */
  listImages(
    filter: { repository?: string; includeArchived?: boolean },
    cursor: string | undefined,
    limit: number,
  ): Promise<{ images: Image[]; next?: string }>;
  /** tag -> digest for the config's repository, in the registries the config names; by tag */
  tagsForConfig(config: ScanConfig): Promise<Array<{ tag: string; digest: string; lastScanned?: Date }>>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

const MAX_PAGE = 500;

function encodeCursor(firstSeen: number, id: string): string {
  return Buffer.from(JSON.stringify([firstSeen, id])).toString('base64url');
}

function decodeCursor(cursor: string): [number, string] {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && Number.isSafeInteger(value[0]) && typeof value[1] === 'string' && value.length === 2) {
      return value as [number, string];
    }
  } catch {
    // fall through to the usage error
  }
  throw new VigilError('VIGIL_USAGE', 'the page cursor is not one this server handed out', {});
}

export function apiQueriesOn(db: Kysely<Database>): ApiQueries {
  return {
    async listImages(filter, cursor, limit) {
      const size = Math.min(Math.max(Math.trunc(limit), 1), MAX_PAGE);
      let query = db.selectFrom('images').selectAll();
      if (filter.repository !== undefined) query = query.where('repository', '=', filter.repository);
      if (filter.includeArchived !== true) query = query.where('archived_at', 'is', null);
      if (cursor !== undefined) {
        const [firstSeen, id] = decodeCursor(cursor);
        // descending keyset: rows strictly before (first_seen, id)
        query = query.where((eb) => eb(eb.refTuple('first_seen', 'id'), '<', eb.tuple(firstSeen, id)));
      }
      const rows = await query
        .orderBy('first_seen', 'desc')
        .orderBy('id', 'desc')
        .limit(size + 1)
        .execute();
      const page = rows.slice(0, size);
      const last = page.at(-1);
      return {
        images: page.map(toImage),
        ...(rows.length > size && last !== undefined && { next: encodeCursor(last.first_seen, last.id) }),
      };
    },

    async tagsForConfig(config) {
      if (config.repository === undefined) return [];
      let registries = db.selectFrom('registries').select('id');
      if (config.registryId !== undefined) {
        registries = registries.where('id', '=', config.registryId);
      } else if (config.registry !== undefined) {
        registries = registries.where('aws_account_id', '=', config.registry);
        if (config.region !== undefined) registries = registries.where('region', '=', config.region);
      } else if (config.registryUrl !== undefined) {
        registries = registries.where('url', '=', config.registryUrl);
      } else {
        return [];
      }
      let query = db
        .selectFrom('tags as t')
        .select(['t.tag', 't.digest'])
        .select((eb) =>
          eb
            .selectFrom('images as i')
            .select((e) => e.fn.max('i.last_scanned').as('m'))
            .whereRef('i.digest', '=', 't.digest')
            .whereRef('i.registry_id', '=', 't.registry_id')
            .whereRef('i.repository', '=', 't.repository')
            .as('last_scanned'),
        )
        .where('t.repository', '=', config.repository)
        .where('t.registry_id', 'in', registries);
      if (config.tags !== null) {
        if (config.tags.length === 0) return [];
        query = query.where('t.tag', 'in', [...config.tags]);
      }
      const rows = await query.orderBy('t.tag').execute();
      return rows.map((r) => ({
        tag: r.tag,
        digest: r.digest,
        ...(r.last_scanned != null && { lastScanned: new Date(Number(r.last_scanned)) }),
      }));
    },

    async ping() {
      await sql`select 1`.execute(db);
    },

    close: () => db.destroy(),
  };
}

/** The same database URLs openStore takes; call after openStore so the schema exists. */
export function openApiQueries(url: string, options: SqliteOptions & PostgresOptions = {}): ApiQueries {
  if (isPostgresUrl(url)) return apiQueriesOn(openPostgres(url, { poolSize: 4, ...options }));
  const path = sqlitePath(url);
  if (path === undefined || path === '') {
    throw new VigilError('VIGIL_USAGE', 'database URL must be postgres://..., sqlite:///path or a file path', {
      scheme: url.split(':')[0],
    });
  }
  return apiQueriesOn(openSqlite(path, options));
}
