/**
 * A real Debian root filesystem, made by Debian's own debootstrap, inventoried by Vigil and compared
 * with what dpkg-query says about the same database: as a `dir:` source and as a one-layer image.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Inventory } from '../src/core/types.ts';
import { inventoryImage } from '../src/scan/index.ts';
import { buildImage } from './support/build-image.ts';
import { debianMinbase, dpkgQuery } from './support/debian-rootfs.ts';

const made = await debianMinbase();
const skip = 'skip' in made ? made.skip : undefined;
if (skip) console.warn(`debian minbase tests skipped: ${skip}`);

/** The same fields dpkgQuery prints, from Vigil's inventory. */
function asDpkgQuery(inventory: Inventory): string[] {
  return inventory.packages
    .filter((p) => p.type === 'deb')
    .map((p) => [p.name, p.version, p.arch, p.sourceName ?? p.name, p.sourceVersion ?? p.version].join('\t'))
    .sort();
}

describe.skipIf(skip !== undefined)('a debootstrapped Debian bookworm minbase', () => {
  const rootfs = 'rootfs' in made ? made.rootfs : '';
  let work: string;
  let reference: string[];

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'vigil-minbase-'));
    reference = await dpkgQuery(rootfs);
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('as dir: lists exactly the packages dpkg-query lists, with source packages', async () => {
    const { inventory } = await inventoryImage(`dir:${rootfs}`, { cacheDir: join(work, 'cache-dir') });
    expect(reference.length).toBeGreaterThan(50);
    expect(asDpkgQuery(inventory)).toEqual(reference);
    expect(inventory.distro).toMatchObject({ id: 'debian', versionCodename: 'bookworm' });
    expect(inventory.warnings).toEqual([]);
    const coreutils = inventory.packages.find((p) => p.name === 'coreutils');
    // dpkg's own file list, as written before the merged-/usr aliasing
    expect(coreutils?.files).toContain('bin/ls');
  });

  it('as a one-layer image tarred by GNU tar: the same list, every package from layer 0', async () => {
    const image = await buildImage(
      {
        layers: [
          {
            tar: () =>
              spawn('tar', ['-C', rootfs, '--numeric-owner', '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'inherit'] })
                .stdout,
            compression: 'zstd',
          },
        ],
      },
      join(work, 'layout'),
    );
    const { inventory } = await inventoryImage(`oci:${image.layoutDir}`, { cacheDir: join(work, 'cache-image') });
    expect(asDpkgQuery(inventory)).toEqual(reference);
    expect(new Set(inventory.packages.map((p) => p.layerIndex))).toEqual(new Set([0]));
    expect(inventory.warnings).toEqual([]);
  });
});
