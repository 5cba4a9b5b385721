/** Test support: run lang/npm over a fixture tree the way the scanner would. Not used at runtime. */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Package } from '../../../core/types.ts';
import { capturedBy, inputFromFixture } from '../../testing.ts';
import type { Extractor } from '../../types.ts';

async function regularFiles(root: string, dir = ''): Promise<Array<{ path: string; size: number; mode: number }>> {
  const out: Array<{ path: string; size: number; mode: number }> = [];
  for (const entry of await readdir(join(root, dir), { withFileTypes: true })) {
    const path = dir === '' ? entry.name : `${dir}/${entry.name}`;
    // symlinked paths reach files the walk meets anyway; the scanner runs each real file once
    if (entry.isDirectory()) out.push(...(await regularFiles(root, path)));
    else if (entry.isFile()) {
      const st = await lstat(join(root, path));
      out.push({ path, size: st.size, mode: st.mode });
    }
  }
  return out;
}

export interface TreeScan {
  readonly packages: Package[];
  /** "path: message" */
  readonly warnings: string[];
}

/** Every file `extractor` requires under `root`, extracted with only captured files visible. */
export async function scanTree(extractor: Extractor, root: string): Promise<TreeScan> {
  const packages: Package[] = [];
  const warnings: string[] = [];
  for (const file of await regularFiles(root)) {
    if (!extractor.required(file.path, file.size, file.mode)) continue;
    const input = await inputFromFixture(root, file.path, { captured: capturedBy(extractor) });
    const result = await extractor.extract(input);
    packages.push(...result.packages);
    for (const message of result.warnings) warnings.push(`${file.path}: ${message}`);
  }
  return { packages, warnings };
}
