import type { Kysely, Transaction } from 'kysely';
import type { StoreDialect } from './migrations.ts';
import type { Database } from './schema.ts';

/** What every store module works with: the database and a way to run one write transaction. */
export interface StoreContext {
  readonly db: Kysely<Database>;
  readonly dialect: StoreDialect;
  /**
   * Runs `work` in one transaction: committed whole or not at all, so a crash (kill -9) mid-way
   * leaves the previous state. On SQLite the transaction starts IMMEDIATE (see sqlite-database.ts).
   */
  write<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T>;
}

export function contextFor(db: Kysely<Database>, dialect: StoreDialect): StoreContext {
  return {
    db,
    dialect,
    write: (work) => db.transaction().execute(work),
  };
}

export const toFlag = (value: boolean | undefined): number => (value === true ? 1 : 0);
export const toDate = (millis: number | null): Date | undefined => (millis === null ? undefined : new Date(millis));

/** a UNIQUE constraint said no: SQLite's extended code or PostgreSQL's SQLSTATE 23505 */
export const isUniqueViolation = (err: unknown): boolean => {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
};

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** PostgreSQL rejects a malformed uuid literal with an error; an unknown id must read as "not found" */
export const isUuid = (id: string): boolean => uuidPattern.test(id);

/** rows per multi-row INSERT: well under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters */
export const INSERT_CHUNK = 500;

export function chunks<T>(items: readonly T[], size = INSERT_CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
