import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { Readable } from 'node:stream';
import { crc32, gunzipSync, inflateRawSync } from 'node:zlib';
import yauzl from 'yauzl';
import { VigilError } from '../core/errors.ts';

/**
 * Reads a zip one entry at a time through its central directory (APPNOTE.TXT 4.3.12), never the
 * whole archive: osv.dev's npm all.zip is hundreds of MB. yauzl walks the central directory
 * (zip64 included) through a read window of its own; entry data is read here through a second one,
 * because entries sit back to back in the order the central directory lists them, so one read
 * serves many small entries. Memory stays at the two windows plus the largest entry.
 *
 * A bad entry (unsafe name, unknown method, bad deflate data, CRC mismatch, over the size bound)
 * is reported and the walk goes on; a bad central directory ends the walk with VIGIL_SOURCE_INVALID
 * after the entries read so far.
 */

export type ZipEntryResult =
  | { readonly kind: 'entry'; readonly name: string; readonly data: Buffer }
  | { readonly kind: 'bad'; readonly name: string; readonly reason: string };

/**
 * An entry located but not yet inflated, for a caller that inflates elsewhere (another thread) with
 * `inflateZipEntry`. `compressed` is a view into the read window: valid until the next entry.
 */
export interface StoredZipEntry {
  readonly kind: 'stored';
  readonly name: string;
  readonly method: number;
  readonly compressed: Buffer;
  readonly uncompressedSize: number;
  readonly crc32: number;
}

export interface ZipReadOptions {
  /** the largest uncompressed entry accepted (a zip bomb stops here) */
  readonly maxEntryBytes: number;
  /** names the caller wants; others are not read */
  readonly wants?: (name: string) => boolean;
  readonly signal?: AbortSignal;
  /** names the archive in error messages */
  readonly label?: string;
}

const LOCAL_HEADER_SIGNATURE = 0x04034b50;
const LOCAL_HEADER_SIZE = 30;
const WINDOW_BYTES = 1024 * 1024;
/** APPNOTE.TXT 4.4.5: the entry's bytes as they are */
export const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;
const MIN_CHUNK_BYTES = 64;

export async function* readZipEntries(path: string, options: ZipReadOptions): AsyncGenerator<ZipEntryResult> {
  for await (const entry of readStoredZipEntries(path, options)) {
    if (entry.kind === 'bad') {
      yield entry;
      continue;
    }
    const data = inflateZipEntry(entry, options.maxEntryBytes);
    yield typeof data === 'string'
      ? { kind: 'bad', name: entry.name, reason: data }
      : { kind: 'entry', name: entry.name, data };
  }
}

/** The entries as `readZipEntries` finds them, with their data still compressed. */
export async function* readStoredZipEntries(
  path: string,
  options: ZipReadOptions,
): AsyncGenerator<StoredZipEntry | Extract<ZipEntryResult, { kind: 'bad' }>> {
  const label = options.label ?? path;
  const fd = openSync(path, 'r');
  const window = new ReadWindow(fd);
  let zip: yauzl.ZipFile;
  try {
    // decodeStrings: false, so that yauzl does not reject the whole archive over one entry's
    // unsafe name ("../x"): names are checked here, per entry.
    zip = await yauzl.fromRandomAccessReaderPromise(new WindowedReader(new ReadWindow(fd)), fstatSync(fd).size, {
      lazyEntries: true,
      autoClose: false,
      decodeStrings: false,
    });
  } catch (err) {
    closeSync(fd);
    throw invalid(label, err);
  }
  try {
    const entries = zip.eachEntry();
    for (;;) {
      let next: IteratorResult<yauzl.Entry>;
      try {
        next = await entries.next();
      } catch (err) {
        throw invalid(label, err);
      }
      if (next.done) break;
      if (options.signal?.aborted) {
        throw new VigilError('VIGIL_ABORTED', `reading ${label} was cancelled`, {}, { cause: options.signal.reason });
      }
      const entry = next.value;
      const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, false);
      if (name.endsWith('/')) continue;
      const unsafe = unsafeName(name);
      if (unsafe !== undefined) {
        yield { kind: 'bad', name, reason: unsafe };
        continue;
      }
      if (options.wants !== undefined && !options.wants(name)) continue;
      const result = locateEntry(window, entry, options.maxEntryBytes);
      yield typeof result === 'string'
        ? { kind: 'bad', name, reason: result }
        : {
            kind: 'stored',
            name,
            method: entry.compressionMethod,
            compressed: result,
            uncompressedSize: entry.uncompressedSize,
            crc32: entry.crc32,
          };
    }
  } finally {
    zip.close();
    closeSync(fd);
  }
}

