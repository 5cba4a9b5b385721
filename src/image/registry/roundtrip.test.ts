import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage, type LayerSpec } from '../../../test/support/build-image.ts';
import { startRegistry, type TestRegistry } from '../../../test/support/registry.ts';
import { isVigilError } from '../../core/errors.ts';
import { parseImageRef, parsePlatform } from '../reference.ts';
import { RegistryClient } from './client.ts';
import { pushOciLayout } from './push.ts';
import { createRegistrySource, type RegistrySource } from './source.ts';
import { type WrittenLayout, writeOciLayout } from './test-layout.ts';

/** Push images built in-test into a real distribution registry, read them back through RegistrySource. */

const USER = 'vigil';
const PASSWORD = 'correct horse';
const BAD_PASSWORD = 'Tr0ub4dor-x9';
const noEnv = { env: {}, dockerConfig: '/nonexistent/config.json' };

let work: string;
let open: TestRegistry;
let locked: TestRegistry;
let single: WrittenLayout;
let multi: WrittenLayout;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vigil-roundtrip-'));
  [open, locked] = await Promise.all([
    startRegistry(),
    startRegistry({ htpasswd: { user: USER, password: PASSWORD } }),
  ]);
  single = await writeOciLayout(join(work, 'single'), [
    { platform: { os: 'linux', architecture: 'amd64' }, files: { 'etc/os-release': 'ID=vigil\n' } },
  ]);
  multi = await writeOciLayout(
    join(work, 'multi'),
    [
      { platform: { os: 'linux', architecture: 'amd64' }, files: { 'etc/arch': 'amd64\n' } },
      { platform: { os: 'linux', architecture: 'arm64', variant: 'v8' }, files: { 'etc/arch': 'arm64\n' } },
      { platform: { os: 'linux', architecture: 'arm', variant: 'v7' }, files: { 'etc/arch': 'arm\n' } },
    ],
    { asIndex: true },
  );
  const opts = { insecure: true, ...noEnv };
  await pushOciLayout(join(work, 'single'), parseImageRef(`${open.host}/team/app:1.0`), opts);
  await pushOciLayout(join(work, 'multi'), parseImageRef(`${open.host}/team/multi:latest`), opts);
  await pushOciLayout(join(work, 'single'), parseImageRef(`${locked.host}/team/app:1.0`), {
    ...opts,
    username: USER,
    password: PASSWORD,
  });
});

afterAll(async () => {
  await Promise.all([open?.stop(), locked?.stop()]);
  await rm(work, { recursive: true, force: true });
});

async function entriesOf(source: RegistrySource | ReturnType<typeof createRegistrySource>, index = 0) {
  const image = await source.manifest();
  const files: Record<string, string> = {};
  for await (const entry of source.layerEntries(image.layers[index]!)) {
    if (entry.content === undefined) {
      await entry.skip();
      continue;
    }
    const parts: Buffer[] = [];
    for await (const chunk of entry.content) parts.push(chunk as Buffer);
    files[entry.path] = Buffer.concat(parts).toString('utf8');
  }
  return files;
}

describe('open registry', () => {
  it('reads back a pushed image: digests, layers, createdBy, files', async () => {
    const source = createRegistrySource(parseImageRef(`${open.host}/team/app:1.0`), { insecure: true, ...noEnv });
    const image = await source.manifest();
    const pushed = single.images[0]!;
    expect(image.manifestDigest).toBe(pushed.manifestDigest);
    expect(image.indexDigest).toBeUndefined();
    expect(image.configDigest).toBe(pushed.configDigest);
    expect(image.platform).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(image.layers).toEqual([
      {
        digest: pushed.layerDigest,
        diffId: pushed.diffId,
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        size: pushed.layerSize,
        compression: 'gzip',
        createdBy: '/bin/sh -c #(nop) ADD files /',
      },
    ]);
    expect(await entriesOf(source)).toEqual({ 'etc/os-release': 'ID=vigil\n' });
  });

  it('pins by digest', async () => {
    const digest = single.images[0]!.manifestDigest;
    const source = createRegistrySource(parseImageRef(`${open.host}/team/app@${digest}`), { insecure: true, ...noEnv });
    expect((await source.manifest()).manifestDigest).toBe(digest);
  });

  it.each([
    ['linux/amd64', 0],
    ['linux/arm64', 1],
    ['linux/arm64/v8', 1],
    ['linux/arm/v7', 2],
    ['linux/arm', 2],
  ])('selects %s from the index', async (platform, expected) => {
    const source = createRegistrySource(parseImageRef(`${open.host}/team/multi`), {
      insecure: true,
      platform: parsePlatform(platform),
      ...noEnv,
    });
    const image = await source.manifest();
    expect(image.indexDigest).toBe(multi.indexDigest);
    expect(image.manifestDigest).toBe(multi.images[expected]!.manifestDigest);
    expect(await entriesOf(source)).toEqual({ 'etc/arch': `${multi.images[expected]!.platform.architecture}\n` });
  });

  it('lists what the index offers when the platform is missing', async () => {
    const source = createRegistrySource(parseImageRef(`${open.host}/team/multi`), {
      insecure: true,
      platform: parsePlatform('linux/s390x'),
      ...noEnv,
    });
    await expect(source.manifest()).rejects.toMatchObject({
      code: 'VIGIL_PLATFORM_NOT_FOUND',
      message: expect.stringContaining('linux/amd64, linux/arm64/v8, linux/arm/v7'),
    });
  });

  it.each([
    ['team/nothing:1.0', 'repository'],
    ['team/app:2.0', 'tag 2.0'],
    [`team/app@sha256:${'0'.repeat(64)}`, 'digest'],
  ])('%s -> VIGIL_REGISTRY_NAME_UNKNOWN naming the %s', async (name, what) => {
    const source = createRegistrySource(parseImageRef(`${open.host}/${name}`), { insecure: true, ...noEnv });
    await expect(source.manifest()).rejects.toMatchObject({
      code: 'VIGIL_REGISTRY_NAME_UNKNOWN',
      message: expect.stringContaining(what),
    });
  });

  it('streams blobs with verified digests and lists tags and repositories', async () => {
    const client = new RegistryClient(open.host, { insecure: true, ...noEnv });
    const pushed = single.images[0]!;
    const blob = await client.openBlob('team/app', pushed.layerDigest, { size: pushed.layerSize, verify: true });
    let bytes = 0;
    for await (const chunk of blob) bytes += (chunk as Buffer).length;
    expect(bytes).toBe(pushed.layerSize);
    const tags: string[] = [];
    for await (const tag of client.listTags('team/app', { pageSize: 1 })) tags.push(tag);
    expect(tags).toEqual(['1.0']);
    const repositories: string[] = [];
    for await (const repository of client.listRepositories({ pageSize: 1 })) repositories.push(repository);
    expect(repositories).toEqual(['team/app', 'team/multi']);
  });

  it('skips blobs the registry already has on a second push', async () => {
    const result = await pushOciLayout(join(work, 'single'), parseImageRef(`${open.host}/team/app:again`), {
      insecure: true,
      ...noEnv,
    });
    expect(result).toMatchObject({ digest: single.images[0]!.manifestDigest, uploaded: 0, skipped: 2 });
  });
});

