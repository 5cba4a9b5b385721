import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  createWriteStream,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { VigilError } from '../core/errors.ts';
import { makeDirectory } from '../core/make-directory.ts';
import type { Inventory } from '../core/types.ts';

/** memory for recently captured small blobs, per scan */
const RECENT_BLOB_BUDGET = 16 * 1024 * 1024;

/** What one layer contributed to the captured filesystem: the unit the layer cache stores. */
export interface LayerContribution {
  readonly version: 1;
  readonly diffId: string;
  /** paths deleted in lower layers by `.wh.NAME` entries */
  readonly whiteouts: string[];
  /** directories whose lower-layer content is hidden (`.wh..wh..opq`) */
  readonly opaqueDirs: string[];
  /** every symlink in the layer: links into lower layers must resolve at merge time */
  readonly symlinks: Record<string, string>;
  /** captured regular files (and hard links to them) with their content-addressed blob */
  readonly files: Record<string, CapturedFile>;
  readonly warnings: Array<{ path: string; message: string }>;
}

export interface CapturedFile {
  readonly size: number;
  readonly mode: number;
  /** sha256 hex of the content, the name of its blob ("" for a file read in place) */
  readonly blob: string;
  /** dir: sources: the file on this machine, read in place; such contributions are never cached */
  readonly hostPath?: string;
  /** small files: stored at `offset` (`size` bytes) in the pack file `pack` instead of a blob of their own */
  readonly pack?: string;
  readonly offset?: number;
}

/**
 * On-disk cache under one root:
 *   blobs/<sha256>                       captured files over 256 KiB (and small ones an extractor
 *                                        needed as a file), shared by every layer
 *   packs/<id>.pack                      one layer's small captured files, back to back
 *   layers/<diffId hex>-<extractorsKey>.json    a LayerContribution
 *   inventories/<manifest hex>-<extractorsKey>.json  a merged Inventory
 * Every write goes to a temporary name first and is renamed into place, so a crash leaves either
 * the old entry or the new one, never half of one.
 */
export class LayerCache {
  readonly #root: string;

  constructor(root: string) {
    this.#root = root;
  }

  get root(): string {
    return this.#root;
  }

  blobPath(blob: string): string {
    return join(this.#root, 'blobs', blob);
  }

  /** Streams content into a blob, returning its sha256 hex; the content is written once per hash. */
  async putBlob(content: Readable): Promise<{ blob: string; size: number }> {
    const dir = await this.#blobDir();
    const temp = join(dir, `.tmp-${randomBytes(8).toString('hex')}`);
    const hash = createHash('sha256');
    let size = 0;
    content.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      size += chunk.length;
    });
    try {
      await pipeline(content, createWriteStream(temp));
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
    const blob = hash.digest('hex');
    const target = this.blobPath(blob);
    if (await exists(target)) await rm(temp, { force: true });
    else await rename(temp, target);
    return { blob, size };
  }

