import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexTar } from '../../src/image/archive/tar-index.ts';
import { type BuildSpec, buildImage, decompressor, repeatedContent, writeDockerArchive } from './build-image.ts';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vigil-build-image-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const spec: BuildSpec = {
  layers: [
    { files: { 'etc/os-release': 'ID=debian\n', 'opt/big': repeatedContent(5_000_000, 'abc') } },
    { files: { 'etc/extra': 'x' }, whiteouts: ['etc/os-release'], compression: 'zstd' },
    { symlinks: { 'bin/sh': 'dash' }, compression: 'none' },
  ],
};

async function sha256OfStream(stream: NodeJS.ReadableStream): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

describe('buildImage', () => {
  it('writes a layout whose blobs match their names and whose diff_ids match the layers', async () => {
    const built = await buildImage(spec, join(work, 'a'));
    const blobs = join(work, 'a', 'blobs', 'sha256');
    for (const name of await readdir(blobs)) {
      expect(await sha256OfStream(createReadStream(join(blobs, name)))).toBe(`sha256:${name}`);
    }
    const config = JSON.parse(await readFile(join(blobs, built.configDigest.slice(7)), 'utf8'));
    for (const [i, layer] of built.layers.entries()) {
      const raw = createReadStream(join(blobs, layer.digest.slice(7)));
      const unzip = decompressor(layer.compression);
      expect(await sha256OfStream(unzip ? raw.pipe(unzip) : raw)).toBe(config.rootfs.diff_ids[i]);
    }
    expect(built.layers.map((l) => l.compression)).toEqual(['gzip', 'zstd', 'none']);
    expect(built.layers[0]!.tarSize).toBeGreaterThan(5_000_000);
    const index = JSON.parse(await readFile(join(work, 'a', 'index.json'), 'utf8'));
    expect(index.manifests).toEqual([
      expect.objectContaining({
        digest: built.manifestDigest,
        annotations: { 'org.opencontainers.image.ref.name': 'latest' },
        platform: { os: 'linux', architecture: 'amd64' },
      }),
    ]);
  });

  it('is deterministic', async () => {
    const again = await buildImage(spec, join(work, 'b'));
    const first = await buildImage(spec, join(work, 'c'));
    expect(again.manifestDigest).toBe(first.manifestDigest);
  });

  it('writes docker save layers whose digest is their diffID', async () => {
    const built = await buildImage(spec, join(work, 'd'));
    const file = join(work, 'd.tar');
    await writeDockerArchive(join(work, 'd'), file, 'x/y:1');
    const members = await indexTar(file);
    for (const layer of built.layers) {
      const member = members.get(`${layer.diffId.slice(7)}/layer.tar`)!;
      const stream = createReadStream(file, { start: member.offset, end: member.offset + member.size - 1 });
      expect(await sha256OfStream(stream)).toBe(layer.diffId);
    }
  });
});

describe('repeatedContent', () => {
  it.each([0, 1, 2, 1 << 20, (1 << 20) + 7])('produces exactly %i bytes of the pattern', async (size) => {
    const content = repeatedContent(size, 'vigil');
    const chunks: Buffer[] = [];
    for await (const chunk of content.stream()) chunks.push(chunk as Buffer);
    const all = Buffer.concat(chunks);
    expect(all.length).toBe(size);
    expect(all.toString()).toBe('vigil'.repeat(Math.ceil(size / 5)).slice(0, size));
  });
});
