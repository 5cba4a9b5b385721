import { VigilError } from '../core/errors.ts';
import type { FileInfo, FileSystemView } from '../extract/types.ts';
import type { CapturedFile, LayerCache, LayerContribution } from './layer-cache.ts';

/** Linux's own bound on symlinks followed in one lookup (MAXSYMLINKS, fs/namei.c). */
const MAX_SYMLINK_HOPS = 40;
const DEFAULT_READ_LIMIT = 64 * 1024 * 1024;

export type MergedNode =
  | { readonly kind: 'file'; readonly layerIndex: number; readonly file: CapturedFile }
  | { readonly kind: 'symlink'; readonly layerIndex: number; readonly target: string };

/** A captured file as it stands after some layer, with every layer that wrote it since it last appeared. */
export interface FileHistory {
  readonly path: string;
  /** indices of the layers that (re)wrote the path, oldest first, since it was last deleted */
  readonly layers: number[];
}

/**
 * The captured part of the image filesystem, merged layer over layer the way overlayfs presents it
 * (OCI image spec, "Applying Changesets"): a layer's whiteouts and opaque directories hide what
 * lower layers put there, then the layer's own entries are laid on top.
 */
export class MergedFilesystem {
  readonly #nodes = new Map<string, MergedNode>();
  readonly #history = new Map<string, number[]>();
  /** snapshots of the node map after each layer, kept only for layers that some caller asks for */
  readonly #snapshots = new Map<number, Map<string, MergedNode>>();

  apply(layerIndex: number, contribution: LayerContribution): void {
    for (const dir of contribution.opaqueDirs) this.#deleteUnder(dir, false);
    for (const path of contribution.whiteouts) this.#deleteUnder(path, true);
    for (const [path, target] of Object.entries(contribution.symlinks)) {
      this.#nodes.set(path, { kind: 'symlink', layerIndex, target });
      this.#history.delete(path);
    }
    for (const [path, file] of Object.entries(contribution.files)) {
      this.#nodes.set(path, { kind: 'file', layerIndex, file });
      const layers = this.#history.get(path) ?? [];
      layers.push(layerIndex);
      this.#history.set(path, layers);
    }
  }

  /** Keeps a copy of the current state to build a view "as of this layer" later. */
  snapshot(layerIndex: number): void {
    this.#snapshots.set(layerIndex, new Map(this.#nodes));
  }

  /** Final captured regular files and the layers that wrote each. */
  files(): FileHistory[] {
    const out: FileHistory[] = [];
    for (const [path, node] of this.#nodes) {
      if (node.kind === 'file') out.push({ path, layers: [...(this.#history.get(path) ?? [node.layerIndex])] });
    }
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** Final symlinks (path -> target as written). */
  symlinks(): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (const [path, node] of this.#nodes) if (node.kind === 'symlink') out.push([path, node.target]);
    return out;
  }

  view(cache: LayerCache, asOfLayer?: number): MergedView {
    const nodes = asOfLayer === undefined ? this.#nodes : this.#snapshots.get(asOfLayer);
    if (!nodes) throw new VigilError('VIGIL_INTERNAL', `no snapshot kept for layer ${asOfLayer}`);
    return new MergedView(nodes, cache);
  }

  #deleteUnder(path: string, includeSelf: boolean): void {
    const prefix = path === '' ? '' : `${path}/`;
    for (const key of [...this.#nodes.keys()]) {
      if ((includeSelf && key === path) || key.startsWith(prefix)) {
        this.#nodes.delete(key);
        this.#history.delete(key);
      }
    }
  }
}

/** A read-only FileSystemView over one state of the merged filesystem. */
export class MergedView implements FileSystemView {
  readonly #nodes: ReadonlyMap<string, MergedNode>;
  readonly #cache: LayerCache;

  constructor(nodes: ReadonlyMap<string, MergedNode>, cache: LayerCache) {
    this.#nodes = nodes;
    this.#cache = cache;
  }

  /** Follows symlinks in every component; undefined when the path leads nowhere or loops. */
  resolve(path: string): { path: string; node: MergedNode & { kind: 'file' } } | undefined {
    const resolved = this.follow(path);
    if (resolved === undefined) return undefined;
    const node = this.#nodes.get(resolved);
    return node?.kind === 'file' ? { path: resolved, node } : undefined;
  }

  /**
   * The path that `path` names once every symlink on the way is followed (path_resolution(7)),
   * whether or not anything was captured there; undefined for a loop.
   */
  follow(path: string): string | undefined {
    let pending = splitPath(path);
    const done: string[] = [];
    let hops = 0;
    while (pending.length > 0) {
      const [component, ...rest] = pending as [string, ...string[]];
      pending = rest;
      if (component === '..') {
        done.pop();
        continue;
      }
      done.push(component);
      const node = this.#nodes.get(done.join('/'));
      if (node?.kind !== 'symlink') continue;
      if (++hops > MAX_SYMLINK_HOPS) return undefined;
      done.pop();
      if (node.target.startsWith('/')) done.length = 0;
      pending = [...splitPath(node.target), ...pending];
    }
    return done.join('/');
  }

  async stat(path: string): Promise<FileInfo | undefined> {
    const found = this.resolve(path);
    return found ? { path: found.path, size: found.node.file.size, mode: found.node.file.mode } : undefined;
  }

  async readFile(path: string, limit = DEFAULT_READ_LIMIT): Promise<Buffer | undefined> {
    const found = this.resolve(path);
    if (!found) return undefined;
    if (found.node.file.size > limit) {
      throw new VigilError(
        'VIGIL_LIMIT_EXCEEDED',
        `${path} is ${found.node.file.size} bytes, over the ${limit}-byte limit`,
        {
          path,
          limit,
        },
      );
    }
    return this.#cache.readCaptured(found.node.file);
  }

  /** A path holding the content: the blob, a pack entry written out as a blob, or the file itself (dir:). */
  async localPath(path: string): Promise<string | undefined> {
    const found = this.resolve(path);
    return found ? this.#cache.localPathOf(found.node.file) : undefined;
  }

  async list(dir: string): Promise<string[]> {
    const prefix = dir === '' ? '' : `${dir.replace(/\/+$/, '')}/`;
    const out: string[] = [];
    for (const key of this.#nodes.keys()) {
      if (key.startsWith(prefix) && !key.slice(prefix.length).includes('/')) out.push(key);
    }
    return out.sort();
  }
}

function splitPath(path: string): string[] {
  return path.split('/').filter((part) => part !== '' && part !== '.');
}
