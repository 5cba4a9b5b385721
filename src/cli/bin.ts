#!/usr/bin/env -S node --max-semi-space-size=8
// Streaming layers makes short-lived garbage fast, and V8's default young generation then grows to
// tens of MB per semi-space, which RSS keeps. 8 MB keeps a scan's peak RSS flat and is no slower
// (bench:sbom, languages image: 247 MB -> 168 MB). V8 reads the flag only at startup, hence the
// shebang; `npm run vigil` passes it too.
import { enableCompileCache } from 'node:module';
import { join } from 'node:path';
import { makeDirectory } from '../core/make-directory.ts';
import { defaultCacheDir } from './paths.ts';

// V8's compiled code for Vigil's own modules, kept between runs: six alternating starts each,
// `vigil scan --help` took 0.41-0.55 s with it against 0.45-0.64 s without, `vigil serve --help`
// 0.67-1.01 s against 0.74-1.02 s (CPU 0.60-0.84 against 0.64-0.92 s). Under the user's cache
// dir rather than Node's default in the shared temporary directory, where another user could
// plant code. Node's own NODE_COMPILE_CACHE (another directory) and NODE_DISABLE_COMPILE_CACHE
// take precedence; a directory that cannot be made only means no cache.
const compileCache = join(defaultCacheDir(), 'node-compile-cache');
const nodeDecides =
  process.env.NODE_COMPILE_CACHE !== undefined || process.env.NODE_DISABLE_COMPILE_CACHE !== undefined;
if (!nodeDecides) {
  try {
    makeDirectory(compileCache);
    enableCompileCache(compileCache);
  } catch {
    // no cache then
  }
}

const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
