/**
 * The parse thread behind `readOsvZip` (zip-thread-client.ts): turns batches of compressed zip
 * entries into store rows (inflate and CRC check, JSON parse, shape check, minified JSON), so that
 * the main thread keeps only the walk of the zip's directory and the SQLite writes. It holds no
 * state between batches.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { osvRow } from '../../osv-row.ts';
import { inflateZipEntry } from '../../zip-reader.ts';
import { parseOsvRecord } from './record.ts';
import { type ParsedItem, type ParseReply, type ParseRequest, TransferBuffer } from './zip-thread-protocol.ts';

const port = parentPort;
if (port === null) throw new Error('zip-thread.ts runs as a worker thread');

/** batches finished, read by the main thread to see how far behind this thread is */
const finished = workerData as Int32Array;

/** reply buffers the main thread gave back */
const spares: ArrayBuffer[] = [];

port.on('message', (request: ParseRequest) => {
  if (request.spare !== undefined) spares.push(request.spare);
  const reply = parseBatch(request);
  port.postMessage(reply, [reply.json, reply.spare]);
  Atomics.add(finished, 0, 1);
});

function parseBatch(request: ParseRequest): ParseReply {
  const compressed = Buffer.from(request.bytes);
  // minified JSON is smaller than osv.dev's pretty-printed entries
  const json = new TransferBuffer(
    request.entries.reduce((sum, entry) => sum + (entry.unreadable === undefined ? entry.uncompressedSize : 0), 0),
    spares.pop(),
  );
  const items: ParsedItem[] = [];
  let start = 0;
  for (const entry of request.entries) {
    let reason = entry.unreadable;
    if (entry.unreadable === undefined) {
      const data = inflateZipEntry(
        { ...entry, compressed: compressed.subarray(start, entry.end) },
        request.maxEntryBytes,
      );
      start = entry.end;
      const parsed =
        typeof data === 'string' ? { ok: false as const, reason: data } : parseOsvRecord(data.toString('utf8'));
      if (parsed.ok) {
        const { json: text, ...row } = osvRow(parsed.record, JSON.stringify(parsed.record));
        items.push({ kind: 'row', row, jsonEnd: json.append(text as string) });
      } else {
        reason = parsed.reason;
      }
    }
    if (reason !== undefined) items.push({ kind: 'skipped', where: `${request.label}:${entry.name}`, reason });
  }
  return { reader: request.reader, items, json: json.arrayBuffer(), spare: request.bytes };
}
