/**
 * The parse thread behind `readOsvZip` (zip-thread-client.ts): turns batches of compressed zip
 * entries into store rows (zip-batch.ts), so that the main thread keeps only the walk of the zip's
 * directory and the SQLite writes. It holds no state between batches.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { parseBatch } from './zip-batch.ts';
import { FINISHED, type ParseRequest, READY } from './zip-thread-protocol.ts';

const port = parentPort;
if (port === null) throw new Error('zip-thread.ts runs as a worker thread');
/** what the main thread reads to see how far behind this thread is (zip-thread-protocol.ts) */
const status = workerData as Int32Array;
/** reply buffers the main thread gave back */
const spares: ArrayBuffer[] = [];

port.on('message', (request: ParseRequest) => {
  if (request.spare !== undefined) spares.push(request.spare);
  const reply = parseBatch(request, spares.pop());
  port.postMessage(reply, [reply.json, reply.spare]);
  Atomics.add(status, FINISHED, 1);
});
Atomics.store(status, READY, 1);
