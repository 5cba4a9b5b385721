import type { Readable } from 'node:stream';
import type { ImageRef, LayerRef, Platform, ResolvedImage } from '../core/types.ts';

/**
 * One entry of a layer, in tar order. Paths are normalised: relative to the image root, no leading
 * "/", no "." or ".." segments (entries that would escape the root are dropped with a warning by
 * the reader). Whiteout entries (".wh.NAME", ".wh..wh..opq") come through as ordinary files; the
 * layer walker in src/scan interprets them.
 */
export interface LayerEntry {
  readonly path: string;
  readonly type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';
  readonly mode: number;
  readonly size: number;
  /** symlink: the target as written (may be absolute or relative); hardlink: normalised path of the linked entry */
  readonly linkTarget?: string;
  /**
   * dir: sources only: where the file is on this machine, so a scan can read it in place instead
   * of copying it (a root filesystem's executables are gigabytes)
   */
  readonly hostPath?: string;
  /** content of a regular file; the consumer reads it or calls `skip()` before asking for the next entry */
  readonly content?: Readable;
  skip(): Promise<void>;
}

export interface EntryReadOptions {
  readonly signal?: AbortSignal;
  /** called for entries dropped as hostile, and for other non-fatal oddities */
  readonly onWarning?: (path: string, message: string) => void;
  /** called with compressed bytes read so far, for progress displays */
  readonly onBytes?: (bytes: number) => void;
}

/** A registry, an archive, an OCI layout or a root filesystem: all look alike from here. */
export interface ImageSource {
  readonly ref: ImageRef;
  /** Resolves the reference (and the platform, for an index) to one image. */
  manifest(signal?: AbortSignal): Promise<ResolvedImage>;
  /**
   * The entries of one layer. Blob digest and diffID are verified as the bytes flow; a mismatch
   * makes the iteration throw VIGIL_DIGEST_MISMATCH at its end, so a caller must not commit what it
   * read (e.g. to the layer cache) until the iteration has finished cleanly.
   */
  layerEntries(layer: LayerRef, options?: EntryReadOptions): AsyncIterable<LayerEntry>;
  close(): Promise<void>;
}

export interface SourceOptions {
  readonly platform?: Platform;
  /** talk plain HTTP to the registry (a private CA is trusted through NODE_EXTRA_CA_CERTS instead) */
  readonly insecure?: boolean;
  readonly username?: string;
  readonly password?: string;
  /** path to a docker config.json; default $DOCKER_CONFIG/config.json or ~/.docker/config.json */
  readonly dockerConfig?: string;
  readonly timeoutMs?: number;
  readonly retries?: number;
  /** injected for tests */
  readonly fetch?: typeof globalThis.fetch;
  readonly env?: NodeJS.ProcessEnv;
}
