/**
 * A 1 GiB sparse file in a layer, written by GNU tar in its old ('S' entries) and PAX (1.0)
 * sparse formats: the scan neither expands it nor loses it silently. Where an extractor wanted the
 * file (a sparse dpkg status), the inventory says it was not read; the rest of the image is read.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inventoryImage } from '../src/scan/index.ts';
import { buildImage } from './support/build-image.ts';

const run = promisify(execFile);
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vigil-sparse-'));
  const root = join(work, 'root');
  await mkdir(join(root, 'etc'), { recursive: true });
  await mkdir(join(root, 'var/lib/dpkg'), { recursive: true });
  await mkdir(join(root, 'usr/local/bin'), { recursive: true });
  await writeFile(join(root, 'etc/os-release'), 'ID=debian\nVERSION_ID="12"\n');
  await writeFile(join(root, 'var/lib/dpkg/status'), '');
  await truncate(join(root, 'var/lib/dpkg/status'), 2 ** 30);
  await writeFile(join(root, 'usr/local/bin/app'), '');
  await truncate(join(root, 'usr/local/bin/app'), 2 ** 30);
  await chmod(join(root, 'usr/local/bin/app'), 0o755);
  await run('tar', ['--sparse', '-C', root, '-cf', join(work, 'gnu.tar'), '.']);
  await run('tar', ['--sparse', '--format=posix', '-C', root, '-cf', join(work, 'pax.tar'), '.']);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('a layer holding 1 GiB sparse files', () => {
  it.each(['gnu', 'pax'])('%s sparse format: the distro is read, the sparse database is a warning', async (format) => {
    const tar = await readFile(join(work, `${format}.tar`));
    expect(tar.length).toBeLessThan(1024 * 1024);
    const image = await buildImage({ layers: [{ tar }] }, join(work, `layout-${format}`));
    const { inventory } = await inventoryImage(`oci:${image.layoutDir}`, {
      cacheDir: join(work, `cache-${format}`),
    });
    expect(inventory.distro?.id).toBe('debian');
    expect(inventory.packages).toEqual([]);
    expect(inventory.warnings.map((w) => [w.path, w.message])).toEqual([
      ['var/lib/dpkg/status', 'not read: not a regular file (a sparse file, device or fifo)'],
    ]);
  });
});
