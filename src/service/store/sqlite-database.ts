import { setTimeout as delay } from 'node:timers/promises';
import Database from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  Kysely,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
} from 'kysely';
import type { Database as Schema } from './schema.ts';

/** synchronous busy wait of a statement outside a write transaction (a reader meeting a checkpoint) */
const STATEMENT_BUSY_MS = 50;

/**
 * Kysely's SQLite BEGIN is DEFERRED: a transaction that reads first and writes later fails with
 * SQLITE_BUSY (without waiting on busy_timeout) when another connection wrote in between. BEGIN
 * IMMEDIATE takes the write lock up front. Waiting for it is done here, asynchronously, rather than
 * by SQLite's busy handler: better-sqlite3 is synchronous, so the busy handler would block the event
 * loop, and when the lock holder is another store in this same process it could never finish.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  readonly #lockWaitMs: number;
  constructor(config: SqliteDialectConfig, lockWaitMs: number) {
    super(config);
    this.#lockWaitMs = lockWaitMs;
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const deadline = performance.now() + this.#lockWaitMs;
    await connection.executeQuery(CompiledQuery.raw('pragma busy_timeout = 0'));
    try {
      for (let pause = 2; ; pause = Math.min(pause * 2, 100)) {
        try {
          await connection.executeQuery(CompiledQuery.raw('begin immediate'));
          return;
        } catch (err) {
          if ((err as { code?: string }).code !== 'SQLITE_BUSY' || performance.now() >= deadline) throw err;
        }
        await delay(pause);
      }
    } finally {
      await connection.executeQuery(CompiledQuery.raw(`pragma busy_timeout = ${STATEMENT_BUSY_MS}`));
    }
  }
}

/** statements kept prepared per connection; the store issues a few dozen distinct SQL texts */
const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely's SQLite driver prepares every query anew, and a better-sqlite3 statement's native memory
 * is freed only when V8 collects its small wrapper, which a mostly idle JavaScript heap rarely
 * does: re-matching 250 stored images grew RSS by ~70 MB each time, outside the heap, and 10,000
 * images reached 4 GB. Reusing one prepared statement per SQL text (LRU) keeps it flat. Safe
 * because the store never streams (an iterating statement cannot be run again until it ends).
 */
function withStatementCache(database: Database.Database): SqliteDialectConfig['database'] {
  const statements = new Map<string, Database.Statement>();
  return {
    close: () => {
      statements.clear();
      database.close();
    },
    prepare: (sql: string) => {
      let statement = statements.get(sql);
      if (statement !== undefined) {
        statements.delete(sql);
      } else {
        statement = database.prepare(sql);
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value as string);
      }
      statements.set(sql, statement);
      return statement;
    },
  };
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #database: SqliteDialectConfig['database'];
  readonly #lockWaitMs: number;
  constructor(database: Database.Database, lockWaitMs: number) {
    const cached = withStatementCache(database);
    super({ database: cached });
    this.#database = cached;
    this.#lockWaitMs = lockWaitMs;
  }
  override createDriver(): SqliteDriver {
    return new ImmediateSqliteDriver({ database: this.#database }, this.#lockWaitMs);
  }
}

export interface SqliteOptions {
  /** how long a writer waits for another process's write lock (default 10 s) */
  readonly busyTimeoutMs?: number;
}

export function openSqlite(path: string, options: SqliteOptions = {}): Kysely<Schema> {
  const database = new Database(path, { timeout: STATEMENT_BUSY_MS });
  // WAL: readers never block the writer, and a killed writer leaves the last commit intact
  database.pragma('journal_mode = WAL');
  // NORMAL is durable across process crashes in WAL mode; only an OS crash can lose the last commit
  database.pragma('synchronous = NORMAL');
  return new Kysely<Schema>({ dialect: new ImmediateSqliteDialect(database, options.busyTimeoutMs ?? 10_000) });
}

/**
 * `sqlite:///abs/path.db`, `sqlite://rel/path.db`, `sqlite:path.db` or a plain path; undefined when
 * the URL names another database.
 */
export function sqlitePath(url: string): string | undefined {
  if (url.startsWith('sqlite://')) return decodeURIComponent(url.slice('sqlite://'.length));
  if (url.startsWith('sqlite:')) return decodeURIComponent(url.slice('sqlite:'.length));
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return undefined;
  return url;
}
