/**
 * Opens a zip file on disk for yauzl through a read-ahead window. yauzl's own file reader makes one
 * read(2) per central-directory record (two per entry): 3.5 s for a 50,000-entry jar, against 0.6 s
 * from memory. Central-directory records are read in order, so a 64 KiB window serves nearly all
 * of them from one read; entry data still streams straight from the file.
 */
import { close, fstat, open, read } from 'node:fs';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import yauzl from 'yauzl';

const WINDOW = 64 * 1024;
const openFd = promisify(open);
const statFd = promisify(fstat);
const readFd = promisify(read);

class WindowedFileReader extends yauzl.RandomAccessReader {
  readonly #fd: number;
  #window: Buffer = Buffer.alloc(0);
  #windowStart = 0;

  constructor(fd: number) {
    super();
    this.#fd = fd;
  }

  // not fs.createReadStream({ fd }): destroying that stream (as yauzl does once an entry is read)
  // closes the shared descriptor even with autoClose off
  override _readStreamForRange(start: number, end: number): Readable {
    const fd = this.#fd;
    async function* range(): AsyncGenerator<Buffer> {
      for (let position = start; position < end; ) {
        const chunk = Buffer.allocUnsafe(Math.min(WINDOW, end - position));
        const { bytesRead } = await readFd(fd, chunk, 0, chunk.length, position);
        if (bytesRead === 0) return;
        position += bytesRead;
        yield chunk.subarray(0, bytesRead);
      }
    }
    return Readable.from(range(), { objectMode: false });
  }

  // yauzl calls back with (err, bytesRead) and treats fewer bytes than asked as end of file
  override read(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
    callback: (err: Error | null, bytesRead?: number) => void,
  ): void {
    const from = position - this.#windowStart;
    if (from >= 0 && from + length <= this.#window.length) {
      this.#window.copy(buffer, offset, from, from + length);
      setImmediate(callback, null, length);
      return;
    }
    if (length >= WINDOW) {
      read(this.#fd, buffer, offset, length, position, (err, bytesRead) => callback(err, bytesRead));
      return;
    }
    const window = Buffer.allocUnsafe(WINDOW);
    read(this.#fd, window, 0, WINDOW, position, (err, bytesRead) => {
      if (err) {
        callback(err);
        return;
      }
      this.#window = window.subarray(0, bytesRead);
      this.#windowStart = position;
      const available = Math.min(length, bytesRead);
      window.copy(buffer, offset, 0, available);
      callback(null, available);
    });
  }

  override close(callback: (err: Error | null) => void): void {
    close(this.#fd, callback);
  }
}

/** A yauzl ZipFile over the file at `path`; its descriptor closes when the ZipFile and its streams are done. */
export async function openZipFile(path: string, options: yauzl.Options): Promise<yauzl.ZipFile> {
  const fd = await openFd(path, 'r');
  try {
    const { size } = await statFd(fd);
    return await yauzl.fromRandomAccessReaderPromise(new WindowedFileReader(fd), size, options);
  } catch (err) {
    // yauzl hands back no ZipFile on failure, so nothing else will close the descriptor
    close(fd, () => {});
    throw err;
  }
}
