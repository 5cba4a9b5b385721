import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OsvRecord } from '../../core/osv.ts';
import { createTransport, type UpdateResult, updateDatabase, type VulnSource } from '../../vulndb/index.ts';
import { inlineSource, osvRecord } from '../../vulndb/testing.ts';
import type { NotifyEvent } from '../notify/types.ts';
import { openRuntimeQueries } from '../store/runtime-queries.ts';
import { openScanQueueQueries } from '../store/scan-queue.ts';
import type { TestDatabase } from '../store/testing.ts';
import type { RuntimeContext } from './context.ts';
import { openVulnData } from './vuln-data.ts';

/**
 * Test support for the runtime: a context on a test database with a vulnerability DB file built
 * from given records, a pinned clock that tests move, and a notifier that records each dispatch.
 */
export interface RuntimeHarness {
  readonly ctx: RuntimeContext;
  readonly dir: string;
  readonly dbPath: string;
  /** every dispatch, one array per call */
  readonly dispatched: NotifyEvent[][];
  setNow(at: Date): void;
  /** builds (or updates) the vulnerability DB; records go in as one `osv:npm` source */
  updateVulnDb(records: readonly OsvRecord[], options?: { failWith?: Error }): Promise<UpdateResult>;
  close(): Promise<void>;
}

export const T0 = new Date('2026-11-01T08:00:00Z');

/** an npm advisory for `name` below `fixed`, aliased to a CVE so findings carry the CVE id */
export const npmAdvisory = (id: string, name: string, fixed: string, cve: string): OsvRecord =>
  osvRecord(id, { ecosystem: 'npm', name, fixed, aliases: [cve] });

export async function openRuntimeHarness(database: TestDatabase): Promise<RuntimeHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-runtime-'));
  const dbPath = join(dir, 'vuln.db');
  let now = T0;
  const jobs = await openScanQueueQueries(database.url, {
    ...(database.schema !== undefined && { schema: database.schema }),
  });
  const queries = openRuntimeQueries(database.url, {
    ...(database.schema !== undefined && { schema: database.schema }),
  });
  const vulnDb = openVulnData(dbPath);
  const dispatched: NotifyEvent[][] = [];
  const ctx: RuntimeContext = {
    store: database.store,
    jobs,
    queries,
    vulnDb,
    notifier: {
      dispatch: async (events) => {
        dispatched.push([...events]);
        return [];
      },
    },
    cacheDir: join(dir, 'cache'),
    now: () => now,
    staleAfterMs: 3 * 24 * 3_600_000,
  };
  return {
    ctx,
    dir,
    dbPath,
    dispatched,
    setNow: (at) => {
      now = at;
    },
    updateVulnDb: (records, options = {}) => {
      const source: VulnSource = inlineSource(
        'osv:npm',
        records.map((record) => ({ kind: 'osv', record })),
        options.failWith,
      );
      return updateDatabase({ dbPath, sources: [source], transport: createTransport(), now: () => now });
    },
    close: async () => {
      vulnDb.close();
      await jobs.close();
      await queries.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
