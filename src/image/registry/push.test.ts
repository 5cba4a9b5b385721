import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type TestRegistry } from '../../../test/support/registry.ts';
import { parseImageRef } from '../reference.ts';
import { RegistryClient } from './client.ts';
import { MediaType } from './manifest.ts';
import { pushOciLayout } from './push.ts';
import { writeOciLayout } from './test-layout.ts';

const opts = { insecure: true, env: {}, dockerConfig: '/nonexistent/config.json', retries: 0 };
let work: string;
let registry: TestRegistry;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vigil-push-'));
  registry = await startRegistry();
});
afterAll(async () => {
  await registry?.stop();
  await rm(work, { recursive: true, force: true });
});

const amd64 = { os: 'linux', architecture: 'amd64' };
const arm64 = { os: 'linux', architecture: 'arm64', variant: 'v8' };

describe('pushOciLayout', () => {
  it('pushes an index.json with several images as an image index', async () => {
    const dir = join(work, 'several');
    const layout = await writeOciLayout(dir, [
      { platform: amd64, files: { a: '1' } },
      { platform: arm64, files: { a: '2' } },
    ]);
    const result = await pushOciLayout(dir, parseImageRef(`${registry.host}/several:v1`), opts);
    expect(result).toMatchObject({ mediaType: MediaType.ociIndex, uploaded: 4, skipped: 0 });
    const client = new RegistryClient(registry.host, opts);
    const index = await client.getManifest('several', 'v1');
    expect(index.digest).toBe(result.digest);
    const manifests = (JSON.parse(index.bytes.toString()) as { manifests: { digest: string }[] }).manifests;
    expect(manifests.map((m) => m.digest)).toEqual(layout.images.map((i) => i.manifestDigest));
  });

  it('pushes by digest when the target pins one, and refuses another digest', async () => {
    const dir = join(work, 'pinned');
    const layout = await writeOciLayout(dir, [{ platform: amd64, files: { b: '1' } }]);
    const digest = layout.images[0]!.manifestDigest;
    await expect(pushOciLayout(dir, parseImageRef(`${registry.host}/pinned@${digest}`), opts)).resolves.toMatchObject({
      digest,
    });
    const other = `sha256:${'e'.repeat(64)}`;
    await expect(pushOciLayout(dir, parseImageRef(`${registry.host}/pinned@${other}`), opts)).rejects.toMatchObject({
      code: 'VIGIL_DIGEST_MISMATCH',
    });
  });

  it.each([
    ['a missing index.json', async (dir: string) => unlink(join(dir, 'index.json')), 'VIGIL_IMAGE_NOT_FOUND'],
    [
      'an empty index.json',
      async (dir: string) => writeFile(join(dir, 'index.json'), '{"schemaVersion":2,"manifests":[]}'),
      'VIGIL_IMAGE_INVALID',
    ],
    [
      'a missing layer blob',
      async (dir: string, layerDigest: string) => unlink(join(dir, 'blobs', 'sha256', layerDigest.slice(7))),
      'VIGIL_IMAGE_NOT_FOUND',
    ],
    [
      'a layer blob of the wrong size',
      async (dir: string, layerDigest: string) => writeFile(join(dir, 'blobs', 'sha256', layerDigest.slice(7)), 'x'),
      'VIGIL_IMAGE_INVALID',
    ],
    [
      'a tampered manifest blob',
      async (dir: string, _layer: string, manifestDigest: string) => {
        const path = join(dir, 'blobs', 'sha256', manifestDigest.slice(7));
        await writeFile(path, `${await readFile(path, 'utf8')} `);
      },
      'VIGIL_DIGEST_MISMATCH',
    ],
  ])('reports %s', async (name, damage, code) => {
    const dir = join(work, name.replaceAll(' ', '-'));
    const layout = await writeOciLayout(dir, [{ platform: amd64, files: { [name]: name } }]);
    await damage(dir, layout.images[0]!.layerDigest, layout.images[0]!.manifestDigest);
    await expect(pushOciLayout(dir, parseImageRef(`${registry.host}/broken:x`), opts)).rejects.toMatchObject({ code });
  });

  it('refuses a non-registry target', async () => {
    await expect(pushOciLayout(work, parseImageRef('oci:/tmp/x'), opts)).rejects.toMatchObject({ code: 'VIGIL_USAGE' });
  });
});
