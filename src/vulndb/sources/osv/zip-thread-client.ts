import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { VigilError } from '../../../core/errors.ts';
import { osvRowItem } from '../../osv-row.ts';
import type { SourceItem } from '../../types.ts';
import { readStoredZipEntries, type StoredZipEntry, type ZipEntryResult } from '../../zip-reader.ts';
import { parseBatch } from './zip-batch.ts';
import {
  type BatchEntry,
  FINISHED,
  type ParseReply,
  type ParseRequest,
  READY,
  STATUS_SLOTS,
  TransferBuffer,
} from './zip-thread-protocol.ts';

export interface OsvZipReadOptions {
  readonly maxEntryBytes: number;
  /** names the archive in `skipped` items and errors */
  readonly label: string;
  readonly signal?: AbortSignal;
  /** rows carry their JSON as bytes valid until the next item (FetchOptions `itemsUsedAtOnce`) */
  readonly itemsUsedAtOnce?: boolean;
}

/** batches sent to the parse thread and not yet answered: bounds memory, keeps the thread busy */
const MAX_IN_FLIGHT = 3;
const BATCH_ENTRIES = 128;
/** compressed: osv.dev's records inflate about fourfold */
const BATCH_BYTES = 256 * 1024;

/**
 * The records of a local OSV all.zip as `osv` items carrying store rows, and `skipped` items for
 * bad entries, in the zip's order. This thread walks the zip's directory and hands the entries,
 * still compressed, in batches to a worker thread (zip-thread.ts) that inflates and parses them,
 * while the caller writes the rows that came back: reading and writing cost about as much as each
 * other, so an import runs on two cores. When the parse thread falls behind, this thread parses
 * the next batch itself. Throws VIGIL_SOURCE_INVALID when the archive breaks, after the items of
 * the entries read before it.
 */
export async function* readOsvZip(path: string, options: OsvZipReadOptions): AsyncGenerator<SourceItem> {
  const reader = ParseThread.shared().open();
  const entries = readStoredZipEntries(path, {
    maxEntryBytes: options.maxEntryBytes,
    wants: (name) => name.endsWith('.json'),
    label: options.label,
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  });
  /** batches in zip order: parsed here, or undefined while the parse thread has them (it answers in order) */
  const pending: Array<ParseReply | undefined> = [];
  let read = true;
  let broken: unknown;
  try {
    for (;;) {
      while (read && pending.length < MAX_IN_FLIGHT) {
        try {
          const batch = await nextBatch(entries, reader.spare());
          if (batch === undefined) read = false;
          else {
            const request = { ...batch, reader: -1, label: options.label, maxEntryBytes: options.maxEntryBytes };
            // The parse thread is still starting (its first ~80 ms), or has batches queued: it is the
            // slower side, so this thread parses this batch itself, in the time it would otherwise
            // wait for the thread.
            if (!reader.started() || reader.backlog() >= 2) {
              pending.push(parseBatch({ ...request, spare: undefined }, reader.spareReply()));
            } else {
              reader.send(request);
              pending.push(undefined);
            }
          }
        } catch (err) {
          if (err instanceof VigilError && err.code === 'VIGIL_ABORTED') throw err;
          // The entries read before the break still land as items; the source then fails.
          read = false;
          broken = err;
        }
      }
      if (pending.length === 0) break;
      const reply = pending.shift() ?? (await reader.next(options.label, options.signal));
      const json = Buffer.from(reply.json);
      // with itemsUsedAtOnce, rows' JSON is a view into the reply, which is reused below
      const lease = { valid: true };
      let jsonStart = 0;
      for (const item of reply.items) {
        if (item.kind === 'skipped') {
          yield item;
          continue;
        }
        yield options.itemsUsedAtOnce === true
          ? osvRowItem({ ...item.row, json: json.subarray(jsonStart, item.jsonEnd) }, lease)
          : osvRowItem({ ...item.row, json: json.toString('utf8', jsonStart, item.jsonEnd) });
        jsonStart = item.jsonEnd;
      }
      lease.valid = false;
      reader.recycle(reply);
    }
    if (broken !== undefined) throw broken;
  } finally {
    reader.close();
    await entries.return(undefined);
  }
}

/**
 * Starts the parse thread if it is not running, so that its start-up (module loading, ~100 ms)
 * overlaps the download rather than delaying the first batch.
 */
export function startParseThread(): void {
  ParseThread.shared();
}

/**
 * The next BATCH_ENTRIES entries (or BATCH_BYTES of them), still compressed, copied into one buffer
 * to transfer (the spare one when it is large enough).
 */
async function nextBatch(
  entries: AsyncGenerator<StoredZipEntry | Extract<ZipEntryResult, { kind: 'bad' }>>,
  spare: ArrayBuffer | undefined,
): Promise<Pick<ParseRequest, 'entries' | 'bytes'> | undefined> {
  const batch: BatchEntry[] = [];
  const packed = new TransferBuffer(BATCH_BYTES, spare);
  while (batch.length < BATCH_ENTRIES && packed.length < BATCH_BYTES) {
    const next = await entries.next();
    if (next.done) break;
    const entry = next.value;
    if (entry.kind === 'bad') {
      batch.push({ name: entry.name, unreadable: entry.reason });
      continue;
    }
    const { name, method, uncompressedSize, crc32 } = entry;
    batch.push({ name, method, uncompressedSize, crc32, end: packed.append(entry.compressed) });
  }
  return batch.length === 0 ? undefined : { entries: batch, bytes: packed.arrayBuffer() };
}

