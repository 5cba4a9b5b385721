import { type FileHandle, open } from 'node:fs/promises';

/**
 * Read-ahead windows, aligned so they never overlap: a BerkeleyDB scan alternates between the hash
 * page it walks and the overflow chains its items point to, so several windows stay warm at once.
 */
const WINDOW_BYTES = 64 * 1024;
const WINDOWS = 16;

interface Window {
  readonly offset: number;
  readonly bytes: Buffer;
}

/**
 * Random access to a package database on local disk: BerkeleyDB and NDB are read page by page at
 * offsets, so a database of hundreds of megabytes never has to sit in memory whole. A few read-ahead
 * windows (1 MiB in all) turn the page-sized reads into large ones; without them a 275 MB
 * BerkeleyDB took over 100,000 separate reads.
 */
export class PagedFile {
  readonly #handle: FileHandle;
  readonly size: number;
  /** most recently used first */
  #windows: Window[] = [];

  private constructor(handle: FileHandle, size: number) {
    this.#handle = handle;
    this.size = size;
  }

  static async open(path: string): Promise<PagedFile> {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      return new PagedFile(handle, size);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** `length` bytes at `offset` (a copy), or fewer when the file ends first (a truncated database). */
  async read(offset: number, length: number): Promise<Buffer> {
    if (offset < 0 || length <= 0 || offset >= this.size) return Buffer.alloc(0);
    const wanted = Math.min(length, this.size - offset);
    const windowOffset = offset - (offset % WINDOW_BYTES);
    if (offset + wanted > windowOffset + WINDOW_BYTES) return this.#readDirect(offset, wanted);
    let window = this.#windows.find((w) => w.offset === windowOffset);
    if (!window) {
      window = { offset: windowOffset, bytes: await this.#readDirect(windowOffset, WINDOW_BYTES) };
    }
    this.#windows = [window, ...this.#windows.filter((w) => w !== window)].slice(0, WINDOWS);
    const start = offset - window.offset;
    return Buffer.from(window.bytes.subarray(start, Math.min(start + wanted, window.bytes.length)));
  }

  async #readDirect(offset: number, length: number): Promise<Buffer> {
    const buffer = Buffer.alloc(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await this.#handle.read(buffer, filled, length - filled, offset + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled === length ? buffer : buffer.subarray(0, filled);
  }

  async close(): Promise<void> {
    this.#windows = [];
    await this.#handle.close();
  }
}
