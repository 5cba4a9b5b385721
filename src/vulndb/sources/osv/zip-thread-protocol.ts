import type { OsvRow } from '../../types.ts';

/**
 * Messages between `readOsvZip` (main thread) and the parse thread (zip-thread.ts). A request is
 * a batch of consecutive zip entries as found in the archive, still compressed, their bytes back to
 * back in one transferred buffer; the reply holds one item per entry, in the same order.
 */
/**
 * The slots of the Int32Array (over a SharedArrayBuffer) the parse thread gets as its workerData:
 * replies queue up unseen while the main thread is busy writing, so they cannot tell it how far
 * behind the parse thread is, nor whether that thread has started.
 */
export const STATUS_SLOTS = 2;
/** batches the parse thread finished */
export const FINISHED = 0;
/** 1 once the parse thread has loaded its code and takes batches */
export const READY = 1;

export interface ParseRequest {
  /** which `readOsvZip` call the batch belongs to; the reply carries it back */
  readonly reader: number;
  /** names the archive in `skipped` items */
  readonly label: string;
  readonly maxEntryBytes: number;
  readonly entries: readonly BatchEntry[];
  readonly bytes: ArrayBuffer;
  /** an earlier reply's `json`, read and given back for the thread to fill again */
  readonly spare: ArrayBuffer | undefined;
}

export type BatchEntry =
  | { readonly name: string; readonly unreadable: string }
  | {
      readonly name: string;
      readonly unreadable?: undefined;
      readonly method: number;
      readonly uncompressedSize: number;
      readonly crc32: number;
      /** where its compressed bytes end in `bytes` (each starts where the previous one ended) */
      readonly end: number;
    };

export type ParsedItem =
  /** a row whose JSON ends at `jsonEnd` in the reply's `json` (it starts where the previous one ended) */
  | { readonly kind: 'row'; readonly row: Omit<OsvRow, 'json'>; readonly jsonEnd: number }
  | { readonly kind: 'skipped'; readonly where: string; readonly reason: string };

/**
 * The rows' JSON comes as UTF-8 in one transferred buffer (structured clone of the strings cost
 * more). Buffers go back and forth instead of being allocated per batch: a thread that allocates
 * little on its V8 heap, as the writing main thread does, collects garbage rarely, and dead
 * buffers then pile up to V8's external-memory limit (64 MB) on top of the peak RSS.
 */
export interface ParseReply {
  readonly reader: number;
  readonly items: readonly ParsedItem[];
  readonly json: ArrayBuffer;
  /** the request's `bytes`, given back to fill with a later batch */
  readonly spare: ArrayBuffer;
}

/** Bytes appended back to back into one buffer, to be transferred whole to the other thread. */
export class TransferBuffer {
  #bytes: Buffer;
  #length = 0;

  /** reuses `spare` when it holds `capacity` bytes */
  constructor(capacity: number, spare?: ArrayBuffer) {
    // allocUnsafeSlow never pools, so the ArrayBuffer is this buffer's alone and can be transferred
    this.#bytes =
      spare !== undefined && spare.byteLength >= capacity ? Buffer.from(spare) : Buffer.allocUnsafeSlow(capacity);
  }

  get length(): number {
    return this.#length;
  }

  /** appends the bytes, or the text as UTF-8, and returns where they end */
  append(data: Uint8Array | string): number {
    // UTF-8 takes at most 3 bytes per UTF-16 unit; pages of slack never written cost no memory
    const room = typeof data === 'string' ? data.length * 3 : data.length;
    if (this.#length + room > this.#bytes.length) {
      const larger = Buffer.allocUnsafeSlow(Math.max(this.#bytes.length * 2, this.#length + room));
      this.#bytes.copy(larger, 0, 0, this.#length);
      this.#bytes = larger;
    }
    if (typeof data === 'string') {
      this.#length += this.#bytes.write(data, this.#length, 'utf8');
    } else {
      this.#bytes.set(data, this.#length);
      this.#length += data.length;
    }
    return this.#length;
  }

  arrayBuffer(): ArrayBuffer {
    return this.#bytes.buffer as ArrayBuffer;
  }
}
