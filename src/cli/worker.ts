import { Command } from 'commander';
import { VigilError } from '../core/errors.ts';
import { openRuntime } from '../service/runtime/service.ts';
import { isPostgresUrl } from '../service/store/postgres-database.ts';
import { parseDuration } from '../vulndb/index.ts';
import { defaultDbPath } from './db.ts';
import { defaultDataDir } from './paths.ts';
import { wholeNumber } from './whole-number.ts';

/** Resolves on the first SIGINT or SIGTERM; a second one is left to Node (exit at once). */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.once('SIGINT', on);
    process.once('SIGTERM', on);
  });
}

interface WorkerFlags {
  database?: string;
  schema?: string;
  dataDir: string;
  concurrency: string;
  db: string;
  staleAfter: string;
  channels?: string;
  grace: string;
}

export function workerCommand(): Command {
  return new Command('worker')
    .description('Take scan jobs from the PostgreSQL queue (pg-boss); run any number of these')
    .option('--database <url>', 'postgres://... (the same one `vigil serve` uses; $VIGIL_DATABASE)')
    .option('--schema <name>', 'PostgreSQL schema for the tables (pg-boss uses <name>_jobs)')
    .option('--data-dir <dir>', 'layer and inventory cache ($VIGIL_DATA_DIR)', defaultDataDir())
    .option('--concurrency <n>', 'scans at once in this process', '2')
    .option('--db <path>', 'vulnerability database ($VIGIL_DB)', defaultDbPath())
    .option('--stale-after <duration>', 'data older than this resolves no finding', '3d')
    .option('--channels <file>', 'JSON array of notification channel configs')
    .option('--grace <duration>', 'how long running scans may finish on shutdown', '30s')
    .action(async (flags: WorkerFlags) => {
      // as `vigil serve` and `vigil token` read it
      const database = flags.database ?? process.env.VIGIL_DATABASE;
      if (database === undefined || !isPostgresUrl(database)) {
        throw new VigilError(
          'VIGIL_USAGE',
          'vigil worker takes jobs from PostgreSQL: --database postgres://... (or $VIGIL_DATABASE)',
        );
      }
      const concurrency = wholeNumber('--concurrency', flags.concurrency, 1);
      const graceMs = parseDuration(flags.grace);
      const runtime = await openRuntime({
        database,
        ...(flags.schema !== undefined && { schema: flags.schema }),
        dataDir: flags.dataDir,
        vulnDbPath: flags.db,
        staleAfterMs: parseDuration(flags.staleAfter),
        ...(flags.channels !== undefined && { channelsFile: flags.channels }),
        ...(process.env.VIGIL_SECRET_KEY !== undefined && { secretKey: process.env.VIGIL_SECRET_KEY }),
      });
      await runtime.queue.start(concurrency);
      process.stderr.write(`vigil: worker taking scan jobs (${concurrency} at once)\n`);
      await untilSignal();
      process.stderr.write('vigil: shutting down\n');
      await runtime.close(graceMs);
    });
}