describe('images from the shared test image builder', () => {
  it.each([
    ['Docker schema 2, gzip and uncompressed layers', { docker: true, multi: false }],
    ['OCI, gzip and zstd layers, nested multi-platform index', { docker: false, multi: true }],
  ])('%s', async (name, variant) => {
    const layers: LayerSpec[] = [
      { files: { 'etc/os-release': 'ID=debian\n' }, createdBy: 'ADD rootfs /' },
      {
        files: { 'usr/bin/tool': 'x'.repeat(100_000) },
        compression: variant.docker ? 'none' : 'zstd',
        createdBy: 'RUN make',
      },
    ];
    const built = await buildImage(
      variant.multi
        ? {
            platforms: [
              { layers, platform: { os: 'linux', architecture: 'amd64' } },
              { layers: layers.slice(0, 1), platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
            ],
          }
        : { layers, docker: variant.docker },
      join(work, name.replaceAll(/\W+/g, '-')),
    );
    const target = `${open.host}/built/${variant.multi ? 'multi' : 'docker'}:1`;
    await pushOciLayout(built.layoutDir, parseImageRef(target), { insecure: true, ...noEnv });
    const source = createRegistrySource(parseImageRef(target), { insecure: true, ...noEnv });
    const image = await source.manifest();
    expect(image.manifestDigest).toBe(built.manifestDigest);
    expect(image.indexDigest).toBe(built.indexDigest);
    expect(image.layers.map((l) => [l.digest, l.diffId, l.compression, l.createdBy])).toEqual(
      built.layers.map((l) => [l.digest, l.diffId, l.compression, expect.any(String)]),
    );
    expect(await entriesOf(source, 1)).toEqual({ 'usr/bin/tool': 'x'.repeat(100_000) });
  });
});

describe('htpasswd registry', () => {
  it.each([
    ['options', { username: USER, password: PASSWORD, ...noEnv }],
    [
      'env',
      { env: { VIGIL_REGISTRY_USERNAME: USER, VIGIL_REGISTRY_PASSWORD: PASSWORD }, dockerConfig: '/nonexistent' },
    ],
  ])('reads with credentials from %s', async (_origin, credentials) => {
    const source = createRegistrySource(parseImageRef(`${locked.host}/team/app:1.0`), {
      insecure: true,
      ...credentials,
    });
    expect((await source.manifest()).manifestDigest).toBe(single.images[0]!.manifestDigest);
    expect(await entriesOf(source)).toEqual({ 'etc/os-release': 'ID=vigil\n' });
  });

  it.each([
    ['a wrong password', { username: USER, password: BAD_PASSWORD, ...noEnv }, 'credentials came from options'],
    ['no credentials', noEnv, 'no credentials were found'],
  ])('%s -> VIGIL_REGISTRY_UNAUTHORIZED', async (_case, credentials, hint) => {
    const source = createRegistrySource(parseImageRef(`${locked.host}/team/app:1.0`), {
      insecure: true,
      ...credentials,
    });
    const error = await source.manifest().catch((err: unknown) => err);
    expect(isVigilError(error, 'VIGIL_REGISTRY_UNAUTHORIZED')).toBe(true);
    expect((error as Error).message).toContain(hint);
    expect((error as Error).message).not.toContain(BAD_PASSWORD);
    expect(JSON.stringify((error as { context: unknown }).context)).not.toContain(BAD_PASSWORD);
  });
});
