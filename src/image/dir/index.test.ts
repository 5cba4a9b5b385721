import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isVigilError } from '../../core/errors.ts';
import type { ImageRef } from '../../core/types.ts';
import { hostPlatform } from '../archive/platform.ts';
import type { EntryReadOptions, LayerEntry } from '../types.ts';
import { createDirSource } from './index.ts';
import { MAX_DEPTH } from './walk.ts';

let root: string;
const dirRef = (path: string): ImageRef => ({ transport: 'dir', original: `dir:${path}`, path });

async function walk(path: string, options: EntryReadOptions = {}, read?: (entry: LayerEntry) => Promise<void>) {
  const source = createDirSource(dirRef(path));
  const { layers } = await source.manifest();
  const entries: LayerEntry[] = [];
  for await (const entry of source.layerEntries(layers[0]!, options)) {
    entries.push(entry);
    if (read) await read(entry);
    else await entry.skip();
  }
  return entries;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vigil-dir-'));
  await mkdir(join(root, 'etc'));
  await writeFile(join(root, 'etc/os-release'), 'ID=alpine\n');
  await chmod(join(root, 'etc/os-release'), 0o640);
  await mkdir(join(root, 'usr/lib'), { recursive: true });
  await writeFile(join(root, 'usr/lib/libz.so'), Buffer.alloc(3000, 1));
  await symlink('../usr/lib', join(root, 'etc/lib'));
  await symlink('loop-b', join(root, 'loop-a'));
  await symlink('loop-a', join(root, 'loop-b'));
  for (const pseudo of ['proc', 'sys', 'dev', 'run', 'tmp']) {
    await mkdir(join(root, pseudo, 'inside'), { recursive: true });
  }
  await mkdir(join(root, 'var/tmp'), { recursive: true });
  await writeFile(join(root, 'var/tmp/kept'), 'x');
  execFileSync('mkfifo', [join(root, 'var/fifo')]);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('createDirSource', () => {
  it('describes the tree as one uncacheable layer of the host platform', async () => {
    const resolved = await createDirSource(dirRef(root)).manifest();
    expect(resolved.manifestDigest).toBe(`sha256:${createHash('sha256').update(root).digest('hex')}`);
    expect(resolved.layers).toEqual([expect.objectContaining({ digest: '', diffId: '' })]);
    expect(resolved.config).toEqual({});
    expect(resolved.platform).toEqual(hostPlatform());
  });

  it('walks without following symlinks, skipping pseudo filesystems and special files', async () => {
    const entries = await walk(root);
    expect(entries.map((e) => [e.path, e.type, e.linkTarget ?? e.size])).toEqual([
      ['etc', 'dir', 0],
      ['loop-a', 'symlink', 'loop-b'],
      ['loop-b', 'symlink', 'loop-a'],
      ['usr', 'dir', 0],
      ['var', 'dir', 0],
      ['etc/lib', 'symlink', '../usr/lib'],
      ['etc/os-release', 'file', 10],
      ['usr/lib', 'dir', 0],
      ['usr/lib/libz.so', 'file', 3000],
      ['var/tmp', 'dir', 0],
      ['var/tmp/kept', 'file', 1],
    ]);
    expect(entries.find((e) => e.path === 'etc/os-release')?.mode).toBe(0o640);
  });

  it('opens file content only when it is read', async () => {
    const scratch = await mkdtemp(join(tmpdir(), 'vigil-dir-lazy-'));
    await writeFile(join(scratch, 'a'), 'first');
    await writeFile(join(scratch, 'b'), 'second');
    const warnings: string[] = [];
    const bodies: Record<string, string> = {};
    await walk(scratch, { onWarning: (path, message) => warnings.push(`${path}: ${message}`) }, async (entry) => {
      // Deleting b after it was listed shows its content was not opened while walking.
      if (entry.path === 'a') await rm(join(scratch, 'b'));
      const chunks: Buffer[] = [];
      for await (const chunk of entry.content!) chunks.push(chunk as Buffer);
      bodies[entry.path] = Buffer.concat(chunks).toString();
    });
    await rm(scratch, { recursive: true, force: true });
    expect(bodies).toEqual({ a: 'first', b: '' });
    expect(warnings).toEqual(['b: file not read: ENOENT']);
  });

  it(`stops descending at ${MAX_DEPTH} levels with a warning`, async () => {
    const deep = await mkdtemp(join(tmpdir(), 'vigil-dir-deep-'));
    await mkdir(join(deep, ...Array.from({ length: MAX_DEPTH + 2 }, () => 'd')), { recursive: true });
    const warnings: string[] = [];
    const entries = await walk(deep, { onWarning: (_path, message) => warnings.push(message) });
    await rm(deep, { recursive: true, force: true });
    expect(entries).toHaveLength(MAX_DEPTH);
    expect(warnings).toEqual([`not entered: deeper than ${MAX_DEPTH} levels`]);
  });

  it.skipIf(process.getuid?.() === 0)('warns about an unreadable directory and goes on', async () => {
    const locked = await mkdtemp(join(tmpdir(), 'vigil-dir-locked-'));
    await mkdir(join(locked, 'secret'));
    await writeFile(join(locked, 'open'), 'x');
    await chmod(join(locked, 'secret'), 0);
    const warnings: string[] = [];
    const entries = await walk(locked, { onWarning: (path, message) => warnings.push(`${path}: ${message}`) });
    await chmod(join(locked, 'secret'), 0o755);
    await rm(locked, { recursive: true, force: true });
    expect(entries.map((e) => e.path)).toEqual(['open', 'secret']);
    expect(warnings).toEqual(['secret: directory not read: EACCES']);
  });

  it('stops when the signal aborts', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(walk(root, { signal: controller.signal })).rejects.toSatisfy((err) =>
      isVigilError(err, 'VIGIL_ABORTED'),
    );
  });

  it.each([
    ['missing', 'VIGIL_IMAGE_NOT_FOUND'],
    ['etc/os-release', 'VIGIL_IMAGE_INVALID'],
  ] as const)('dir:%s fails with %s', async (path, code) => {
    await expect(createDirSource(dirRef(join(root, path))).manifest()).rejects.toSatisfy((err) =>
      isVigilError(err, code),
    );
  });
});
