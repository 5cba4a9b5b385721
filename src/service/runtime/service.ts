import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { createApi } from '../../api/index.ts';
import { createTransport, nativeFeedNames, selectSources, type VulnSource } from '../../vulndb/index.ts';
import { createSecretBox } from '../secrets.ts';
import { storeDeliveryLog } from '../store/channel-store.ts';
import { openStore } from '../store/index.ts';
import { isPostgresUrl } from '../store/postgres-database.ts';
import { openRuntimeQueries, type RuntimeQueries } from '../store/runtime-queries.ts';
import { openScanQueueQueries, type ScanQueueQueries } from '../store/scan-queue.ts';
import type { Store } from '../store/types.ts';
import { API_CONNECTIONS, ApiThreads, openApiStore } from './api-threads.ts';
import type { RuntimeContext } from './context.ts';
import { createDbWatch } from './db-watch.ts';
import { LiveNotifier } from './live-notifier.ts';
import { createPgBossQueue } from './pgboss-queue.ts';
import { pushAcceptor, registerPushHooks } from './push-hooks.ts';
import type { JobQueue } from './queue.ts';
import { createScheduler, type Scheduler } from './scheduler.ts';
import { createSqliteQueue } from './sqlite-queue.ts';
import { openVulnData, type VulnData } from './vuln-data.ts';

export interface RuntimeOptions {
  /** postgres://... or sqlite:///path (default: sqlite under the data dir) */
  readonly database: string;
  /** PostgreSQL schema for the Store's tables; pg-boss takes `<schema>_jobs` (default vigil_jobs) */
  readonly schema?: string;
  readonly dataDir: string;
  readonly vulnDbPath: string;
  readonly staleAfterMs: number;
  /** a JSON file holding an array of notification channel configs (see src/service/notify) */
  readonly channelsFile?: string;
  /** VIGIL_SECRET_KEY: opens stored registry credentials */
  readonly secretKey?: string;
  readonly logger?: Logger;
}

/** The parts every service process opens: the Store, the runtime context and the job queue. */
export interface Runtime {
  readonly ctx: RuntimeContext;
  readonly queue: JobQueue;
  /**
   * the store's channels as they are now (see live-notifier.ts) and the file's, logging to the
   * store: failed deliveries outlive a restart
   */
  readonly notifier: LiveNotifier;
  close(graceMs?: number): Promise<void>;
}

export async function openRuntime(options: RuntimeOptions): Promise<Runtime> {
  const logger = options.logger ?? pino({ level: 'info' });
  const storeOptions = options.schema === undefined ? {} : { schema: options.schema };
  const opened: Array<{ close(): Promise<void> | void }> = [];
  try {
    const store: Store = await openStore(options.database, storeOptions);
    opened.push(store);
    const jobs: ScanQueueQueries = await openScanQueueQueries(options.database, storeOptions);
    opened.push(jobs);
    const queries: RuntimeQueries = openRuntimeQueries(options.database, storeOptions);
    opened.push(queries);
    const vulnDb: VulnData = openVulnData(options.vulnDbPath);
    opened.push(vulnDb);
    const secretBox = options.secretKey === undefined ? undefined : createSecretBox(options.secretKey);
    const fileChannels =
      options.channelsFile === undefined ? [] : (JSON.parse(await readFile(options.channelsFile, 'utf8')) as unknown[]);
    const notifier = new LiveNotifier({ store, secretBox, fileChannels, log: storeDeliveryLog(store), logger });
    // a broken channels file stops the start, not the first notification
    await notifier.current();
    const ctx: RuntimeContext = {
      store,
      jobs,
      queries,
      vulnDb,
      notifier,
      cacheDir: join(options.dataDir, 'cache'),
      now: () => new Date(),
      staleAfterMs: options.staleAfterMs,
      ...(secretBox !== undefined && { secretBox }),
      logger,
    };
    const queue = isPostgresUrl(options.database)
      ? createPgBossQueue(ctx, {
          url: options.database,
          schema: options.schema === undefined ? 'vigil_jobs' : `${options.schema}_jobs`,
        })
      : createSqliteQueue(ctx);
    return {
      ctx,
      queue,
      notifier,
      async close(graceMs) {
        await queue.stop(graceMs);
        for (const part of opened.reverse()) await part.close();
      },
    };
  } catch (err) {
    for (const part of opened.reverse()) await part.close();
    throw err;
  }
}

