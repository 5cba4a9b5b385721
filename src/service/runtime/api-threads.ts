import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FastifyInstance } from 'fastify';
import type { ApiThreadLink } from '../../api/index.ts';
import { RequestMetrics, type SeriesSnapshot } from '../../api/metrics.ts';
import type { DeliveryRecord } from '../notify/index.ts';
import { openStore } from '../store/index.ts';
import type { Store } from '../store/types.ts';
import type { PushAcceptor } from './push-hooks.ts';
import type { ScanJob } from './queue.ts';
import { ThreadRpc } from './thread-rpc.ts';

/**
 * What an API thread opens for itself: its own store over the same database, its own view of the
 * vulnerability DB (for the status page), the same secret key and hook secret.
 */
export interface ApiThreadConfig {
  readonly database: string;
  readonly schema?: string;
  readonly vulnDbPath?: string;
  readonly staleAfterMs?: number;
  readonly secretKey?: string;
  /** absent: no push hooks (as in the main thread) */
  readonly hookSecret?: string;
  /** pino level for the thread's request log; absent: silent */
  readonly logLevel?: string;
  /** PostgreSQL connections of the thread's store (default API_CONNECTIONS) */
  readonly connections?: number;
  readonly host: string;
  /** the port the main thread's API already listens on, with reusePort */
  readonly port: number;
  /** which of MainThreadServices the main thread has */
  readonly offers: { readonly enqueue: boolean; readonly replay: boolean; readonly acceptPush: boolean };
}

/** what only the main thread can do, on an API thread's behalf */
export interface MainThreadServices {
  /** the service's job queue: on-demand scans; absent: they answer 503, as in the main thread */
  readonly enqueue?: (job: ScanJob) => Promise<void>;
  /** the notifier's replay of a failed delivery */
  readonly replay?: (deliveryId: string) => Promise<DeliveryRecord>;
  /** the push hooks' work once a push is checked */
  readonly acceptPush?: PushAcceptor;
}

/**
 * PostgreSQL connections of each API thread's store, the main thread's included (on PostgreSQL the
 * main thread's API reads through a store of its own, not the runtime's). One, because a page's
 * query is short and PostgreSQL's CPU per query grows with the number of its backends busy at
 * once: on two cores, the API in two threads under 50 concurrent requests, a repository-scoped
 * findings page cost PostgreSQL 0.55 ms with one connection per thread against 0.75–0.98 ms with
 * two and 1.2 ms with the main thread's ten, and its p99 went from 60–165 ms to 40–50 ms
 * (docs/benchmarks.md). Requests wait for their thread's connection in the pool's queue instead,
 * which costs nothing while the cores are busy anyway. More suit a database far away, where a
 * round trip is long (`vigil serve --api-connections`). No route holds two connections at once:
 * the API tests run on one (src/api/testing.ts).
 */
export const API_CONNECTIONS = 1;

/** The store an API thread reads through: its own, with `connections` (on PostgreSQL). */
export function openApiStore(
  database: string,
  options: { readonly schema?: string | undefined; readonly connections?: number | undefined } = {},
): Promise<Store> {
  return openStore(database, {
    ...(options.schema !== undefined && { schema: options.schema }),
    poolSize: options.connections ?? API_CONNECTIONS,
  });
}

