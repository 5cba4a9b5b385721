import { homedir } from 'node:os';
import { join } from 'node:path';

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
