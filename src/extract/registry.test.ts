import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { extractors } from './registry.ts';

/** Extractor folders are `<group>/<name>/index.ts`; their name is "<group>/<name>". */
async function extractorFolders(): Promise<string[]> {
  const root = new URL('./', import.meta.url);
  const folders: string[] = [];
  for (const group of await readdir(root, { withFileTypes: true })) {
    if (!group.isDirectory()) continue;
    for (const entry of await readdir(new URL(`${group.name}/`, root), { withFileTypes: true })) {
      if (entry.isDirectory()) folders.push(`${group.name}/${entry.name}`);
    }
  }
  return folders.sort();
}

describe('extractor registry', () => {
  it('lists exactly the extractor folders', async () => {
    expect(extractors.map((e) => e.name).sort()).toEqual(await extractorFolders());
  });

  it('has unique names and positive integer versions', () => {
    expect(new Set(extractors.map((e) => e.name)).size).toBe(extractors.length);
    for (const extractor of extractors) expect(Number.isInteger(extractor.version) && extractor.version > 0).toBe(true);
  });

  it.each([
    ['var/lib/dpkg/status', 'os/dpkg'],
    ['lib/apk/db/installed', 'os/apk'],
    ['var/lib/rpm/rpmdb.sqlite', 'os/rpm'],
    ['etc/os-release', 'os/release'],
  ])('routes %s to %s', (path, name) => {
    expect(extractors.filter((e) => e.required(path, 100, 0o100644)).map((e) => e.name)).toEqual([name]);
  });
});
