import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { VigilError } from '../core/errors.ts';
import { makeDirectory } from '../core/make-directory.ts';
import { API_CONNECTIONS } from '../service/runtime/api-threads.ts';
import { startService } from '../service/runtime/service.ts';
import { parseDuration, selectSources, toUrl } from '../vulndb/index.ts';
import { defaultDbPath } from './db.ts';
import { defaultDataDir } from './paths.ts';
import { wholeNumber } from './whole-number.ts';
import { untilSignal } from './worker.ts';

interface ServeFlags {
  database?: string;
  schema?: string;
  dataDir: string;
  listen: string;
  /** false with --no-workers */
  workers: string | false;
  scheduler: boolean;
  db: string;
  staleAfter: string;
  channels?: string;
  grace: string;
  apiThreads: string;
  apiConnections: string;
  dbSource?: string;
  dbWatch: string;
  /** false with --no-db-update */
  dbUpdate: boolean;
}

/** "127.0.0.1:8080", "[::1]:8080" or ":8080" (all interfaces) */
export function parseListen(text: string): { host: string; port: number } {
  const match = /^(?:\[([0-9a-f:.]+)\]|([^:[\]]*)):(\d{1,5})$/i.exec(text.trim());
  const port = Number(match?.[3]);
  if (match === null || !Number.isInteger(port) || port > 65_535) {
    throw new VigilError('VIGIL_USAGE', `--listen must be HOST:PORT, not "${text}"`);
  }
  return { host: match[1] ?? (match[2] || '0.0.0.0'), port };
}

/** the default --api-threads is one per core, up to this many */
const MAX_API_THREADS = 4;

/**
 * One per core on Linux, where SO_REUSEPORT spreads connections over the threads' sockets; one
 * elsewhere, where Node refuses `reusePort` on some systems (macOS, Windows) and the rest are
 * untested here.
 */
const defaultApiThreads = (): number =>
  process.platform === 'linux' ? Math.min(availableParallelism(), MAX_API_THREADS) : 1;

export function serveCommand(): Command {
  return new Command('serve')
    .description('Watch registries: the API, scheduled discovery and re-matching, scan workers')
    .option('--database <url>', 'postgres://... or sqlite:///path ($VIGIL_DATABASE; default: sqlite under --data-dir)')
    .option('--schema <name>', 'PostgreSQL schema for the tables (pg-boss uses <name>_jobs)')
    .option('--data-dir <dir>', 'state, cache and the default database ($VIGIL_DATA_DIR)', defaultDataDir())
    .option('--listen <host:port>', 'where the API listens', '127.0.0.1:8080')
    .option('--workers <n>', 'scan workers in this process', '2')
    .option(
      '--api-threads <n>',
      'threads answering API requests on the one port, each with its own database connection',
      String(defaultApiThreads()),
    )
    .option(
      '--api-connections <n>',
      'PostgreSQL connections of each API thread (more suit a database far away)',
      String(API_CONNECTIONS),
    )
    .option('--no-workers', 'take no scan jobs here (API-only node; `vigil worker` processes scan)')
    .option('--no-scheduler', 'no schedules here (with several nodes, each firing runs on one of them anyway)')
    .option('--db <path>', 'vulnerability database ($VIGIL_DB)', defaultDbPath())
    .option(
      '--db-source <url>',
      'OSV mirror the scheduled `db update` reads (as `vigil db update --source`: no other feed then)',
    )
    .option('--no-db-update', 'no scheduled `db update` (the file is updated from outside; a change is re-matched)')
    .option('--db-watch <duration>', 'how often to look for a DB file changed from outside, to re-match', '1m')
    .option('--stale-after <duration>', 'data older than this resolves no finding', '3d')
    .option('--channels <file>', 'JSON array of notification channel configs')
    .addOption(new Option('--grace <duration>', 'how long running scans may finish on shutdown').default('30s'))
    .action(async (flags: ServeFlags) => {
      const listen = parseListen(flags.listen);
      const workers = flags.workers === false ? 0 : wholeNumber('--workers', flags.workers, 0);
      const apiThreads = wholeNumber('--api-threads', flags.apiThreads, 1, 64);
      const apiConnections = wholeNumber('--api-connections', flags.apiConnections, 1, 100);
      const staleAfterMs = parseDuration(flags.staleAfter);
      const graceMs = parseDuration(flags.grace);
      const dbWatchMs = parseDuration(flags.dbWatch);
      const hookSecret = process.env.VIGIL_HOOK_SECRET;
      if (hookSecret !== undefined && hookSecret.length < 16) {
        throw new VigilError('VIGIL_USAGE', 'VIGIL_HOOK_SECRET must be at least 16 characters');
      }
      // a fresh machine has no data dir yet; the SQLite file and the cache live there
      makeDirectory(flags.dataDir);
      const service = await startService({
        database: flags.database ?? process.env.VIGIL_DATABASE ?? `sqlite://${join(flags.dataDir, 'vigil.db')}`,
        ...(flags.schema !== undefined && { schema: flags.schema }),
        dataDir: flags.dataDir,
        vulnDbPath: flags.db,
        staleAfterMs,
        ...(flags.channels !== undefined && { channelsFile: flags.channels }),
        ...(process.env.VIGIL_SECRET_KEY !== undefined && { secretKey: process.env.VIGIL_SECRET_KEY }),
        ...(hookSecret !== undefined && { hookSecret }),
        host: listen.host,
        port: listen.port,
        workers,
        scheduler: flags.scheduler,
        dbWatchMs,
        ...(!flags.dbUpdate
          ? { dbUpdateSources: [] }
          : flags.dbSource !== undefined && { dbUpdateSources: selectSources({ osvBaseUrl: toUrl(flags.dbSource) }) }),
        apiThreads,
        apiConnections,
      });
      process.stderr.write(`vigil: serving on ${service.url} (${workers} workers, ${apiThreads} API threads)\n`);
      await untilSignal();
      process.stderr.write('vigil: shutting down\n');
      await service.stop(graceMs);
    });
}
