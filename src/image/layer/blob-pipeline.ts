import { createHash, getHashes, type Hash } from 'node:crypto';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { createGunzip, createZstdDecompress, constants as zlibConstants } from 'node:zlib';
import { VigilError } from '../../core/errors.ts';
import type { Compression } from '../../core/types.ts';

/** Chunk size for decompressor output and meters: large chunks keep per-chunk costs negligible. */
export const CHUNK_BYTES = 256 * 1024;

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/**
 * Registries and build tools mislabel layers (a "tar+gzip" media type on a plain tar, zstd pushed
 * as gzip), so the bytes decide, as containerd's compression.DecompressStream does; the declared
 * compression only matters when the magic is ambiguous (an empty blob).
 */
export function sniffCompression(head: Uint8Array, declared: Compression): Compression {
  if (head.length >= 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1]) return 'gzip';
  if (head.length >= 4 && ZSTD_MAGIC.every((b, i) => head[i] === b)) return 'zstd';
  if (head.length === 0) return declared;
  return 'none';
}

/** Reads the first `n` bytes (fewer at end of stream) and puts them back, leaving the stream paused. */
export function peek(stream: Readable, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    const onReadable = () => {
      const head: Buffer | null = stream.read(n);
      if (head === null) return;
      cleanup();
      stream.unshift(head);
      resolve(head);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.alloc(0));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    stream.on('readable', onReadable);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}

export function createDecompressor(compression: Compression): Transform | undefined {
  if (compression === 'gzip') return createGunzip({ chunkSize: CHUNK_BYTES });
  if (compression === 'zstd') {
    return createZstdDecompress({
      chunkSize: CHUNK_BYTES,
      // Bounds the decoder window a hostile frame can demand (zstd's own default cap is 128 MiB).
      params: { [zlibConstants.ZSTD_d_windowLogMax]: 27 },
    });
  }
  return undefined;
}

const SUPPORTED = new Set(getHashes());

/** "sha256:abc..." -> a hash for the algorithm; undefined when no check is wanted (empty digest). */
export function hashFor(digest: string, layerDigest: string): Hash | undefined {
  if (digest === '') return undefined;
  const colon = digest.indexOf(':');
  const algorithm = colon > 0 ? digest.slice(0, colon) : '';
  if (!/^sha(256|384|512)$/.test(algorithm) || !SUPPORTED.has(algorithm)) {
    throw new VigilError('VIGIL_IMAGE_INVALID', `unsupported digest "${digest}" for layer ${layerDigest}`, {
      digest,
      layer: layerDigest,
    });
  }
  return createHash(algorithm);
}

export function hexOf(digest: string): string {
  return digest.slice(digest.indexOf(':') + 1).toLowerCase();
}

/**
 * Counts and hashes the bytes passing through on the same pass as the decompression, so a layer is
 * read exactly once. `onBytes` sees the running total; `limit` bounds the total (a decompression
 * bomb stops here, not in memory).
 */
export class ByteMeter extends Transform {
  bytes = 0;
  readonly #hashes: Hash[];
  readonly #limit: number;
  readonly #onLimit: (() => Error) | undefined;
  readonly #onBytes: ((bytes: number) => void) | undefined;

  constructor(options: {
    hashes: Array<Hash | undefined>;
    limit?: number;
    onLimit?: () => Error;
    onBytes?: (bytes: number) => void;
  }) {
    super({ highWaterMark: CHUNK_BYTES });
    this.#hashes = options.hashes.filter((h): h is Hash => h !== undefined);
    this.#limit = options.limit ?? Number.POSITIVE_INFINITY;
    this.#onLimit = options.onLimit;
    this.#onBytes = options.onBytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.#limit) {
      callback(this.#onLimit?.() ?? new Error('limit exceeded'));
      return;
    }
    for (const hash of this.#hashes) hash.update(chunk);
    this.#onBytes?.(this.bytes);
    callback(null, chunk);
  }
}