interface Reader {
  send(batch: Omit<ParseRequest, 'reader' | 'spare'>): void;
  /** a request buffer the thread gave back, to fill with the next batch */
  spare(): ArrayBuffer | undefined;
  /** a reply buffer, for a batch parsed on this thread */
  spareReply(): ArrayBuffer | undefined;
  /** hands a reply's buffers back once its items were taken: its JSON was copied out as strings */
  recycle(reply: ParseReply): void;
  /** batches sent to the thread (by any reader) that it has not finished yet */
  backlog(): number;
  /** whether the thread runs its code yet */
  started(): boolean;
  next(label: string, signal: AbortSignal | undefined): Promise<ParseReply>;
  close(): void;
}

/** zip-thread.ts next to this file, or zip-thread.js once built */
const THREAD_URL = new URL(`./zip-thread${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/** how long the parse thread waits, idle, for the next zip before it ends */
const IDLE_MS = 30_000;

/**
 * One parse thread per process, started on first use (that costs ~100 ms, as much as parsing a
 * small zip) and kept for the next zip of the update; unref'd while no reader is open, so it never
 * keeps the process alive, and ended after IDLE_MS without one, so that a long-running service
 * does not keep its memory. Several readers may share it: replies are routed by reader id. When
 * the thread dies, its open readers fail and the next reader starts another.
 */
class ParseThread {
  static #current: ParseThread | undefined;

  static shared(): ParseThread {
    ParseThread.#current ??= new ParseThread();
    return ParseThread.#current;
  }

  /** batches the thread finished and whether it started, written by the thread itself */
  readonly #status = new Int32Array(new SharedArrayBuffer(STATUS_SLOTS * Int32Array.BYTES_PER_ELEMENT));
  readonly #worker = new Worker(THREAD_URL, { workerData: this.#status });
  #sent = 0;
  readonly #inboxes = new Map<number, { replies: ParseReply[]; wake?: () => void }>();
  #nextReader = 0;
  #died: Error | undefined;
  /** buffers that go back and forth instead of being allocated per batch (zip-thread-protocol.ts) */
  readonly #spareRequests: ArrayBuffer[] = [];
  readonly #spareReplies: ArrayBuffer[] = [];
  #idle: NodeJS.Timeout | undefined;

  constructor() {
    this.#worker.unref();
    this.#idleFromNow();
    this.#worker.on('message', (reply: ParseReply) => {
      const inbox = this.#inboxes.get(reply.reader);
      inbox?.replies.push(reply);
      inbox?.wake?.();
    });
    this.#worker.on('error', (err) => this.#die(err));
    this.#worker.on('exit', (code) => this.#die(new Error(`the OSV parse thread exited with code ${code}`)));
  }

  open(): Reader {
    const id = this.#nextReader++;
    const inbox: { replies: ParseReply[]; wake?: () => void } = { replies: [] };
    this.#inboxes.set(id, inbox);
    clearTimeout(this.#idle);
    if (this.#inboxes.size === 1) this.#worker.ref();
    return {
      send: (batch) => {
        if (this.#died !== undefined) throw this.#died;
        const request: ParseRequest = { ...batch, reader: id, spare: this.#spareReplies.pop() };
        this.#worker.postMessage(
          request,
          request.spare === undefined ? [request.bytes] : [request.bytes, request.spare],
        );
        this.#sent++;
      },
      spare: () => this.#spareRequests.pop(),
      spareReply: () => this.#spareReplies.pop(),
      recycle: (reply) => {
        if (this.#spareRequests.length < MAX_IN_FLIGHT) this.#spareRequests.push(reply.spare);
        if (this.#spareReplies.length < MAX_IN_FLIGHT) this.#spareReplies.push(reply.json);
      },
      backlog: () => this.#sent - Atomics.load(this.#status, FINISHED),
      started: () => Atomics.load(this.#status, READY) === 1,
      next: async (label, signal) => {
        for (;;) {
          if (signal?.aborted) {
            throw new VigilError('VIGIL_ABORTED', `reading ${label} was cancelled`, {}, { cause: signal.reason });
          }
          if (this.#died !== undefined) throw this.#died;
          const reply = inbox.replies.shift();
          if (reply !== undefined) return reply;
          const wake = () => inbox.wake?.();
          signal?.addEventListener('abort', wake, { once: true });
          await new Promise<void>((resolve) => (inbox.wake = resolve));
          signal?.removeEventListener('abort', wake);
          delete inbox.wake;
        }
      },
      // Replies still on their way for a closed reader are dropped on arrival.
      close: () => {
        this.#inboxes.delete(id);
        if (this.#inboxes.size > 0) return;
        this.#worker.unref();
        this.#idleFromNow();
      },
    };
  }

  #idleFromNow(): void {
    this.#idle = setTimeout(() => {
      this.#die(new Error('the OSV parse thread ended after being idle'));
      void this.#worker.terminate();
    }, IDLE_MS);
    this.#idle.unref();
  }

  #die(err: Error): void {
    this.#died ??= err;
    if (ParseThread.#current === this) ParseThread.#current = undefined;
    for (const inbox of this.#inboxes.values()) inbox.wake?.();
  }
}
