/**
 * Test support for extractors: an ExtractInput and a FileSystemView over a fixture directory laid
 * out like an image root (`testdata/debian-12/var/lib/dpkg/status`). Not used at runtime.
 */
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join, posix, resolve, sep } from 'node:path';
import { VigilError } from '../core/errors.ts';
import type { Distro } from '../core/types.ts';
import type { ExtractInput, Extractor, FileInfo, FileSystemView } from './types.ts';

const DEFAULT_READ_LIMIT = 64 * 1024 * 1024;

export interface FixtureOptions {
  /** the image's distro, as os/release would have found it */
  readonly distro?: Distro;
  /**
   * Emulates the walker's capture: only paths this accepts are visible through `fs` (default: every
   * file under the root). Use `capturedBy(extractor)` to see what the scanner would capture.
   */
  readonly captured?: (path: string, size: number, mode: number) => boolean;
}

/** The capture filter the scanner applies for one extractor: `required` or `wants`. */
export function capturedBy(extractor: Extractor): (path: string, size: number, mode: number) => boolean {
  return (path, size, mode) => extractor.required(path, size, mode) || (extractor.wants?.(path, size, mode) ?? false);
}

/** Normalises an image path: no leading "/", no "." segments, ".." clamped at the root as it is for an absolute path. */
function imagePathOf(path: string): string {
  const normalised = posix.normalize(`/${path}`).slice(1);
  let end = normalised.length;
  while (end > 0 && normalised[end - 1] === '/') end--;
  return normalised.slice(0, end);
}

async function tooBig(path: string, size: number, limit: number): Promise<never> {
  throw new VigilError('VIGIL_LIMIT_EXCEEDED', `${path} is ${size} bytes, over the ${limit}-byte limit`, {
    path,
    size,
    limit,
  });
}

/** A FileSystemView over a directory on disk; `captured` narrows what it shows. */
export function fsFromDir(
  rootDir: string,
  captured?: (path: string, size: number, mode: number) => boolean,
): FileSystemView {
  const root = resolve(rootDir);
  // a second guard, on the host side
  const hostPath = (imagePath: string): string | undefined => {
    const full = resolve(root, imagePathOf(imagePath));
    return full === root || full.startsWith(root + sep) ? full : undefined;
  };
  const visible = async (imagePath: string): Promise<{ full: string; info: FileInfo } | undefined> => {
    const p = imagePathOf(imagePath);
    const full = hostPath(imagePath);
    if (full === undefined) return undefined;
    const st = await stat(full).catch(() => undefined);
    if (!st) return undefined;
    if (st.isFile() && captured && !captured(p, st.size, st.mode)) return undefined;
    return { full, info: { path: p, size: st.size, mode: st.mode } };
  };
  return {
    async stat(path) {
      return (await visible(path))?.info;
    },
    async readFile(path, limit = DEFAULT_READ_LIMIT) {
      const found = await visible(path);
      if (!found) return undefined;
      if (found.info.size > limit) return tooBig(found.info.path, found.info.size, limit);
      return readFile(found.full);
    },
    async localPath(path) {
      return (await visible(path))?.full;
    },
    async list(dir) {
      const p = imagePathOf(dir);
      const full = hostPath(dir);
      if (full === undefined) return [];
      const entries = await readdir(full, { withFileTypes: true }).catch(() => []);
      const out: string[] = [];
      for (const entry of entries) {
        const child = p === '' ? entry.name : `${p}/${entry.name}`;
        if (entry.isFile() && captured) {
          const st = await stat(join(full, entry.name));
          if (!captured(child, st.size, st.mode)) continue;
        }
        out.push(child);
      }
      return out.sort();
    },
  };
}

/** An ExtractInput for `imagePath` inside the fixture root `rootDir`. */
export async function inputFromFixture(
  rootDir: string,
  imagePath: string,
  opts: FixtureOptions = {},
): Promise<ExtractInput> {
  const p = imagePathOf(imagePath);
  const localPath = resolve(rootDir, p);
  const st = await stat(localPath);
  return {
    path: p,
    size: st.size,
    mode: st.mode,
    localPath: async () => localPath,
    async read(limit = DEFAULT_READ_LIMIT) {
      if (st.size > limit) return tooBig(p, st.size, limit);
      const handle = await open(localPath, 'r');
      try {
        return await handle.readFile();
      } finally {
        await handle.close();
      }
    },
    fs: fsFromDir(rootDir, opts.captured),
    ...(opts.distro ? { distro: opts.distro } : {}),
  };
}
