import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isVigilError } from '../core/errors.ts';
import { dpkgExtractor } from './os/dpkg/index.ts';
import { capturedBy, fsFromDir, inputFromFixture } from './testing.ts';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vigil-testing-'));
  await mkdir(join(root, 'var/lib/dpkg/info'), { recursive: true });
  await writeFile(join(root, 'var/lib/dpkg/status'), 'Package: a\n');
  await writeFile(join(root, 'var/lib/dpkg/info/a.list'), '/.\n/usr/bin/a\n');
  await writeFile(join(root, 'var/lib/dpkg/info/a.md5sums'), 'x  usr/bin/a\n');
  await writeFile(join(root, 'secret'), 'outside the image dir');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('inputFromFixture', () => {
  it('describes the file and reads it', async () => {
    const input = await inputFromFixture(root, '/var/lib/dpkg/status', {
      distro: { id: 'debian', source: 'etc/os-release' },
    });
    expect(input.path).toBe('var/lib/dpkg/status');
    expect(input.size).toBe(11);
    expect(await input.localPath()).toBe(join(root, 'var/lib/dpkg/status'));
    expect(input.distro?.id).toBe('debian');
    expect((await input.read()).toString()).toBe('Package: a\n');
  });

  it('read beyond the limit is VIGIL_LIMIT_EXCEEDED', async () => {
    const input = await inputFromFixture(root, 'var/lib/dpkg/status');
    const err = await input.read(5).catch((e: unknown) => e);
    expect(isVigilError(err, 'VIGIL_LIMIT_EXCEEDED')).toBe(true);
  });

  it('clamps ".." at the image root, as image paths are', async () => {
    // "../secret" is "/secret" of the image rooted at var/, which does not exist
    await expect(inputFromFixture(join(root, 'var'), '../secret')).rejects.toThrow(/ENOENT/);
    const input = await inputFromFixture(root, 'var/../var/lib/dpkg/status');
    expect(input.path).toBe('var/lib/dpkg/status');
  });
});

describe('fsFromDir', () => {
  it('stat, readFile, localPath and list', async () => {
    const fs = fsFromDir(root);
    expect(await fs.stat('var/lib/dpkg/info/a.list')).toMatchObject({ path: 'var/lib/dpkg/info/a.list', size: 14 });
    expect((await fs.readFile('var/lib/dpkg/info/a.list'))?.toString()).toBe('/.\n/usr/bin/a\n');
    expect(await fs.localPath('var/lib/dpkg/status')).toBe(join(root, 'var/lib/dpkg/status'));
    expect(await fs.list('var/lib/dpkg/info')).toEqual(['var/lib/dpkg/info/a.list', 'var/lib/dpkg/info/a.md5sums']);
    expect(await fs.list('')).toEqual(['secret', 'var']);
    expect(await fs.stat('missing')).toBeUndefined();
    expect(await fs.list('missing')).toEqual([]);
  });

  it('readFile beyond the limit is VIGIL_LIMIT_EXCEEDED', async () => {
    const err = await fsFromDir(root)
      .readFile('var/lib/dpkg/status', 3)
      .catch((e: unknown) => e);
    expect(isVigilError(err, 'VIGIL_LIMIT_EXCEEDED')).toBe(true);
  });

  it('shows only what the capture filter accepts', async () => {
    const fs = fsFromDir(root, capturedBy(dpkgExtractor));
    expect(await fs.list('var/lib/dpkg/info')).toEqual(['var/lib/dpkg/info/a.list']);
    expect(await fs.readFile('var/lib/dpkg/info/a.md5sums')).toBeUndefined();
    expect(await fs.stat('secret')).toBeUndefined();
  });

  it('cannot be walked out of its root', async () => {
    const fs = fsFromDir(join(root, 'var'));
    expect(await fs.stat('../secret')).toBeUndefined();
    expect(await fs.readFile('lib/../../secret')).toBeUndefined();
    expect(await fs.list('..')).toEqual(['lib']);
  });
});
