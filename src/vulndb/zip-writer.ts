import { type FileHandle, open } from 'node:fs/promises';
import { crc32, deflateRawSync } from 'node:zlib';

/**
 * A small streaming zip writer (APPNOTE.TXT 4.3: local headers, data, central directory, end of
 * central directory record), for building OSV mirrors in tests and benchmarks the way osv.dev's
 * bucket serves them: a flat `all.zip` of `<ID>.json` entries. More than 65,535 entries get a
 * zip64 end of central directory (APPNOTE 4.3.14, 4.3.15), as osv.dev's npm and PyPI zips do;
 * offsets stay under 4 GiB. `tamper` lets a test write the hostile archives a mirror might serve.
 */

export interface ZipEntryOptions {
  readonly method?: 'deflate' | 'store';
  /** replaces the stored (compressed) bytes after the sizes and CRC were computed */
  readonly tamper?: (stored: Buffer) => Buffer;
  /** the uncompressed size the headers claim */
  readonly claimedSize?: number;
  readonly claimedCrc?: number;
}

const MAX_16 = 0xffff;
const MAX_32 = 0xffffffff;
const FLUSH_BYTES = 1024 * 1024;
/** 1980-01-01 00:00, the earliest DOS date: keeps archives reproducible */
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

export class ZipWriter {
  readonly #file: FileHandle;
  readonly #central: Buffer[] = [];
  #entries = 0;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #offset = 0;

  private constructor(file: FileHandle) {
    this.#file = file;
  }

  static async create(path: string): Promise<ZipWriter> {
    return new ZipWriter(await open(path, 'w'));
  }

  async add(name: string, content: Buffer | string, options: ZipEntryOptions = {}): Promise<void> {
    const data = typeof content === 'string' ? Buffer.from(content) : content;
    const method = options.method === 'store' ? 0 : 8;
    const compressed = method === 0 ? data : deflateRawSync(data);
    if (this.#offset + compressed.length > MAX_32) throw new Error('ZipWriter keeps archives under 4 GiB');
    const stored = options.tamper ? options.tamper(compressed) : compressed;
    const nameBytes = Buffer.from(name);
    const crc = options.claimedCrc ?? crc32(data);
    const size = options.claimedSize ?? data.length;

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // bit 11: names are UTF-8
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(this.#offset, 42);
    this.#central.push(central, nameBytes);
    this.#entries++;

    await this.#write(local, nameBytes, stored);
  }

  /** Writes the central directory and the end record, and closes the file. */
  async close(): Promise<void> {
    const directoryOffset = this.#offset;
    const directory = Buffer.concat(this.#central);
    const parts = [directory];
    if (this.#entries > MAX_16) {
      const zip64End = Buffer.alloc(56);
      zip64End.writeUInt32LE(0x06064b50, 0);
      zip64End.writeBigUInt64LE(44n, 4);
      zip64End.writeUInt16LE(45, 12);
      zip64End.writeUInt16LE(45, 14);
      zip64End.writeBigUInt64LE(BigInt(this.#entries), 24);
      zip64End.writeBigUInt64LE(BigInt(this.#entries), 32);
      zip64End.writeBigUInt64LE(BigInt(directory.length), 40);
      zip64End.writeBigUInt64LE(BigInt(directoryOffset), 48);
      const locator = Buffer.alloc(20);
      locator.writeUInt32LE(0x07064b50, 0);
      locator.writeBigUInt64LE(BigInt(directoryOffset + directory.length), 8);
      locator.writeUInt32LE(1, 16);
      parts.push(zip64End, locator);
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(Math.min(this.#entries, MAX_16), 8);
    end.writeUInt16LE(Math.min(this.#entries, MAX_16), 10);
    end.writeUInt32LE(directory.length, 12);
    end.writeUInt32LE(directoryOffset, 16);
    await this.#write(...parts, end);
    await this.#flush();
    await this.#file.close();
  }

  async #write(...parts: Buffer[]): Promise<void> {
    for (const part of parts) {
      this.#pending.push(part);
      this.#pendingBytes += part.length;
      this.#offset += part.length;
    }
    if (this.#pendingBytes >= FLUSH_BYTES) await this.#flush();
  }

  async #flush(): Promise<void> {
    if (this.#pendingBytes === 0) return;
    const chunk = Buffer.concat(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    await this.#file.write(chunk);
  }
}

/** A whole zip written at once: `entries` as [name, content] pairs. */
export async function writeZip(
  path: string,
  entries: Iterable<readonly [string, Buffer | string, ZipEntryOptions?]>,
): Promise<void> {
  const zip = await ZipWriter.create(path);
  for (const [name, content, options] of entries) await zip.add(name, content, options);
  await zip.close();
}
