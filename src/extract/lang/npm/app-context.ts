/**
 * What the application's own package.json says about the packages installed under it: whether an
 * installed package is a direct dependency (and then whether for development only), and whether a
 * package.json elsewhere is one of its workspaces (npm docs, "workspaces"). npm 7+ also leaves a
 * hidden lockfile, `node_modules/.package-lock.json`, with the `dev` flag of every installed path
 * (npm docs, package-lock.json "Hidden Lockfiles"). Each is read once per filesystem view.
 */
import type { FileSystemView } from '../../types.ts';
import { type DeclaredDependencies, declaredDependencies, parseJsonObject, readManifest } from './manifest.ts';
import { dirname } from './paths.ts';

const cache = new WeakMap<FileSystemView, Map<string, Promise<Record<string, unknown> | undefined>>>();

function manifestIn(fs: FileSystemView, dir: string): Promise<Record<string, unknown> | undefined> {
  let perView = cache.get(fs);
  if (!perView) {
    perView = new Map();
    cache.set(fs, perView);
  }
  let pending = perView.get(dir);
  if (!pending) {
    pending = readManifest(fs, dir);
    perView.set(dir, pending);
  }
  return pending;
}

const MAX_HIDDEN_LOCKFILE = 64 * 1024 * 1024;
const hiddenCache = new WeakMap<FileSystemView, Map<string, Promise<Record<string, unknown> | undefined>>>();

/** `packages` of `<appDir>/node_modules/.package-lock.json`, keyed by install path ("node_modules/a") */
function hiddenLockfile(fs: FileSystemView, appDir: string): Promise<Record<string, unknown> | undefined> {
  let perView = hiddenCache.get(fs);
  if (!perView) {
    perView = new Map();
    hiddenCache.set(fs, perView);
  }
  let pending = perView.get(appDir);
  if (!pending) {
    const path = appDir === '' ? 'node_modules/.package-lock.json' : `${appDir}/node_modules/.package-lock.json`;
    pending = fs
      .readFile(path, MAX_HIDDEN_LOCKFILE)
      .then((buffer) => {
        const parsed = buffer ? parseJsonObject(buffer.toString('utf8')) : undefined;
        const packages = parsed?.ok ? parsed.value.packages : undefined;
        return packages && typeof packages === 'object' && !Array.isArray(packages)
          ? (packages as Record<string, unknown>)
          : undefined;
      })
      .catch(() => undefined);
    perView.set(appDir, pending);
  }
  return pending;
}

export interface InstalledFlags {
  readonly direct?: boolean;
  readonly dev?: boolean;
}

/**
 * `app/node_modules/<name>/package.json`: direct when app/package.json declares <name> (the folder
 * name, which is the alias for aliased installs); dev when only devDependencies does. Deeper copies
 * are nobody's direct dependency. pnpm's store (`node_modules/.pnpm/…`) is reached through symlinks
 * whose names this path no longer shows, so nothing is claimed there.
 */
export async function installedFlags(fs: FileSystemView, path: string): Promise<InstalledFlags> {
  const first = path.startsWith('node_modules/') ? 0 : path.indexOf('/node_modules/') + 1;
  if (first === 0 && !path.startsWith('node_modules/')) return {};
  if (path.includes('node_modules/.pnpm/')) return {};
  const appDir = first === 0 ? '' : path.slice(0, first - 1);
  const installPath = path.slice(first, -'/package.json'.length);
  const [fromManifest, hidden] = await Promise.all([
    manifestFlags(fs, appDir, installPath),
    hiddenLockfile(fs, appDir),
  ]);
  const entry = hidden?.[installPath];
  if (entry === null || typeof entry !== 'object') return fromManifest;
  // npm's own record of the installed tree knows dev-ness for transitive packages too
  return { ...fromManifest, dev: (entry as Record<string, unknown>).dev === true };
}

async function manifestFlags(fs: FileSystemView, appDir: string, installPath: string): Promise<InstalledFlags> {
  const manifest = await manifestIn(fs, appDir);
  if (!manifest) return {};
  const rest = installPath.slice('node_modules/'.length);
  if (rest.includes('/node_modules/')) return workspacePatterns(manifest).length > 0 ? {} : { direct: false };
  const declared: DeclaredDependencies = declaredDependencies(manifest);
  if (declared.prod.has(rest)) return { direct: true, dev: false };
  if (declared.dev.has(rest)) return { direct: true, dev: true };
  // a workspace may declare it; those manifests are not read here, so claim nothing
  return workspacePatterns(manifest).length > 0 ? {} : { direct: false };
}

function workspacePatterns(manifest: Record<string, unknown>): string[] {
  const field = manifest.workspaces;
  const list = Array.isArray(field)
    ? field
    : field && typeof field === 'object' && Array.isArray((field as Record<string, unknown>).packages)
      ? ((field as Record<string, unknown>).packages as unknown[])
      : [];
  return list.filter((p): p is string => typeof p === 'string').slice(0, 1000);
}

/** A workspace glob ("packages/*", "apps/**") against a folder relative to the root. */
function matches(pattern: string, relative: string): boolean {
  const want = pattern.replace(/^\.\//, '').replace(/\/+$/, '').split('/');
  const got = relative.split('/');
  // memoised: a pattern of many "**" would otherwise try exponentially many splits
  const failed = new Set<number>();
  const match = (w: number, g: number): boolean => {
    if (failed.has(w * 1024 + g)) return false;
    const ok = step(w, g);
    if (!ok) failed.add(w * 1024 + g);
    return ok;
  };
  const step = (w: number, g: number): boolean => {
    if (w === want.length) return g === got.length;
    if (want[w] === '**') {
      for (let k = g; k <= got.length; k++) if (match(w + 1, k)) return true;
      return false;
    }
    if (g === got.length) return false;
    const part = want[w]!;
    const ok = part === '*' ? got[g] !== '' : part.includes('*') ? globSegment(part, got[g]!) : part === got[g];
    return ok && match(w + 1, g + 1);
  };
  return want.length <= 32 && got.length < 1024 && match(0, 0);
}

function globSegment(pattern: string, segment: string): boolean {
  const [prefix = '', ...others] = pattern.split('*');
  const suffix = others.length > 0 ? others[others.length - 1]! : '';
  return segment.startsWith(prefix) && segment.endsWith(suffix) && segment.length >= prefix.length + suffix.length;
}

/** Is the package.json in `dir` a workspace of an application in one of the (at most 8) folders above it? */
export async function isWorkspaceMember(fs: FileSystemView, dir: string): Promise<boolean> {
  let ancestor = dir;
  for (let depth = 0; depth < 8 && ancestor !== ''; depth++) {
    ancestor = dirname(ancestor);
    const manifest = await manifestIn(fs, ancestor);
    if (!manifest) continue;
    const relative = ancestor === '' ? dir : dir.slice(ancestor.length + 1);
    if (workspacePatterns(manifest).some((pattern) => matches(pattern, relative))) return true;
  }
  return false;
}
