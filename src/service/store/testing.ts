import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { Finding, Inventory, Package, Severity } from '../../core/types.ts';
import { openStore } from './open-store.ts';
import type { Store } from './types.ts';

/** Test support: a fresh database per test on each dialect, and findings/inventories to feed it. */

export interface TestDatabase {
  readonly store: Store;
  /** another Store on the same database (another process, as far as the database can tell) */
  reopen(): Promise<Store>;
  /** how to open it again, for tests that hand it to a child process */
  readonly url: string;
  readonly schema?: string;
  cleanup(): Promise<void>;
}

export interface TestDialect {
  readonly name: 'sqlite' | 'postgres';
  /** set when the dialect cannot run here */
  readonly skipReason?: string;
  open(): Promise<TestDatabase>;
}

const pgUrl = process.env.VIGIL_TEST_PG;

async function openSqliteDatabase(): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-store-'));
  const file = join(dir, 'vigil.db');
  const stores: Store[] = [];
  const open = async () => {
    const store = await openStore(`sqlite://${file}`);
    stores.push(store);
    return store;
  };
  return {
    store: await open(),
    reopen: open,
    url: `sqlite://${file}`,
    cleanup: async () => {
      for (const s of stores) await s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Each test owns a schema, so parallel runs and other suites on the same server never collide. */
async function openPostgresDatabase(url: string): Promise<TestDatabase> {
  const schema = `vigil_test_${randomBytes(6).toString('hex')}`;
  const stores: Store[] = [];
  const open = async () => {
    const store = await openStore(url, { schema, poolSize: 4 });
    stores.push(store);
    return store;
  };
  return {
    store: await open(),
    reopen: open,
    url,
    schema,
    cleanup: async () => {
      for (const s of stores) await s.close();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`drop schema if exists ${schema} cascade`);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * Runs one SQL statement on the test database outside the store: for tests that must put the
 * database in a state the store no longer writes (rows from an older version, say).
 */
export async function executeRaw(database: TestDatabase, statement: string): Promise<void> {
  if (database.url.startsWith('sqlite://')) {
    const db = new Database(database.url.slice('sqlite://'.length));
    try {
      db.exec(statement);
    } finally {
      db.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    await client.query(`set search_path to ${database.schema}`);
    await client.query(statement);
  } finally {
    await client.end();
  }
}

export const dialects: readonly TestDialect[] = [
  { name: 'sqlite', open: openSqliteDatabase },
  {
    name: 'postgres',
    ...(pgUrl === undefined && {
      skipReason: 'VIGIL_TEST_PG is unset (CI sets it to postgres://postgres@127.0.0.1:5432/test)',
    }),
    open: () => openPostgresDatabase(pgUrl as string),
  },
];

export const digestOf = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;

export function aFinding(
  id: string,
  pkg = 'openssl',
  severity: Severity = 'HIGH',
  extra: Partial<Pick<Finding, 'fixState' | 'kev' | 'summary'>> = {},
): Finding {
  return {
    id,
    aliases: [],
    sources: [`DEBIAN-${id}`],
    package: {
      name: pkg,
      version: '1.0-1',
      type: 'deb',
      ecosystem: 'Debian:12',
      purl: `pkg:deb/debian/${pkg}@1.0-1?distro=debian-12`,
      locations: ['var/lib/dpkg/status'],
    },
    fixedVersions: extra.fixState === 'fixed' ? ['1.0-2'] : [],
    fixState: extra.fixState ?? 'not-fixed',
    severity,
    cvss: [],
    urls: [],
    ...(extra.kev !== undefined && { kev: extra.kev }),
    ...(extra.summary !== undefined && { summary: extra.summary }),
  };
}

export function anInventory(digest: string, packages: ReadonlyArray<Partial<Package> & { name: string }>): Inventory {
  return {
    schemaVersion: 1,
    image: {
      ref: `registry.test/app@${digest}`,
      transport: 'registry',
      manifestDigest: digest,
      configDigest: digest,
      platform: { os: 'linux', architecture: 'amd64' },
      layers: [],
    },
    distro: { id: 'debian', versionId: '12', source: 'etc/os-release' },
    packages: packages.map((p) => ({
      type: 'deb',
      version: '1.0-1',
      purl: `pkg:deb/debian/${p.name}@1.0-1`,
      locations: ['var/lib/dpkg/status'],
      ...p,
    })),
    warnings: [],
    extractors: ['os/dpkg@1'],
    createdAt: '2026-11-01T00:00:00.000Z',
  };
}
