import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import type { LayerRef } from '../core/types.ts';
import type { Extractor } from '../extract/types.ts';
import type { ImageSource } from '../image/types.ts';
import type { CapturedFile, LayerCache, LayerContribution } from './layer-cache.ts';

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
 * Reads one layer once and keeps what the extractors need: the files they ask for (contents go to
 * the blob store, never to memory), every symlink, and the layer's whiteouts. Hard links to files
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
  const onWarning = (path: string, message: string) => contribution.warnings.push({ path, message });

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
        } else if (entry.size > options.maxCapturedFileBytes) {
          onWarning(entry.path, `not read: ${entry.size} bytes is over the ${options.maxCapturedFileBytes}-byte limit`);
          await entry.skip();
        } else {
          contribution.files[entry.path] = await capture(options.cache, entry.content, entry.mode);
        }
        break;
      default:
        await entry.skip();
    }
  }

  if (pendingLinks.size > 0) await resolvePendingLinks(source, layer, options, contribution, pendingLinks);
  return contribution;
}

async function capture(cache: LayerCache, content: Readable, mode: number): Promise<CapturedFile> {
  const { blob, size } = await cache.putBlob(content);
  return { size, mode, blob };
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
  for await (const entry of source.layerEntries(layer, { signal: options.signal })) {
    if (
      entry.type === 'file' &&
      entry.content &&
      wanted.has(entry.path) &&
      entry.size <= options.maxCapturedFileBytes
    ) {
      found.set(entry.path, await capture(options.cache, entry.content, entry.mode));
    } else {
      await entry.skip();
    }
  }
  return found;
}

function joinPath(dir: string, name: string): string {
  return dir === '.' || dir === '' ? name : `${dir}/${name}`;
}
