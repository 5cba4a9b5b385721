import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import type { LayerRef } from '../core/types.ts';
import type { Extractor } from '../extract/types.ts';
import type { ImageSource } from '../image/types.ts';
import type { CapturedFile, LayerCache, LayerContribution, PackWriter } from './layer-cache.ts';

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';

export interface CollectOptions {
  readonly extractors: readonly Extractor[];
  readonly cache: LayerCache;
  /** files larger than this are not captured (a warning says so); package databases are far smaller */
  readonly maxCapturedFileBytes: number;
  readonly signal?: AbortSignal;
  readonly onBytes?: (bytes: number) => void;
}

/** Is this path one some extractor reads (to extract from, or as a companion file)? */
export function isCaptured(extractors: readonly Extractor[], path: string, size: number, mode: number): boolean {
  for (const extractor of extractors) {
    if (extractor.required(path, size, mode) || extractor.wants?.(path, size, mode)) return true;
  }
  return false;
}

/**
 * Reads one layer once and keeps what the extractors need: the files they ask for (small ones
 * appended to the layer's pack file, larger ones streamed to a blob each, never whole in memory),
 * every symlink, and the layer's whiteouts. Hard links to files
 * that were not captured when they streamed past are fetched with a second, targeted pass: tar
 * hard links always point backwards in the same archive.
 */
export async function collectLayer(
  source: ImageSource,
  layer: LayerRef,
  options: CollectOptions,
): Promise<LayerContribution> {
  const contribution: LayerContribution = {
    version: 1,
    diffId: layer.diffId,
    whiteouts: [],
    opaqueDirs: [],
    symlinks: {},
    files: {},
    warnings: [],
  };
  const pendingLinks = new Map<string, string>();
  const pack = options.cache.openPack();
  const onWarning = (path: string, message: string) => contribution.warnings.push({ path, message });

  try {
    await readEntries();
  } catch (err) {
    // a layer that fails (a digest mismatch at the end of the stream) must leave no pack behind
    pack.abandon();
    throw err;
  }
  pack.finish();
  if (pendingLinks.size > 0) await resolvePendingLinks(source, layer, options, contribution, pendingLinks);
  return contribution;

  /** one pass over the layer's tar entries, filling `contribution`, `pendingLinks` and `pack` */
  async function readEntries(): Promise<void> {
    for await (const entry of source.layerEntries(layer, {
      signal: options.signal,
      onWarning,
      onBytes: options.onBytes,
    })) {
      const base = posix.basename(entry.path);
      if (base.startsWith(WHITEOUT_PREFIX)) {
        const dir = posix.dirname(entry.path);
        if (base === OPAQUE_MARKER) contribution.opaqueDirs.push(dir === '.' ? '' : dir);
        else contribution.whiteouts.push(joinPath(dir, base.slice(WHITEOUT_PREFIX.length)));
        await entry.skip();
        continue;
      }
      switch (entry.type) {
        case 'symlink':
          contribution.symlinks[entry.path] = entry.linkTarget ?? '';
          await entry.skip();
          break;
        case 'hardlink': {
          const target = entry.linkTarget ?? '';
          if (isCaptured(options.extractors, entry.path, entry.size, entry.mode)) {
            const captured = contribution.files[target];
            if (captured) contribution.files[entry.path] = captured;
            else pendingLinks.set(entry.path, target);
          }
          await entry.skip();
          break;
        }
        case 'file':
          if (!isCaptured(options.extractors, entry.path, entry.size, entry.mode) || !entry.content) {
            await entry.skip();
          } else if (entry.hostPath !== undefined) {
            // a directory on this machine: read in place later, never copied
            contribution.files[entry.path] = { size: entry.size, mode: entry.mode, blob: '', hostPath: entry.hostPath };
            await entry.skip();
          } else if (entry.size > options.maxCapturedFileBytes) {
            onWarning(
              entry.path,
              `not read: ${entry.size} bytes is over the ${options.maxCapturedFileBytes}-byte limit`,
            );
            await entry.skip();
          } else {
            contribution.files[entry.path] = await capture(options.cache, entry.content, entry.mode, entry.size, pack);
          }
          break;
        case 'other':
          // a sparse file, device or fifo where an extractor expects a regular file: say so, or a
          // package database stored sparse would vanish from the report without a word
          if (isCaptured(options.extractors, entry.path, entry.size, entry.mode)) {
            onWarning(entry.path, 'not read: not a regular file (a sparse file, device or fifo)');
          }
          await entry.skip();
          break;
        default:
          await entry.skip();
      }
    }
  }
}

/** Files up to this size are read into memory whole before they are stored (one write, no stream). */
const SMALL_FILE_BYTES = 256 * 1024;

async function capture(
  cache: LayerCache,
  content: Readable,
  mode: number,
  size: number,
  pack: PackWriter,
): Promise<CapturedFile> {
  // executables go to blobs of their own whatever their size: the binary readers (Go, Rust) need
  // them as files, and writing a packed one out again would cost a second write
  if (size <= SMALL_FILE_BYTES && (mode & 0o111) === 0) {
    const chunks: Buffer[] = [];
    let read = 0;
    for await (const chunk of content) {
      read += (chunk as Buffer).length;
      // the tar header's size bounds the entry; a reader that yields more is a bug, not an image's fault
      if (read > SMALL_FILE_BYTES) throw new Error(`tar entry longer than its header's ${size} bytes`);
      chunks.push(chunk as Buffer);
    }
    const packed = pack.add(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
    return { size: packed.size, mode, blob: packed.blob, pack: packed.pack, offset: packed.offset };
  }
  const { blob, size: written } = await cache.putBlob(content);
  return { size: written, mode, blob };
}

async function resolvePendingLinks(
  source: ImageSource,
  layer: LayerRef,
  options: CollectOptions,
  contribution: LayerContribution,
  pendingLinks: Map<string, string>,
): Promise<void> {
  const found = await capturePaths(source, layer, new Set(pendingLinks.values()), options);
  for (const [path, target] of pendingLinks) {
    const file = found.get(target);
    if (file) contribution.files[path] = file;
    else contribution.warnings.push({ path, message: `hard link to ${target}, which the layer does not hold` });
  }
}

/**
 * A targeted pass over one layer for files no extractor asked for by name but one needs anyway:
 * the targets of hard links, and of symlinks that a required path passes through.
 */
export async function capturePaths(
  source: ImageSource,
  layer: LayerRef,
  wanted: ReadonlySet<string>,
  options: CollectOptions,
): Promise<Map<string, CapturedFile>> {
  const found = new Map<string, CapturedFile>();
  const pack = options.cache.openPack();
  try {
    for await (const entry of source.layerEntries(layer, { signal: options.signal })) {
      if (
        entry.type === 'file' &&
        entry.content &&
        wanted.has(entry.path) &&
        entry.size <= options.maxCapturedFileBytes
      ) {
        found.set(entry.path, await capture(options.cache, entry.content, entry.mode, entry.size, pack));
      } else {
        await entry.skip();
      }
    }
  } catch (err) {
    pack.abandon();
    throw err;
  }
  pack.finish();
  return found;
}

function joinPath(dir: string, name: string): string {
  return dir === '.' || dir === '' ? name : `${dir}/${name}`;
}