  /**
   * A pack for one layer's small captured files: appended with synchronous writes (creating a file
   * per package.json cost half a millisecond of system time each; one pack per layer costs one),
   * renamed into place by `finish` before the layer's contribution that names it is stored.
   */
  openPack(): PackWriter {
    const id = randomBytes(12).toString('hex');
    const dir = join(this.#root, 'packs');
    makeDirectory(dir);
    return new PackWriter(id, join(dir, `.tmp-${id}`), this.#packPath(id), (blob, bytes) =>
      this.#remember(blob, bytes),
    );
  }

  #packPath(id: string): string {
    if (!/^[a-f0-9]{24}$/.test(id)) {
      throw new VigilError('VIGIL_CACHE_CORRUPT', `refusing to use "${id}" as a pack name`, { pack: id });
    }
    return join(this.#root, 'packs', `${id}.pack`);
  }

  /** A captured file's content: in place (dir:), from memory, from its pack, or from its blob. */
  async readCaptured(file: CapturedFile): Promise<Buffer> {
    if (file.hostPath !== undefined) return readFile(file.hostPath);
    const recent = this.#recent.get(file.blob);
    if (recent) return recent;
    if (file.pack !== undefined) return readPacked(this.#packPath(file.pack), file.offset ?? 0, file.size);
    return readFile(this.blobPath(file.blob));
  }

  /** A path on disk holding the content, for readers that need one (SQLite, BerkeleyDB, zip, ELF). */
  async localPathOf(file: CapturedFile): Promise<string> {
    if (file.hostPath !== undefined) return file.hostPath;
    const target = this.blobPath(file.blob);
    if (file.pack === undefined || (await exists(target))) return target;
    const bytes = await this.readCaptured(file);
    const temp = join(await this.#blobDir(), `.tmp-${randomBytes(8).toString('hex')}`);
    writeFileSync(temp, bytes);
    renameSync(temp, target);
    return target;
  }

  /**
   * Small blobs captured by this process, kept so that extractors read them from memory rather
   * than open the file again (3,000 package.json files are 12,000 fewer file operations). Bounded:
   * once the budget is spent, later blobs are read from disk.
   */
  readonly #recent = new Map<string, Buffer>();
  #recentBytes = 0;

  #remember(blob: string, bytes: Buffer): void {
    if (this.#recentBytes + bytes.length > RECENT_BLOB_BUDGET || this.#recent.has(blob)) return;
    // a copy: `bytes` may be a view into a larger decompression buffer that would stay alive with it
    this.#recent.set(blob, Buffer.from(bytes));
    this.#recentBytes += bytes.length;
  }

  #blobDirReady: Promise<string> | undefined;

  #blobDir(): Promise<string> {
    const dir = join(this.#root, 'blobs');
    this.#blobDirReady ??= Promise.resolve().then(() => {
      makeDirectory(dir);
      return dir;
    });
    return this.#blobDirReady;
  }

  async getLayer(diffId: string, extractorsKey: string): Promise<LayerContribution | undefined> {
    const entry = await this.#readJson<LayerContribution>(this.#layerFile(diffId, extractorsKey));
    if (entry?.version !== 1 || entry.diffId !== diffId) return undefined;
    const packs = new Set<string>();
    for (const file of Object.values(entry.files)) {
      if (file.hostPath !== undefined) return undefined;
      if (file.pack !== undefined) {
        packs.add(file.pack);
        continue;
      }
      // a cache whose blobs were cleaned away is a miss, not an error
      if (!(await exists(this.blobPath(file.blob)))) return undefined;
    }
    for (const pack of packs) if (!(await exists(this.#packPath(pack)))) return undefined;
    return entry;
  }

  async putLayer(extractorsKey: string, contribution: LayerContribution): Promise<void> {
    await this.#writeJson(this.#layerFile(contribution.diffId, extractorsKey), contribution);
  }

  async getInventory(manifestDigest: string, extractorsKey: string): Promise<Inventory | undefined> {
    const inventory = await this.#readJson<Inventory>(this.#inventoryFile(manifestDigest, extractorsKey));
    return inventory?.schemaVersion === 1 && inventory.image.manifestDigest === manifestDigest ? inventory : undefined;
  }

  async putInventory(extractorsKey: string, inventory: Inventory): Promise<void> {
    await this.#writeJson(this.#inventoryFile(inventory.image.manifestDigest, extractorsKey), inventory);
  }

  #layerFile(diffId: string, key: string): string {
    return join(this.#root, 'layers', `${digestHex(diffId)}-${key}.json`);
  }

  #inventoryFile(digest: string, key: string): string {
    return join(this.#root, 'inventories', `${digestHex(digest)}-${key}.json`);
  }

  async #readJson<T>(file: string): Promise<T | undefined> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new VigilError('VIGIL_CACHE_CORRUPT', `cannot read cache entry ${file}`, { file }, { cause: err });
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      // a torn or foreign file: treat as a miss and let the next write replace it
      return undefined;
    }
  }

  async #writeJson(file: string, value: unknown): Promise<void> {
    const dir = join(file, '..');
    makeDirectory(dir);
    const temp = `${file}.tmp-${randomBytes(8).toString('hex')}`;
    await writeFile(temp, JSON.stringify(value));
    await rename(temp, file);
  }
}

function digestHex(digest: string): string {
  const hex = digest.slice(digest.indexOf(':') + 1);
  if (!/^[a-f0-9]{32,128}$/.test(hex)) {
    throw new VigilError('VIGIL_CACHE_CORRUPT', `refusing to use "${digest}" as a cache key`, { digest });
  }
  return hex;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Appends small files to one pack file; see LayerCache.openPack. */
export class PackWriter {
  readonly #id: string;
  readonly #temp: string;
  readonly #target: string;
  readonly #remember: (blob: string, bytes: Buffer) => void;
  #fd: number | undefined;
  #offset = 0;

  constructor(id: string, temp: string, target: string, remember: (blob: string, bytes: Buffer) => void) {
    this.#id = id;
    this.#temp = temp;
    this.#target = target;
    this.#remember = remember;
  }

  add(bytes: Buffer): { blob: string; pack: string; offset: number; size: number } {
    this.#fd ??= openSync(this.#temp, 'w');
    const blob = createHash('sha256').update(bytes).digest('hex');
    const offset = this.#offset;
    for (let written = 0; written < bytes.length; ) written += writeSync(this.#fd, bytes, written);
    this.#offset += bytes.length;
    this.#remember(blob, bytes);
    return { blob, pack: this.#id, offset, size: bytes.length };
  }

  /** Puts the pack in place (when anything was added); the files it holds become readable from disk. */
  finish(): void {
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
    renameSync(this.#temp, this.#target);
  }

  /** Drops a pack whose layer failed (a digest mismatch): nothing may refer to it. */
  abandon(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    rmSync(this.#temp, { force: true });
  }
}

function readPacked(path: string, offset: number, size: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const bytes = Buffer.alloc(size);
    let read = 0;
    while (read < size) {
      const n = readSync(fd, bytes, read, size - read, offset + read);
      if (n === 0) throw new VigilError('VIGIL_CACHE_CORRUPT', `pack ${path} is shorter than its index says`, { path });
      read += n;
    }
    return bytes;
  } finally {
    closeSync(fd);
  }
}
