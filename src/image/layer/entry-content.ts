import { Readable } from 'node:stream';
import { CHUNK_BYTES } from './blob-pipeline.ts';

/** The part of a tar-stream (streamx) entry stream this module relies on. */
export interface TarEntryStream {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'end' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  pause(): unknown;
  resume(): unknown;
}

/**
 * A Node Readable over one tar entry's bytes. tar-stream's own entry streams are streamx streams,
 * and destroying one destroys the whole archive; a consumer that reads a file's first kilobyte and
 * then destroys the stream must not end the layer. Here a destroy detaches and lets the rest of the
 * entry drain, so the archive moves on to the next header.
 */
export class EntryContent extends Readable {
  readonly #source: TarEntryStream;
  #detached = false;

  constructor(source: TarEntryStream, mapError: (err: Error) => Error) {
    super({ highWaterMark: CHUNK_BYTES });
    this.#source = source;
    source.on('data', (chunk) => {
      if (this.#detached) return;
      if (!this.push(chunk)) source.pause();
    });
    source.on('end', () => {
      if (!this.#detached) this.push(null);
    });
    source.on('error', (err) => {
      if (!this.#detached) this.destroy(mapError(err));
    });
    source.pause();
  }

  override _read(): void {
    this.#source.resume();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.#detached = true;
    this.#source.resume();
    callback(err);
  }
}

/** Settles when the entry's bytes have all passed (or the archive closed under it). */
export function entryDone(source: TarEntryStream): Promise<void> {
  return new Promise((resolve) => {
    source.on('end', resolve);
    source.on('close', resolve);
  });
}
