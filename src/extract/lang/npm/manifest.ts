/**
 * The application manifest (package.json) next to a lockfile or a node_modules tree: its own
 * identity, and which dependencies it declares for production and for development.
 */
import type { FileSystemView } from '../../types.ts';
import { join } from './paths.ts';

export interface DeclaredDependencies {
  /** dependencies, optionalDependencies and peerDependencies: name → range */
  readonly prod: ReadonlyMap<string, string>;
  /** devDependencies: name → range */
  readonly dev: ReadonlyMap<string, string>;
}

const MAX_MANIFEST = 16 * 1024 * 1024;

export type JsonResult = { ok: true; value: Record<string, unknown> } | { ok: false; error: string };

/** JSON.parse that never throws and insists on an object at the top (a BOM is allowed, as npm allows it). */
export function parseJsonObject(text: string): JsonResult {
  try {
    const value: unknown = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return { ok: false, error: 'not a JSON object' };
    }
    return { ok: true, value: value as Record<string, unknown> };
  } catch (err) {
    return { ok: false, error: `invalid JSON: ${(err as Error).message}` };
  }
}

function rangeMap(value: unknown, into: Map<string, string>): void {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return;
  for (const [name, range] of Object.entries(value as Record<string, unknown>)) {
    into.set(name, typeof range === 'string' ? range : '');
  }
}

export function declaredDependencies(manifest: Record<string, unknown>): DeclaredDependencies {
  const prod = new Map<string, string>();
  const dev = new Map<string, string>();
  rangeMap(manifest.peerDependencies, prod);
  rangeMap(manifest.optionalDependencies, prod);
  rangeMap(manifest.dependencies, prod);
  rangeMap(manifest.devDependencies, dev);
  // a name in both is installed for production too
  for (const name of prod.keys()) dev.delete(name);
  return { prod, dev };
}

/** The package.json in `dir`, or undefined when absent or unreadable (its own extraction warns). */
export async function readManifest(fs: FileSystemView, dir: string): Promise<Record<string, unknown> | undefined> {
  try {
    const buffer = await fs.readFile(join(dir, 'package.json'), MAX_MANIFEST);
    if (!buffer) return undefined;
    const parsed = parseJsonObject(buffer.toString('utf8'));
    return parsed.ok ? parsed.value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Is a package tree installed in `dir/node_modules`? The scanner captures only files extractors
 * ask for, so the directory itself may be invisible: probe the package.json of packages the
 * lockfile or manifest names (each a captured path when installed), then any captured entry.
 */
export async function hasNodeModules(fs: FileSystemView, dir: string, names: Iterable<string>): Promise<boolean> {
  const modules = join(dir, 'node_modules');
  let probes = 0;
  for (const name of names) {
    if (++probes > 10_000) break;
    if (await fs.stat(`${modules}/${name}/package.json`)) return true;
  }
  return (await fs.list(modules)).length > 0;
}
