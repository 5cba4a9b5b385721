import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * `mkdir -p`: makes `dir` and its missing parents, one level at a time, and throws mkdir's error
 * (ENOTDIR, EACCES, ...) when it cannot. Not `mkdirSync(dir, { recursive: true })`: under /proc,
 * where mkdir answers ENOENT for a parent that exists, that one spins forever in Node 24, and a
 * user's --cache-dir or --data-dir there would hang the command.
 */
export function makeDirectory(dir: string): void {
  const path = resolve(dir);
  try {
    mkdirSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      if (statSync(path).isDirectory()) return;
      throw err;
    }
    const parent = dirname(path);
    if (code !== 'ENOENT' || parent === path) throw err;
    makeDirectory(parent);
    try {
      mkdirSync(path);
    } catch (again) {
      // ENOENT again: the parent exists yet the kernel will not make this (a /proc path)
      if ((again as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(path).isDirectory()) throw again;
    }
  }
}
