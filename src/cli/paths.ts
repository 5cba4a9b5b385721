import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** $VIGIL_CACHE_DIR, else $XDG_CACHE_HOME/vigil, else ~/.cache/vigil (XDG Base Directory spec). */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.VIGIL_CACHE_DIR) return env.VIGIL_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'vigil');
}

/** $VIGIL_DATA_DIR, else $XDG_DATA_HOME/vigil, else ~/.local/share/vigil (XDG Base Directory spec). */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.VIGIL_DATA_DIR) return env.VIGIL_DATA_DIR;
  return join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'vigil');
}

/**
 * Creates `dir` and its missing parents one level at a time; false when it cannot. Not
 * `mkdirSync(dir, { recursive: true })`, which under /proc (where mkdir answers ENOENT for a
 * parent that exists) loops forever in Node 24.
 */
export function makeDirectory(dir: string): boolean {
  const path = resolve(dir);
  try {
    mkdirSync(path);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return true;
    const parent = dirname(path);
    if (code !== 'ENOENT' || parent === path || !makeDirectory(parent)) return false;
    try {
      mkdirSync(path);
      return true;
    } catch (again) {
      return (again as NodeJS.ErrnoException).code === 'EEXIST';
    }
  }
}
