import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VigilError } from '../core/errors.ts';
import type { Distro, Inventory, LayerRef, Package, ResolvedImage, Warning } from '../core/types.ts';
import type { Extractor, ExtractResult } from '../extract/types.ts';
import type { ImageSource } from '../image/types.ts';
import { introducingLayers, packageKey } from './attribute.ts';
import { capturePaths, collectLayer, isCaptured } from './collect-layer.ts';
import { extractorIds, extractorsKey } from './extractor-key.ts';
import { LayerCache, type LayerContribution } from './layer-cache.ts';
import { MergedFilesystem, type MergedView } from './merged-fs.ts';
import { dropOsOwned } from './os-owned.ts';

export type ProgressEvent =
  | { readonly type: 'image'; readonly image: ResolvedImage; readonly cached: boolean }
  | { readonly type: 'layer-start'; readonly index: number; readonly layer: LayerRef; readonly cached: boolean }
  /** `bytes`: the layer's compressed bytes read so far (a running total, not a delta) */
  | { readonly type: 'layer-bytes'; readonly index: number; readonly bytes: number }
  | { readonly type: 'layer-done'; readonly index: number }
  | { readonly type: 'extract'; readonly files: number };

export interface InventoryOptions {
  readonly extractors: readonly Extractor[];
  /** root of the layer cache; ignored when `useCache` is false */
  readonly cacheDir: string;
  readonly useCache?: boolean;
  /** layers read at once; two keeps both cores busy with decompression and hashing */
  readonly concurrency?: number;
  readonly maxCapturedFileBytes?: number;
  /** picks one distro when several release files answer (os/release's chooseDistro) */
  readonly chooseDistro: (candidates: Distro[]) => Distro | undefined;
  readonly signal?: AbortSignal;
  readonly now?: () => Date;
  readonly onProgress?: (event: ProgressEvent) => void;
}

export interface InventoryResult {
  readonly inventory: Inventory;
  /** true when the merged inventory came whole from the cache */
  readonly cached: boolean;
}

/** Extractors that say what the distro is; they run first so package purls can name it. */
const DISTRO_EXTRACTORS = new Set(['os/release']);
const DEFAULT_MAX_CAPTURED_FILE_BYTES = 512 * 1024 * 1024;

/**
 * The inventory of one image: each layer read once (or taken from the layer cache), the captured
 * files merged in layer order, every extractor run on the result, and each package attributed to
 * the layer that introduced it.
 */
