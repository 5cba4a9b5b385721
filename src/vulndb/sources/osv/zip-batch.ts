import { osvRow } from '../../osv-row.ts';
import { inflateZipEntries, releaseInflated } from '../../zip-reader.ts';
import { parseOsvRecord } from './record.ts';
import { type ParsedItem, type ParseReply, type ParseRequest, TransferBuffer } from './zip-thread-protocol.ts';

/**
 * One batch of zip entries turned into store rows: inflate and CRC check, JSON parse, shape check,
 * minified JSON. Pure, so that it runs on the parse thread (zip-thread.ts) and, when that thread
 * falls behind, on the thread that walks the zip (zip-thread-client.ts).
 */
export function parseBatch(request: ParseRequest, spare: ArrayBuffer | undefined): ParseReply {
  const compressed = Buffer.from(request.bytes);
  // minified JSON is smaller than osv.dev's pretty-printed entries
  const json = new TransferBuffer(
    request.entries.reduce((sum, entry) => sum + (entry.unreadable === undefined ? entry.uncompressedSize : 0), 0),
    spare,
  );
  const located = [];
  let start = 0;
  for (const entry of request.entries) {
    if (entry.unreadable !== undefined) continue;
    located.push({ ...entry, compressed: compressed.subarray(start, entry.end) });
    start = entry.end;
  }
  const inflated = inflateZipEntries(located, request.maxEntryBytes);
  const items: ParsedItem[] = [];
  let next = 0;
  for (const entry of request.entries) {
    let reason = entry.unreadable;
    if (entry.unreadable === undefined) {
      const data = inflated[next++] as Buffer | string;
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
  releaseInflated(inflated);
  return { reader: request.reader, items, json: json.arrayBuffer(), spare: request.bytes };
}
