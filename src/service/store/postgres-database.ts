import { createHash } from 'node:crypto';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database as Schema } from './schema.ts';

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * node-postgres returns int8 (bigint columns, count(*)) and numeric (sum()) as strings because they
 * can exceed 2^53. Every such value here is an epoch-millisecond time or a row count, far below
 * that, so they are read as numbers: the same shapes SQLite returns.
 */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID || oid === NUMERIC_OID
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/**
 * SQL texts to run as named (prepared) statements, with their names. PostgreSQL plans an unnamed
 * statement on every execution, and for a findings page planning cost as much as running it
 * (0.34 against 0.36 ms): a named one is planned once per connection. Only texts a module asks for
 * are named (`preparedOnPostgres`), so each connection holds a bounded set.
 */
const preparedNames = new Map<string, string>();
const MAX_PREPARED = 256;

/** Runs `sql` as a named statement from now on, on every PostgreSQL store of this process. */
export function preparedOnPostgres(sql: string): void {
  if (preparedNames.has(sql) || preparedNames.size >= MAX_PREPARED) return;
  preparedNames.set(sql, `vigil_${createHash('sha256').update(sql).digest('hex').slice(0, 32)}`);
}

/**
 * A pg client that sends the registered texts as named statements (node-postgres prepares each
 * once), and that answers a query without a callback (Kysely's form) through a promise of its own
 * over the callback form. node-postgres's own promise kept every result it resolved alive past
 * young-generation collections until the next full one (measured on pg 8.23, Node 24: 20-69% of
 * what a findings page allocated survived each scavenge, against under 1% through a callback);
 * in the API server that was most of its garbage-collection time.
 */
class PreparingClient extends pg.Client {
  // biome-ignore lint/suspicious/noExplicitAny: pg's query() has a dozen overloads; this forwards all
  override query(config: any, values?: any, callback?: any): any {
    const name = typeof config === 'string' && Array.isArray(values) ? preparedNames.get(config) : undefined;
    const callbackGiven =
      typeof values === 'function' || typeof callback === 'function' || typeof config?.callback === 'function';
    // a Submittable (pg-cursor, pg-query-stream) is returned as it is, and a callback is pg's
    if (callbackGiven || typeof config?.submit === 'function') {
      return name === undefined
        ? super.query(config, values, callback)
        : super.query({ name, text: config, values }, callback);
    }
    return new Promise((resolve, reject) => {
      const done = (err: Error | null, result: unknown) => (err ? reject(err) : resolve(result));
      if (name !== undefined) super.query({ name, text: config, values }, done);
      else if (values === undefined) super.query(config, done);
      else super.query(config, values, done);
    }).catch((err: unknown) => {
      // as node-postgres does: a stack that leads back to the caller, not to the socket's read
      if (err instanceof Error) Error.captureStackTrace(err);
      throw err;
    });
  }
}

export interface PostgresOptions {
  /** schema for every table (created if missing); default: the server's search_path */
  readonly schema?: string;
  readonly poolSize?: number;
}

export function openPostgres(url: string, options: PostgresOptions = {}): Kysely<Schema> {
  const schema = options.schema;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(schema)) {
    throw new TypeError(`schema ${JSON.stringify(schema)} is not a lowercase SQL identifier`);
  }
  const pool = new pg.Pool({
    Client: PreparingClient,
    connectionString: url,
    max: options.poolSize ?? 10,
    types,
    ...(schema !== undefined && { options: `-c search_path=${schema}` }),
  });
  return new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
}

export const isPostgresUrl = (url: string): boolean => /^postgres(ql)?:\/\//i.test(url);
