import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, renameSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { VigilError } from '../core/errors.ts';
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
}

/**
 * On-disk cache under one root:
 *   blobs/<sha256>                       captured file contents, shared by every layer
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
   * A small file already read into memory: hashed at once, so the caller knows its blob name
   * without waiting for the disk; `stored` settles when the blob is in place (a blob that exists,
   * the same package.json in a thousand images, costs one stat).
   */
  putBlobBytes(bytes: Buffer): { blob: string; size: number; stored: Promise<void> } {
    const blob = createHash('sha256').update(bytes).digest('hex');
    const target = this.blobPath(blob);
    this.#remember(blob, bytes);
    // no existence check first: renaming identical content over a blob is harmless and cheaper
    // than a stat per file. Synchronous on purpose: for a file this small the promise API's
    // FileHandle and thread-pool round trips cost more than the write (measured: 3,000
    // package.json files, 2.6 s against 3.7 s), and they compete with decompression for the pool.
    const stored = (async () => {
      const dir = await this.#blobDir();
      const temp = join(dir, `.tmp-${randomBytes(8).toString('hex')}`);
      writeFileSync(temp, bytes);
      renameSync(temp, target);
    })();
    return { blob, size: bytes.length, stored };
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

  /** A blob's content, from memory when this process captured it, else from disk. */
  async readBlob(blob: string): Promise<Buffer> {
    return this.#recent.get(blob) ?? readFile(this.blobPath(blob));
  }

  #blobDirReady: Promise<string> | undefined;

  #blobDir(): Promise<string> {
    const dir = join(this.#root, 'blobs');
    this.#blobDirReady ??= mkdir(dir, { recursive: true }).then(() => dir);
    return this.#blobDirReady;
  }

  async getLayer(diffId: string, extractorsKey: string): Promise<LayerContribution | undefined> {
    const entry = await this.#readJson<LayerContribution>(this.#layerFile(diffId, extractorsKey));
    if (entry?.version !== 1 || entry.diffId !== diffId) return undefined;
    for (const file of Object.values(entry.files)) {
      if (file.hostPath !== undefined) return undefined;
      // a cache whose blobs were cleaned away is a miss, not an error
      if (!(await exists(this.blobPath(file.blob)))) return undefined;
    }
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
    await mkdir(dir, { recursive: true });
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
