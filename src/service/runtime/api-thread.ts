/**
 * One API thread of the service (api-threads.ts): its own Fastify and store, listening on the main
 * thread's port. What only the main thread has (the job queue, the notifier, the push hooks' work,
 * the other threads' metrics and token caches) it reaches through ThreadRpc.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { createApi } from '../../api/index.ts';
import type { RequestMetrics } from '../../api/metrics.ts';
import type { DeliveryRecord } from '../notify/index.ts';
import { createSecretBox } from '../secrets.ts';
import { type ApiThreadConfig, openApiStore } from './api-threads.ts';
import { type PushResult, registerPushHooks } from './push-hooks.ts';
import { ThreadRpc } from './thread-rpc.ts';
import { openVulnData } from './vuln-data.ts';

if (parentPort === null) throw new Error('api-thread.ts runs as a worker thread of api-threads.ts');
const config = workerData as ApiThreadConfig;
let own: { readonly metrics: RequestMetrics; forgetTokens(): void } | undefined;
let stop = async (): Promise<void> => {};
const rpc = new ThreadRpc(parentPort, {
  series: () => own?.metrics.snapshot() ?? [],
  forgetTokens: () => own?.forgetTokens(),
  stop: () => stop(),
});

const store = await openApiStore(config.database, config);
const vulnDb = config.vulnDbPath === undefined ? undefined : openVulnData(config.vulnDbPath);
const app = createApi({
  store,
  secretBox: config.secretKey === undefined ? undefined : createSecretBox(config.secretKey),
  ...(config.offers.enqueue && { scanQueue: { enqueue: (job) => rpc.call<void>('enqueue', job) } }),
  ...(config.offers.replay && { replay: (id) => rpc.call<DeliveryRecord>('replay', id) }),
  ...(vulnDb !== undefined && {
    vulnDb: {
      status: () => vulnDb.reader()?.status(),
      ...(config.staleAfterMs !== undefined && { staleAfterMs: config.staleAfterMs }),
    },
  }),
  ...(config.logLevel !== undefined && { logger: pino({ level: config.logLevel }) as unknown as FastifyBaseLogger }),
  threads: {
    attach: (parts) => {
      own = parts;
    },
    requestSeries: () => rpc.call('requestSeries'),
    forgetTokens: () => rpc.call('forgetTokens'),
  },
});
if (config.hookSecret !== undefined && config.offers.acceptPush) {
  registerPushHooks(app, {
    secret: config.hookSecret,
    accept: (hook, events, named) => rpc.call<PushResult>('acceptPush', hook, events, named),
  });
}
stop = async () => {
  await app.close();
  vulnDb?.close();
  await store.close();
};
// SO_REUSEPORT (Node 23.1+): Fastify's types do not name the option, and pass it to listen()
const listening = { host: config.host, port: config.port, reusePort: true };
await app.listen(listening);
parentPort.postMessage({ listening: true });