export interface ServeOptions extends RuntimeOptions {
  readonly host: string;
  readonly port: number;
  /** in-process scan workers; 0 for an API-only node */
  readonly workers: number;
  /** schedules (discovery, db update, re-match, scan age); run them on one node only */
  readonly scheduler: boolean;
  /**
   * scheduled `db update` sources; absent: what `vigil db update` reads by default; empty: no
   * scheduled update (the file is updated from outside, and re-matched when it changes)
   */
  readonly dbUpdateSources?: readonly VulnSource[];
  /** how often the scheduler looks for a DB file changed from outside (default a minute) */
  readonly dbWatchMs?: number;
  /** the push hooks' shared secret; absent: the hooks are not mounted */
  readonly hookSecret?: string;
  /**
   * threads serving the API, this one included (default 1): more use more cores for requests, each
   * with its own store connection (api-threads.ts)
   */
  readonly apiThreads?: number;
  /** PostgreSQL connections of each API thread's store (default API_CONNECTIONS, api-threads.ts) */
  readonly apiConnections?: number;
}

export interface Service {
  readonly app: FastifyInstance;
  readonly runtime: Runtime;
  readonly scheduler?: Scheduler;
  /** the API's other threads, when `apiThreads` > 1 */
  readonly apiThreads?: ApiThreads;
  /** the address the API listens on */
  readonly url: string;
  /**
   * Graceful shutdown: stop accepting requests and taking jobs, let running scans finish for
   * `graceMs` (the rest are handed back to the queue), stop the schedules, close the store.
   */
  stop(graceMs?: number): Promise<void>;
}

/** `vigil serve`: the API, the push hooks, the scheduler and in-process workers over one Store. */
export async function startService(options: ServeOptions): Promise<Service> {
  const runtime = await openRuntime(options);
  const { ctx, queue } = runtime;
  const apiThreads = options.apiThreads ?? 1;
  const threads = apiThreads > 1 ? new ApiThreads((message, err) => ctx.logger?.error({ err }, message)) : undefined;
  const acceptPush = pushAcceptor(ctx, queue);
  const connections = options.apiConnections ?? API_CONNECTIONS;
  // on PostgreSQL the main thread's API reads through a store of its own, as each API thread does
  let apiStore: Store = ctx.store;
  if (isPostgresUrl(options.database)) {
    try {
      apiStore = await openApiStore(options.database, { schema: options.schema, connections });
    } catch (err) {
      await runtime.close(0);
      throw err;
    }
  }
  const closeApiStore = async () => {
    if (apiStore !== ctx.store) await apiStore.close();
  };
  const app = createApi({
    store: apiStore,
    secretBox: ctx.secretBox,
    scanQueue: queue,
    replay: (deliveryId) => runtime.notifier.replay(deliveryId),
    // the status page shows the vulnerability data's age and sources, and warns when stale
    vulnDb: { status: () => ctx.vulnDb.reader()?.status(), staleAfterMs: ctx.staleAfterMs },
    ...(ctx.logger !== undefined && { logger: ctx.logger as unknown as FastifyBaseLogger }),
    ...(threads !== undefined && { threads: threads.link() }),
  });
  if (options.hookSecret !== undefined) registerPushHooks(app, { accept: acceptPush, secret: options.hookSecret });
  let scheduler: Scheduler | undefined;
  try {
    const listen = { host: options.host, port: options.port };
    if (threads === undefined) {
      await app.listen(listen);
    } else {
      await threads.start(
        app,
        listen,
        apiThreads - 1,
        {
          database: options.database,
          ...(options.schema !== undefined && { schema: options.schema }),
          vulnDbPath: options.vulnDbPath,
          staleAfterMs: options.staleAfterMs,
          ...(options.secretKey !== undefined && { secretKey: options.secretKey }),
          ...(options.hookSecret !== undefined && { hookSecret: options.hookSecret }),
          ...(ctx.logger !== undefined && { logLevel: ctx.logger.level }),
          connections,
        },
        { enqueue: (job) => queue.enqueue(job), replay: (id) => runtime.notifier.replay(id), acceptPush },
      );
    }
    if (options.workers > 0) await queue.start(options.workers);
    if (options.scheduler) {
      const sources = options.dbUpdateSources ?? selectSources({ feeds: nativeFeedNames });
      scheduler = createScheduler(ctx, {
        queue,
        // the link the watch keeps is per store: services with separate stores may share a DB file
        dbWatch: createDbWatch(ctx, `${options.database}\u0000${options.schema ?? ''}`),
        ...(options.dbWatchMs !== undefined && { dbWatchMs: options.dbWatchMs }),
        ...(sources.length > 0 && { dbUpdate: { sources, transport: createTransport() } }),
      });
      await scheduler.start();
    }
  } catch (err) {
    await threads?.stop();
    await app.close();
    await closeApiStore();
    await runtime.close(0);
    throw err;
  }
  const address = app.server.address();
  const url = typeof address === 'object' && address !== null ? `http://${options.host}:${address.port}` : '';
  return {
    app,
    runtime,
    ...(scheduler !== undefined && { scheduler }),
    ...(threads !== undefined && { apiThreads: threads }),
    url,
    async stop(graceMs = 30_000) {
      await Promise.all([app.close(), threads?.stop()]);
      await closeApiStore();
      await scheduler?.stop();
      await runtime.close(graceMs);
    },
  };
}