/** api-thread.ts beside this file, or api-thread.js once built */
const THREAD_URL = new URL(`./api-thread${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/** how long a stopping thread may take to answer what it has in flight before it is terminated */
const STOP_MS = 10_000;

/**
 * The API served by several threads, for a machine with more cores than one JavaScript thread can
 * use: the main thread's Fastify (created with `link()`) and the threads `start` adds, each with
 * its own Fastify and store, listening on one port with SO_REUSEPORT, the kernel handing each new
 * connection to one of them. On two cores, a SQLite fleet's findings pages went from 1,968–2,312
 * to 2,882–3,806 requests/s with one more thread (docs/benchmarks.md). The main thread keeps the
 * job queue, the notifier and the scheduler; threads reach them through ThreadRpc.
 *
 * Each thread's own caches (tokens, live image counts) are those of a node of its own, with one
 * exception: a revoked token is forgotten by every thread before the revoke answers.
 */
export class ApiThreads {
  readonly #threads: Array<{ worker: Worker; rpc: ThreadRpc }> = [];
  #own: { readonly metrics: RequestMetrics; forgetTokens(): void } | undefined;
  readonly #log: ((message: string, err?: Error) => void) | undefined;

  /** `log` hears of a thread that ends on an error after it started */
  constructor(log?: (message: string, err?: Error) => void) {
    this.#log = log;
  }

  /** the main thread's ApiThreadLink: pass it to createApi as `threads` */
  link(): ApiThreadLink {
    return {
      attach: (own) => {
        this.#own = own;
      },
      requestSeries: () => this.#requestSeries(),
      forgetTokens: () => this.#forgetTokens(),
    };
  }

  /**
   * Listens `app` (the main thread's API, created with `link()`) on `listen` with SO_REUSEPORT, then
   * starts `count` threads on the port it got. Resolves with `app`'s address once every thread
   * listens; if one fails to start, the others are stopped and the error is thrown (`app` stays
   * listening: close it).
   */
  async start(
    app: FastifyInstance,
    listen: { readonly host: string; readonly port: number },
    count: number,
    config: Omit<ApiThreadConfig, 'port' | 'host' | 'offers'>,
    main: MainThreadServices,
  ): Promise<string> {
    // Fastify's types do not name reusePort (Node 23.1+), and pass it to listen()
    const reusing = { ...listen, reusePort: true };
    const url = await app.listen(reusing);
    const address = app.server.address();
    if (typeof address !== 'object' || address === null) throw new Error('the main API does not listen on a TCP port');
    const full: ApiThreadConfig = {
      ...config,
      host: address.address,
      port: address.port,
      offers: {
        enqueue: main.enqueue !== undefined,
        replay: main.replay !== undefined,
        acceptPush: main.acceptPush !== undefined,
      },
    };
    const handlers = {
      enqueue: (job: ScanJob) => requireService(main.enqueue, 'scan queue')(job),
      replay: (id: string) => requireService(main.replay, 'notifier')(id),
      acceptPush: (...args: Parameters<PushAcceptor>) => requireService(main.acceptPush, 'push hooks')(...args),
      requestSeries: () => this.#requestSeries(),
      forgetTokens: () => this.#forgetTokens(),
    };
    const starting = Array.from({ length: count }, () => {
      const worker = new Worker(THREAD_URL, { workerData: full });
      const rpc = new ThreadRpc(worker, handlers);
      const thread = { worker, rpc };
      this.#threads.push(thread);
      let started = false;
      // a thread that ends no longer listens (the others serve on), and what waited on it fails
      worker.on('exit', () => {
        rpc.close('the API thread has ended');
        const at = this.#threads.indexOf(thread);
        if (at !== -1) this.#threads.splice(at, 1);
      });
      return new Promise<void>((resolve, reject) => {
        // an 'error' without a listener would end the whole process
        worker.on('error', (err) => {
          if (started) this.#log?.('an API thread failed; the other threads serve on', err);
          else reject(err);
        });
        worker.once('exit', (code) => {
          if (!started) reject(new Error(`an API thread exited with code ${code} while starting`));
        });
        const listening = (message: unknown) => {
          if ((message as { listening?: boolean } | undefined)?.listening !== true) return;
          worker.off('message', listening);
          started = true;
          resolve();
        };
        worker.on('message', listening);
      });
    });
    const outcomes = await Promise.allSettled(starting);
    const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failure !== undefined) {
      await this.stop();
      throw failure.reason;
    }
    return url;
  }

  /** every thread stops listening, answers what it has in flight and closes its store */
  async stop(): Promise<void> {
    const threads = this.#threads.splice(0);
    await Promise.all(
      threads.map(async ({ worker, rpc }) => {
        const timer = setTimeout(() => void worker.terminate(), STOP_MS);
        try {
          await rpc.call('stop');
        } catch {
          // a thread that already ended has nothing to stop
        }
        await worker.terminate();
        clearTimeout(timer);
        rpc.close('the API thread was stopped');
      }),
    );
  }

  /** requests each thread has answered, the main thread's first: how the kernel spread the connections */
  async requestsPerThread(): Promise<number[]> {
    const total = (series: readonly SeriesSnapshot[]) => series.reduce((sum, s) => sum + s.count, 0);
    const threads = await Promise.all(this.#threads.map(({ rpc }) => rpc.call<SeriesSnapshot[]>('series')));
    return [total(this.#own?.metrics.snapshot() ?? []), ...threads.map(total)];
  }

  async #requestSeries(): Promise<SeriesSnapshot[]> {
    const all = new RequestMetrics();
    if (this.#own !== undefined) all.add(this.#own.metrics.snapshot());
    for (const series of await Promise.all(this.#threads.map(({ rpc }) => rpc.call<SeriesSnapshot[]>('series')))) {
      all.add(series);
    }
    return all.snapshot();
  }

  async #forgetTokens(): Promise<void> {
    this.#own?.forgetTokens();
    await Promise.all(this.#threads.map(({ rpc }) => rpc.call('forgetTokens')));
  }
}

function requireService<F>(service: F | undefined, name: string): F {
  if (service === undefined) throw new Error(`this service has no ${name}`);
  return service;
}