export async function buildInventory(source: ImageSource, options: InventoryOptions): Promise<InventoryResult> {
  const image = await source.manifest(options.signal);
  const key = extractorsKey(options.extractors);
  const cacheable = options.useCache !== false && image.layers.every((layer) => layer.diffId !== '');
  const persistent = new LayerCache(options.cacheDir);

  if (cacheable) {
    const inventory = await persistent.getInventory(image.manifestDigest, key);
    if (inventory) {
      options.onProgress?.({ type: 'image', image, cached: true });
      return { inventory, cached: true };
    }
  }
  options.onProgress?.({ type: 'image', image, cached: false });

  // What cannot be cached (a live directory, --no-cache) still needs somewhere to put captured files.
  const scratch = cacheable ? undefined : await mkdtemp(join(tmpdir(), 'vigil-scan-'));
  const cache = scratch ? new LayerCache(scratch) : persistent;
  try {
    const contributions = await mapLimit(image.layers, options.concurrency ?? 2, (layer, index) =>
      readLayer(source, layer, index, cache, cacheable, key, options),
    );
    await captureLinkTargets(source, image, contributions, cache, cacheable ? key : undefined, options);
    const inventory = await extractAll(image, contributions, cache, options);
    if (cacheable) await persistent.putInventory(key, inventory);
    return { inventory, cached: false };
  } finally {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
}

async function readLayer(
  source: ImageSource,
  layer: LayerRef,
  index: number,
  cache: LayerCache,
  cacheable: boolean,
  key: string,
  options: InventoryOptions,
): Promise<LayerContribution> {
  if (cacheable) {
    const hit = await cache.getLayer(layer.diffId, key);
    options.onProgress?.({ type: 'layer-start', index, layer, cached: hit !== undefined });
    if (hit) {
      options.onProgress?.({ type: 'layer-done', index });
      return hit;
    }
  } else {
    options.onProgress?.({ type: 'layer-start', index, layer, cached: false });
  }
  const contribution = await collectLayer(source, layer, {
    extractors: options.extractors,
    cache,
    maxCapturedFileBytes: options.maxCapturedFileBytes ?? DEFAULT_MAX_CAPTURED_FILE_BYTES,
    signal: options.signal,
    onBytes: (bytes) => options.onProgress?.({ type: 'layer-bytes', index, bytes }),
  });
  // Only a layer read to its end, digests verified, is committed to the cache.
  if (cacheable) await cache.putLayer(key, contribution);
  options.onProgress?.({ type: 'layer-done', index });
  return contribution;
}

/**
 * A required path that is a symlink to a file no extractor named (etc/os-release ->
 * ../usr/share/base/os-release) is only known once the layers are merged: fetch each such target
 * with a targeted pass over the layers, newest first, and keep it in that layer's cache entry so
 * the next scan has it. (Files reached only through a symlinked *directory* are found when the
 * extractor also names the real location, as every OS extractor does.)
 */
async function captureLinkTargets(
  source: ImageSource,
  image: ResolvedImage,
  contributions: LayerContribution[],
  cache: LayerCache,
  cacheKey: string | undefined,
  options: InventoryOptions,
): Promise<void> {
  const merged = mergeLayers(contributions, false);
  const view = merged.view(cache);
  const missing = new Set<string>();
  for (const [path] of merged.symlinks()) {
    if (!isCaptured(options.extractors, path, 0, 0) || view.resolve(path)) continue;
    const real = view.follow(path);
    if (real) missing.add(real);
  }
  for (let index = image.layers.length - 1; index >= 0 && missing.size > 0; index--) {
    const layer = image.layers[index] as LayerRef;
    const contribution = contributions[index] as LayerContribution;
    const found = await capturePaths(source, layer, missing, {
      extractors: options.extractors,
      cache,
      maxCapturedFileBytes: options.maxCapturedFileBytes ?? DEFAULT_MAX_CAPTURED_FILE_BYTES,
      signal: options.signal,
    });
    if (found.size === 0) continue;
    for (const [path, file] of found) {
      contribution.files[path] = file;
      missing.delete(path);
    }
    if (cacheKey) await cache.putLayer(cacheKey, contribution);
  }
}

function mergeLayers(contributions: readonly LayerContribution[], snapshots: boolean): MergedFilesystem {
  const merged = new MergedFilesystem();
  contributions.forEach((contribution, index) => {
    merged.apply(index, contribution);
    if (snapshots) merged.snapshot(index);
  });
  return merged;
}

interface Target {
  readonly extractor: Extractor;
  /** the path the extractor asked for (may pass through symlinks) */
  readonly path: string;
  /** the captured file it resolves to */
  readonly realPath: string;
  /** layers that wrote the real file, oldest first */
  readonly layers: readonly number[];
}

async function extractAll(
  image: ResolvedImage,
  contributions: readonly LayerContribution[],
  cache: LayerCache,
  options: InventoryOptions,
): Promise<Inventory> {
  const merged = mergeLayers(contributions, contributions.length > 1);
  const finalView = merged.view(cache);
  const warnings: Warning[] = contributions.flatMap((contribution, index) =>
    contribution.warnings.map((w) => ({ ...w, layerDiffId: image.layers[index]?.diffId || undefined })),
  );

  const targets = findTargets(merged, finalView, options.extractors);
  options.onProgress?.({ type: 'extract', files: targets.length });

  const distroTargets = targets.filter((t) => DISTRO_EXTRACTORS.has(t.extractor.name));
  const candidates: Distro[] = [];
  for (const target of distroTargets) {
    const result = await runExtractor(target, target.realPath, finalView, undefined, warnings);
    if (result.distro) candidates.push(result.distro);
  }
  const distro = options.chooseDistro(candidates);

  // Several files at once: most of an extractor's time is waiting on reads of captured files.
  // Results are collected in target order, so the inventory is the same whatever finishes first.
  const perTarget = await mapLimit(
    targets.filter((target) => !DISTRO_EXTRACTORS.has(target.extractor.name)),
    EXTRACT_CONCURRENCY,
    async (target) => {
      const targetWarnings: Warning[] = [];
      const final = await runExtractor(target, target.realPath, finalView, distro, targetWarnings);
      const introducedAt = await attribute(target, final, merged, cache, distro);
      const found = final.packages.map((pkg): Package => {
        const layerIndex = introducedAt.get(packageKey(pkg)) ?? target.layers.at(-1) ?? 0;
        const diffId = image.layers[layerIndex]?.diffId;
        return { ...pkg, layerIndex, ...(diffId ? { layerDiffId: diffId } : {}) };
      });
      return { found, targetWarnings };
    },
  );
  for (const { targetWarnings } of perTarget) warnings.push(...targetWarnings);
  const { kept } = dropOsOwned(perTarget.flatMap(({ found }) => found));

  return {
    schemaVersion: 1,
    image: {
      ref: image.ref.original,
      transport: image.ref.transport,
      manifestDigest: image.manifestDigest,
      configDigest: image.configDigest,
      platform: image.platform,
      layers: image.layers.map((layer) => ({
        diffId: layer.diffId,
        digest: layer.digest,
        size: layer.size,
        ...(layer.createdBy ? { createdBy: layer.createdBy } : {}),
      })),
      ...(image.repoTags ? { repoTags: image.repoTags } : {}),
    },
    ...(distro ? { distro } : {}),
    packages: kept.sort(comparePackages),
    warnings,
    extractors: extractorIds(options.extractors),
    createdAt: (options.now?.() ?? new Date()).toISOString(),
  };
}

/** Every (extractor, file) pair to run, reached directly or through a symlink, each real file once per extractor. */
function findTargets(merged: MergedFilesystem, view: MergedView, extractors: readonly Extractor[]): Target[] {
  const histories = new Map(merged.files().map((file) => [file.path, file.layers]));
  const candidates = [...histories.keys(), ...merged.symlinks().map(([path]) => path)];
  const seen = new Set<string>();
  const targets: Target[] = [];
  for (const path of candidates) {
    const resolved = view.resolve(path);
    if (!resolved) continue;
    for (const extractor of extractors) {
      if (!extractor.required(path, resolved.node.file.size, resolved.node.file.mode)) continue;
      const id = `${extractor.name}\u0000${resolved.path}`;
      if (seen.has(id)) continue;
      seen.add(id);
      targets.push({ extractor, path, realPath: resolved.path, layers: histories.get(resolved.path) ?? [] });
    }
  }
  return targets;
}

async function runExtractor(
  target: Target,
  realPath: string,
  view: MergedView,
  distro: Distro | undefined,
  warnings: Warning[],
): Promise<ExtractResult> {
  const found = view.resolve(realPath);
  if (!found) return { packages: [], warnings: [] };
  let localPath: Promise<string> | undefined;
  let result: ExtractResult;
  try {
    result = await target.extractor.extract({
      path: target.path,
      size: found.node.file.size,
      mode: found.node.file.mode,
      localPath: () => {
        localPath ??= view.localPath(realPath).then((path) => path as string);
        return localPath;
      },
      read: async (limit) => (await view.readFile(realPath, limit)) as Buffer,
      fs: view,
      ...(distro ? { distro } : {}),
    });
  } catch (err) {
    // An extractor must not throw for bad content; if one does, the image is still reported.
    const message = err instanceof VigilError || err instanceof Error ? err.message : String(err);
    warnings.push({ path: target.path, extractor: target.extractor.name, message: `extractor failed: ${message}` });
    return { packages: [], warnings: [] };
  }
  // the Warning carries the path; several extractors also start their messages with it, and a
  // report would print it twice
  const prefix = `${target.path}: `;
  for (const message of result.warnings) {
    const text = message.startsWith(prefix) ? message.slice(prefix.length) : message;
    warnings.push({ path: target.path, extractor: target.extractor.name, message: text });
  }
  return result;
}

/** Reads each older copy of the database (as of the layer that wrote it) to find who introduced what. */
async function attribute(
  target: Target,
  final: ExtractResult,
  merged: MergedFilesystem,
  cache: LayerCache,
  distro: Distro | undefined,
): Promise<Map<string, number>> {
  const layers = target.layers;
  if (layers.length <= 1) return introducingLayers(layers, [new Set(final.packages.map(packageKey))]);
  const versions: Array<Set<string>> = [];
  for (const layerIndex of layers.slice(0, -1)) {
    const result = await runExtractor(target, target.realPath, merged.view(cache, layerIndex), distro, []);
    versions.push(new Set(result.packages.map(packageKey)));
  }
  versions.push(new Set(final.packages.map(packageKey)));
  return introducingLayers(layers, versions);
}

/** extractor runs in flight at once: enough to overlap file reads, few enough to bound memory */
const EXTRACT_CONCURRENCY = 8;

function comparePackages(a: Package, b: Package): number {
  return a.type.localeCompare(b.type) || a.name.localeCompare(b.name) || a.version.localeCompare(b.version);
}

/** Runs `work` over `items` with at most `limit` in flight, keeping results in input order. */
async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T, index);
    }
  });
  await Promise.all(workers);
  return results;
}
