import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { Readable } from 'node:stream';

const CHUNK = 256 * 1024;

/**
 * A file's content, opened on the first read rather than when the walker passes it: a walk of `/`
 * meets hundreds of thousands of files and reads a few. An unreadable file (permissions, vanished,
 * replaced by a symlink since it was listed: O_NOFOLLOW) ends empty with a warning rather than
 * failing the scan, as the walker does for unreadable directories.
 */
export class LazyFileContent extends Readable {
  readonly #file: string;
  readonly #onError: (err: NodeJS.ErrnoException) => void;
  #handle: FileHandle | undefined;

  constructor(file: string, onError: (err: NodeJS.ErrnoException) => void) {
    super({ highWaterMark: CHUNK });
    this.#file = file;
    this.#onError = onError;
  }

  override _read(): void {
    this.#readChunk().then(
      (chunk) => this.push(chunk),
      (err: NodeJS.ErrnoException) => {
        this.#onError(err);
        this.push(null);
      },
    );
  }

  async #readChunk(): Promise<Buffer | null> {
    this.#handle ??= await open(this.#file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    const buffer = Buffer.allocUnsafe(CHUNK);
    const { bytesRead } = await this.#handle.read(buffer, 0, CHUNK, null);
    return bytesRead === 0 ? null : buffer.subarray(0, bytesRead);
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    const handle = this.#handle;
    this.#handle = undefined;
    if (!handle) {
      callback(err);
      return;
    }
    handle.close().then(
      () => callback(err),
      () => callback(err),
    );
  }
}
