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
    connectionString: url,
    max: options.poolSize ?? 10,
    types,
    ...(schema !== undefined && { options: `-c search_path=${schema}` }),
  });
  return new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
}

export const isPostgresUrl = (url: string): boolean => /^postgres(ql)?:\/\//i.test(url);