/** Why a name cannot be a member of a flat archive, or undefined when it can. */
function unsafeName(name: string): string | undefined {
  if (name.includes('\0')) return 'name contains a NUL byte';
  if (name.startsWith('/') || /^[a-z]:/i.test(name) || name.startsWith('\\')) return 'absolute path';
  if (name.split(/[/\\]/).includes('..')) return 'path traversal ("..")';
  return undefined;
}

/** The entry's compressed bytes (a view into the window), or the reason they cannot be had. */
function locateEntry(window: ReadWindow, entry: yauzl.Entry, maxEntryBytes: number): Buffer | string {
  if (entry.isEncrypted()) return 'encrypted entry';
  if (entry.compressionMethod !== METHOD_STORED && entry.compressionMethod !== METHOD_DEFLATE) {
    return `unsupported compression method ${entry.compressionMethod}`;
  }
  if (entry.uncompressedSize > maxEntryBytes || entry.compressedSize > maxEntryBytes) {
    return `entry of ${entry.uncompressedSize} bytes is over the ${maxEntryBytes}-byte bound`;
  }
  const headerAt = entry.relativeOffsetOfLocalHeader;
  // Guess the local extra field equals the central one; re-read when it does not.
  const guess = LOCAL_HEADER_SIZE + entry.fileNameLength + entry.extraFieldLength + entry.compressedSize;
  let chunk = window.read(headerAt, guess);
  if (chunk.length < LOCAL_HEADER_SIZE || chunk.readUInt32LE(0) !== LOCAL_HEADER_SIGNATURE) {
    return 'local file header is missing';
  }
  const dataStart = LOCAL_HEADER_SIZE + chunk.readUInt16LE(26) + chunk.readUInt16LE(28);
  if (dataStart + entry.compressedSize > chunk.length) {
    chunk = window.read(headerAt, dataStart + entry.compressedSize);
    if (dataStart + entry.compressedSize > chunk.length) return 'entry data runs past the end of the file';
  }
  return chunk.subarray(dataStart, dataStart + entry.compressedSize);
}

