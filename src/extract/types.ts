import type { Distro, Package } from '../core/types.ts';

export interface FileInfo {
  readonly path: string;
  readonly size: number;
  readonly mode: number;
}

/**
 * The captured part of the image filesystem as merged up to the layer being extracted: only files
 * some extractor's `required` or `wants` accepted are present. Symlinks are resolved (bounded).
 */
export interface FileSystemView {
  stat(path: string): Promise<FileInfo | undefined>;
  /** whole content; throws VIGIL_LIMIT_EXCEEDED beyond `limit` bytes (default 64 MiB) */
  readFile(path: string, limit?: number): Promise<Buffer | undefined>;
  /** a path on local disk with the content, for readers that need random access (SQLite, BerkeleyDB) */
  localPath(path: string): Promise<string | undefined>;
  /** captured paths directly under `dir` (no leading "/", no trailing "/") */
  list(dir: string): Promise<string[]>;
}

export interface ExtractInput {
  /** image path of the file, no leading "/" */
  readonly path: string;
  readonly size: number;
  readonly mode: number;
  /**
   * a path on local disk holding the content, for readers that need random access (SQLite,
   * BerkeleyDB, zip, ELF); asked for only when needed, since small files live packed in the layer
   * cache and are written out on demand. Text formats should use `read`.
   */
  localPath(): Promise<string>;
  read(limit?: number): Promise<Buffer>;
  readonly fs: FileSystemView;
  /** the image's distro when known (os/release runs first); used for purl namespaces */
  readonly distro?: Distro;
}

export interface ExtractResult {
  readonly packages: Package[];
  readonly distro?: Distro;
  /** per-file problems: the file was partly or not at all readable; the scan goes on */
  readonly warnings: string[];
}

/** One per package-database or manifest kind (after osv-scalibr's extractor interface). */
export interface Extractor {
  /** "os/dpkg": the folder it lives in */
  readonly name: string;
  /** bump when output changes; part of the layer-cache and inventory-cache keys */
  readonly version: number;
  /**
   * cheap test on path, size and mode (tar/stat mode bits, 0 when unknown): should `extract` run on
   * this file? Binary extractors look at the executable bits; the rest need only the path.
   */
  required(path: string, size: number, mode: number): boolean;
  /** companion files to capture so `extract` can read them through `fs` (e.g. dpkg info/*.list) */
  wants?(path: string, size: number, mode: number): boolean;
  /** never throws for bad content: returns warnings instead */
  extract(input: ExtractInput): Promise<ExtractResult>;
}
