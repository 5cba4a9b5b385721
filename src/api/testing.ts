import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import pg from 'pg';
import pino from 'pino';
import { afterEach, beforeEach } from 'vitest';
import { API_CONNECTIONS } from '../service/runtime/api-threads.ts';
import { createSecretBox, type SecretBox } from '../service/secrets.ts';
import { openStore } from '../service/store/open-store.ts';
import type { Store, TokenRole } from '../service/store/types.ts';
import { issueToken } from './auth.ts';
import { type ApiOptions, createApi } from './index.ts';

/** Test support: an API over a fresh store on each dialect, with a token per role and a log capture. */

export const TEST_SECRET_KEY = 'test-secret-key-0123456789abcdefghijklmnop';
export const FIXED_NOW = new Date('2026-11-02T10:00:00.000Z');

export interface ApiHarness {
  readonly app: FastifyInstance;
  readonly store: Store;
  readonly secretBox: SecretBox;
  /** a live token per role */
  readonly tokens: Record<TokenRole, string>;
  /** every log line the API wrote, as JSON text */
  readonly logLines: string[];
  readonly queued: Array<{ scanId: string; digest: string; requestedBy: string }>;
  auth(role: TokenRole): { authorization: string };
  close(): Promise<void>;
}

interface OpenedDatabase {
  readonly url: string;
  readonly schema?: string;
  drop(): Promise<void>;
}

export interface ApiDialect {
  readonly name: 'sqlite' | 'postgres';
  readonly skipReason?: string;
  open(): Promise<OpenedDatabase>;
}

const pgUrl = process.env.VIGIL_TEST_PG;

export const apiDialects: readonly ApiDialect[] = [
  {
    name: 'sqlite',
    open: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'vigil-api-'));
      return {
        url: `sqlite://${join(dir, 'vigil.db')}`,
        drop: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'postgres',
    ...(pgUrl === undefined && {
      skipReason: 'VIGIL_TEST_PG is unset (CI sets it to postgres://postgres@127.0.0.1:5432/test)',
    }),
    open: async () => {
      const schema = `vigil_api_test_${randomBytes(6).toString('hex')}`;
      return {
        url: pgUrl as string,
        schema,
        drop: async () => {
          const client = new pg.Client({ connectionString: pgUrl });
          await client.connect();
          try {
            await client.query(`drop schema if exists ${schema} cascade`);
          } finally {
            await client.end();
          }
        },
      };
    },
  },
];

/**
 * Kysely's Migrator looks for its table by listing every table of every schema; on a PostgreSQL
 * shared with other suites, a schema dropped during that listing fails it with 3F000 ("schema
 * does not exist"), naming someone else's schema. That race is not this test's business: retry.
 */
async function openStoreRetrying(url: string, options: Parameters<typeof openStore>[1]): Promise<Store> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await openStore(url, options);
    } catch (err) {
      const code = ((err as Error).cause as { code?: string } | undefined)?.code;
      if (code !== '3F000' || attempt >= 5) throw err;
    }
  }
}

/**
 * Opens a harness before each test of `dialect` (the test is skipped where the dialect cannot run
 * here) and closes the one in use after it: `slot` is the test file's own variable, which a test
 * may point at another harness it opened.
 */
export function harnessPerTest(
  dialect: ApiDialect,
  slot: { set(opened: ApiHarness): void; get(): ApiHarness | undefined },
): void {
  beforeEach(async (ctx) => {
    if (dialect.skipReason !== undefined) ctx.skip(dialect.skipReason);
    slot.set(await openHarness(dialect));
  });
  afterEach(async () => {
    await slot.get()?.close();
  });
}

export async function openHarness(
  dialect: ApiDialect,
  options: Partial<Pick<ApiOptions, 'scanQueue' | 'bodyLimit'>> & { secretBox?: SecretBox | null; now?: Date } = {},
): Promise<ApiHarness> {
  const database = await dialect.open();
  // one connection, as each of `vigil serve`'s API threads has (API_CONNECTIONS): a route that
  // held two at once would hang here
  const storeOptions = database.schema === undefined ? {} : { schema: database.schema, poolSize: API_CONNECTIONS };
  const store = await openStoreRetrying(database.url, storeOptions);
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const logger = pino({ level: 'trace' }, sink) as unknown as FastifyBaseLogger;
  const secretBox = createSecretBox(TEST_SECRET_KEY);
  const queued: ApiHarness['queued'] = [];
  const tokens = {} as Record<TokenRole, string>;
  for (const role of ['viewer', 'operator', 'admin'] as const) {
    tokens[role] = (await issueToken(store, { name: `${role}-token`, role }, FIXED_NOW)).token;
  }
  const app = createApi({
    store,
    secretBox: options.secretBox === null ? undefined : (options.secretBox ?? secretBox),
    scanQueue: options.scanQueue ?? {
      enqueue: async (job) => {
        queued.push({ ...job });
      },
    },
    logger,
    now: () => options.now ?? FIXED_NOW,
    ...(options.bodyLimit !== undefined && { bodyLimit: options.bodyLimit }),
  });
  await app.ready();
  return {
    app,
    store,
    secretBox,
    tokens,
    logLines,
    queued,
    auth: (role) => ({ authorization: `Bearer ${tokens[role]}` }),
    close: async () => {
      await app.close();
      await store.close();
      await database.drop();
    },
  };
}