/** A located entry's bytes, inflated and checked against its size and CRC-32, or why they are bad. */
export function inflateZipEntry(entry: Omit<StoredZipEntry, 'kind' | 'name'>, maxEntryBytes: number): Buffer | string {
  let data: Buffer;
  if (entry.method === METHOD_STORED) {
    data = Buffer.from(entry.compressed);
  } else {
    try {
      // maxOutputLength bounds a lying uncompressedSize (deflate bombs).
      data = inflateRawSync(entry.compressed, {
        maxOutputLength: maxEntryBytes + 1,
        // one output buffer of the announced size, instead of growing 16 kB chunks
        chunkSize: Math.max(MIN_CHUNK_BYTES, Math.min(entry.uncompressedSize + 1, maxEntryBytes + 1)),
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        return `entry inflates past the ${maxEntryBytes}-byte bound`;
      }
      return `bad deflate data: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  if (data.length > maxEntryBytes) return `entry inflates past the ${maxEntryBytes}-byte bound`;
  if (data.length !== entry.uncompressedSize) {
    return `entry is ${data.length} bytes, the directory says ${entry.uncompressedSize}`;
  }
  if (crc32(data) !== entry.crc32) return 'CRC-32 mismatch';
  return data;
}

/**
 * Located entries' bytes, as `inflateZipEntry` gives them one by one (the same data, or the same
 * reasons), in one zlib call for all the deflated ones. A zlib call costs about as much to set up
 * as to inflate a small OSV record; osv.dev's zips hold hundreds of thousands. Each deflated entry
 * is wrapped as a member of one multi-member gzip stream (RFC 1952 2.2: a 10-byte header, the raw
 * DEFLATE data the zip holds, then the entry's CRC-32 and size from the zip directory), so zlib
 * checks every entry's CRC-32 and size itself. When any member fails, every entry is inflated on
 * its own again, which finds the bad one and says why.
 */
export function inflateZipEntries(
  entries: ReadonlyArray<Omit<StoredZipEntry, 'kind' | 'name'>>,
  maxEntryBytes: number,
): Array<Buffer | string> {
  const deflated = entries.filter((entry) => entry.method === METHOD_DEFLATE);
  const joined = deflated.length > 1 ? inflateAsGzipMembers(deflated, maxEntryBytes) : undefined;
  if (joined === undefined) return entries.map((entry) => inflateZipEntry(entry, maxEntryBytes));
  let at = 0;
  return entries.map((entry) => {
    if (entry.method !== METHOD_DEFLATE) return inflateZipEntry(entry, maxEntryBytes);
    at += entry.uncompressedSize;
    return joined.subarray(at - entry.uncompressedSize, at);
  });
}

const GZIP_HEADER = Buffer.from([0x1f, 0x8b, METHOD_DEFLATE, 0, 0, 0, 0, 0, 0, 0xff]);
const GZIP_TRAILER_SIZE = 8;

/** the entries' data back to back, or undefined when any of them is not what the directory says */
function inflateAsGzipMembers(
  entries: ReadonlyArray<Omit<StoredZipEntry, 'kind' | 'name'>>,
  maxEntryBytes: number,
): Buffer | undefined {
  let inflatedSize = 0;
  let gzipSize = 0;
  for (const entry of entries) {
    if (entry.uncompressedSize > maxEntryBytes) return undefined;
    inflatedSize += entry.uncompressedSize;
    gzipSize += GZIP_HEADER.length + entry.compressed.length + GZIP_TRAILER_SIZE;
  }
  // never pooled, so that it can be released below
  const gzip = Buffer.allocUnsafeSlow(gzipSize);
  let at = 0;
  for (const entry of entries) {
    at += GZIP_HEADER.copy(gzip, at);
    at += entry.compressed.copy(gzip, at);
    // ISIZE is the size modulo 2^32; the sum of the sizes below catches a lie beyond that
    at = gzip.writeUInt32LE(entry.crc32 >>> 0, at);
    at = gzip.writeUInt32LE(entry.uncompressedSize >>> 0, at);
  }
  try {
    const data = gunzipSync(gzip, {
      maxOutputLength: Math.max(1, inflatedSize + 1),
      chunkSize: Math.max(MIN_CHUNK_BYTES, inflatedSize + 1),
    });
    return data.length === inflatedSize ? data : undefined;
  } catch {
    return undefined;
  } finally {
    (gzip.buffer as Detachable).transfer(0);
  }
}

/**
 * Frees the memory of what `inflateZipEntries` returned, once read, rather than at the next
 * garbage collection. A thread that inflates much and allocates little on its V8 heap (the parse
 * thread) collects rarely, and its dead buffers pile up to V8's external-memory limit: at 500,000
 * records a 64 MB malloc arena stayed resident. Detaching an ArrayBuffer (`transfer(0)`) frees it
 * at once. Only buffers far larger than Buffer's pool (8 kB) are detached, since a pooled one is
 * shared: a batch's inflated data is hundreds of kB.
 */
export function releaseInflated(results: ReadonlyArray<Buffer | string>): void {
  const pooledAtMost = Math.max(Buffer.poolSize, 64 * 1024);
  for (const result of results) {
    if (typeof result === 'string' || !(result.buffer instanceof ArrayBuffer)) continue;
    const buffer = result.buffer as Detachable;
    if (!buffer.detached && buffer.byteLength > pooledAtMost) buffer.transfer(0);
  }
}

/** ES2024's ArrayBuffer members (Node 24 has them; the TypeScript lib this compiles with predates them) */
type Detachable = ArrayBuffer & { readonly detached: boolean; transfer(newLength?: number): ArrayBuffer };

/**
 * Positional reads through a window that is refilled only when a read falls outside it. Reads are
 * synchronous: one 1 MiB read serves hundreds of entries, and a thread-pool round trip per entry
 * (what async reads cost) made the import several times slower.
 */
class ReadWindow {
  readonly #fd: number;
  #backing = Buffer.alloc(0);
  #start = 0;
  #length = 0;

  constructor(fd: number) {
    this.#fd = fd;
  }

  /** up to `length` bytes at `position` (fewer at the end of the file), valid until the next read */
  read(position: number, length: number): Buffer {
    if (position < this.#start || position + length > this.#start + this.#length) {
      const size = Math.max(length, WINDOW_BYTES);
      if (this.#backing.length < size) this.#backing = Buffer.allocUnsafe(size);
      this.#start = position;
      this.#length = 0;
      this.#length = readSync(this.#fd, this.#backing, 0, size, position);
    }
    const offset = position - this.#start;
    return this.#backing.subarray(offset, Math.min(offset + length, this.#length));
  }
}

/** yauzl's reader interface over a window of its own, for the central directory walk. */
class WindowedReader extends yauzl.RandomAccessReader {
  readonly #window: ReadWindow;

  constructor(window: ReadWindow) {
    super();
    this.#window = window;
  }

  override read(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
    callback: (err: Error | null, bytesRead?: number) => void,
  ): void {
    let bytes: Buffer;
    try {
      bytes = this.#window.read(position, length);
    } catch (err) {
      callback(err as Error);
      return;
    }
    bytes.copy(buffer, offset);
    callback(null, bytes.length);
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return Readable.from([Buffer.from(this.#window.read(start, end - start))]);
  }

  override close(callback: (err: Error | null) => void): void {
    callback(null);
  }
}

function invalid(label: string, err: unknown): VigilError {
  const reason = err instanceof Error ? err.message : String(err);
  return new VigilError('VIGIL_SOURCE_INVALID', `${label} is not a readable zip: ${reason}`, { archive: label });
}
