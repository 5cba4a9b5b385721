import { cp, mkdir, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BuiltImage,
  buildImage,
  type LayerSpec,
  writeDockerArchive,
  writeOciArchive,
} from '../../../test/support/build-image.ts';
import { isVigilError } from '../../core/errors.ts';
import type { ImageRef, Platform, Transport } from '../../core/types.ts';
import { parseImageRef } from '../reference.ts';
import type { SourceOptions } from '../types.ts';
import { createArchiveSource } from './index.ts';

let work: string;
let image: BuiltImage;
const layers: LayerSpec[] = [
  { files: { 'etc/os-release': 'ID=debian\nVERSION_ID=12\n' }, symlinks: { bin: 'usr/bin' }, createdBy: 'ADD rootfs' },
  { files: { 'var/lib/dpkg/status': 'Package: bash\n' }, whiteouts: ['etc/motd'], compression: 'zstd' },
  { files: { 'app/main.js': 'console.log(1)\n' }, compression: 'none' },
];
const expectedPaths = [
  ['etc', 'etc/os-release', 'bin'],
  ['var', 'var/lib', 'var/lib/dpkg', 'var/lib/dpkg/status', 'etc', 'etc/.wh.motd'],
  ['app', 'app/main.js'],
];

const at = (...parts: string[]) => join(work, ...parts);
const ref = (transport: Transport, path: string, pathRef?: string): ImageRef => ({
  transport,
  original: `${transport}:${path}`,
  path,
  ...(pathRef === undefined ? {} : { pathRef }),
});

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

async function pathsOf(imageRef: ImageRef, options: SourceOptions = {}) {
  const source = createArchiveSource(imageRef, options);
  const resolved = await source.manifest();
  const perLayer: string[][] = [];
  for (const layer of resolved.layers) {
    const paths: string[] = [];
    for await (const entry of source.layerEntries(layer)) {
      paths.push(entry.path);
      await entry.skip();
    }
    perLayer.push(paths);
  }
  await source.close();
  return { resolved, perLayer };
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vigil-archive-'));
  image = await buildImage({ layers, refName: 'v1' }, at('layout'));
  await writeDockerArchive(at('layout'), at('legacy.tar'), 'example.com/app:1');
  await writeDockerArchive(at('layout'), at('docker25.tar'), 'example.com/app:1', { format: 'oci' });
  await writeOciArchive(at('layout'), at('oci.tar'));
  await buildImage({ layers: [{ files: { other: 'x' } }] }, at('other'));
  await writeDockerArchive(at('layout'), at('two.tar'), 'debian:12', {
    images: [{ layoutDir: at('other'), repoTag: 'docker.io/library/other:2' }],
  });
  await buildImage(
    {
      platforms: [
        { layers: [{ files: { amd64: 'x' } }] },
        { layers: [{ files: { arm64: 'x' } }], platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
        { layers: [{ files: { armv7: 'x' } }], platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
      ],
    },
    at('multi'),
  );
  await buildImage(
    {
      flatIndex: true,
      platforms: [
        { layers: [{ files: { amd64: 'x' } }] },
        { layers: [{ files: { arm64: 'x' } }], platform: { os: 'linux', architecture: 'arm64' } },
      ],
    },
    at('flat'),
  );
  await buildImage({ layers: [{ files: { only: 'x' } }], omitIndexPlatform: true, refName: null }, at('bare'));
}, 60_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('createArchiveSource', () => {
  it.each([
    ['oci', 'layout', 'manifest'],
    ['oci-archive', 'oci.tar', 'manifest'],
    ['docker-archive', 'docker25.tar', 'manifest'],
    ['docker-archive', 'legacy.tar', 'config'],
  ] as const)('reads %s %s', async (transport, file, digestKind) => {
    const { resolved, perLayer } = await pathsOf(ref(transport, at(file)));
    expect(resolved.configDigest).toBe(image.configDigest);
    expect(resolved.manifestDigest).toBe(digestKind === 'manifest' ? image.manifestDigest : image.configDigest);
    expect(resolved.platform).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(resolved.layers.map((l) => l.diffId)).toEqual(image.layers.map((l) => l.diffId));
    expect(resolved.layers[0]?.createdBy).toBe('ADD rootfs');
    expect(perLayer).toEqual(expectedPaths);
    if (transport === 'docker-archive') expect(resolved.repoTags).toEqual(['example.com/app:1']);
    if (file === 'legacy.tar') expect(resolved.layers.every((l) => l.digest === l.diffId)).toBe(true);
    else expect(resolved.layers.map((l) => l.digest)).toEqual(image.layers.map((l) => l.digest));
  });

  it.each([
    ['docker-archive', 'docker-archive.tar', 'sha256:26ba801bb5863ef947077c5234ba2a62cca79bac31403457e99fea97f7ea7cc5'],
    ['oci-archive', 'oci-archive.tar', 'sha256:f1037ce00e702d01f218dc20df669ba58ad79a5ddea68d78f78955c78030c5c5'],
  ] as const)('reads a %s written by skopeo', async (transport, file, manifestDigest) => {
    const path = join(import.meta.dirname, 'testdata', 'skopeo', file);
    const { resolved, perLayer } = await pathsOf(
      parseImageRef(transport === 'oci-archive' ? `${transport}:${path}:v1` : `${transport}:${path}`),
    );
    expect(resolved.manifestDigest).toBe(manifestDigest);
    expect(resolved.layers.map((l) => l.diffId)).toEqual([
      'sha256:153fd2d2970409447410cd412a764c704fbe0f93c2974d74fb5623057613f3d8',
    ]);
    expect(perLayer).toEqual([['a']]);
  });

  it('selects an OCI layout image by ref name and reports unknown names', async () => {
    expect((await pathsOf(ref('oci', at('layout'), 'v1'))).resolved.manifestDigest).toBe(image.manifestDigest);
    const err = await errorOf(pathsOf(ref('oci-archive', at('oci.tar'), 'v2')));
    expect(isVigilError(err, 'VIGIL_IMAGE_NOT_FOUND')).toBe(true);
    expect((err as Error).message).toContain('v1');
  });

  it.each([
    [undefined, 'amd64'],
    [{ os: 'linux', architecture: 'arm64' }, 'arm64'],
    [{ os: 'linux', architecture: 'arm64', variant: 'v8' }, 'arm64'],
    [{ os: 'linux', architecture: 'arm', variant: 'v7' }, 'armv7'],
  ] as Array<[Platform | undefined, string]>)('picks platform %j from a nested index', async (platform, file) => {
    const { resolved, perLayer } = await pathsOf(ref('oci', at('multi')), platform ? { platform } : {});
    expect(perLayer).toEqual([[file]]);
    expect(resolved.indexDigest).toMatch(/^sha256:/);
  });

  it('picks a platform from a flat index.json', async () => {
    const { perLayer } = await pathsOf(ref('oci', at('flat')), { platform: { os: 'linux', architecture: 'arm64' } });
    expect(perLayer).toEqual([['arm64']]);
  });

  it('reports a missing platform with the ones available', async () => {
    const err = await errorOf(pathsOf(ref('oci', at('multi')), { platform: { os: 'linux', architecture: 's390x' } }));
    expect(isVigilError(err, 'VIGIL_PLATFORM_NOT_FOUND')).toBe(true);
    expect((err as Error).message).toContain('linux/arm64/v8');
  });

  it('uses the only manifest when it names no platform, but not against an explicit platform', async () => {
    expect((await pathsOf(ref('oci', at('bare')))).perLayer).toEqual([['only']]);
    const arm = { platform: { os: 'linux', architecture: 'arm64' } };
    expect((await pathsOf(ref('oci', at('bare')), arm)).perLayer).toEqual([['only']]);
    const err = await errorOf(pathsOf(ref('oci', at('layout')), arm));
    expect(isVigilError(err, 'VIGIL_PLATFORM_NOT_FOUND')).toBe(true);
  });

  it.each([
    [undefined, 'example.com/app:1'],
    ['debian:12', 'debian:12'],
    ['other:2', 'docker.io/library/other:2'],
    ['@1', 'docker.io/library/other:2'],
  ])('picks docker save image %s', async (wanted, tag) => {
    const path = at(wanted === undefined && tag.startsWith('example') ? 'legacy.tar' : 'two.tar');
    const { resolved } = await pathsOf(ref('docker-archive', path, wanted));
    expect(resolved.repoTags).toEqual([tag]);
  });

  it('accepts skopeo spelling docker-archive:FILE:TAG and reports unknown tags', async () => {
    const { resolved } = await pathsOf(parseImageRef(`docker-archive:${at('two.tar')}:other:2`));
    expect(resolved.repoTags).toEqual(['docker.io/library/other:2']);
    const err = await errorOf(pathsOf(parseImageRef(`docker-archive:${at('two.tar')}:nope:1`)));
    expect(isVigilError(err, 'VIGIL_IMAGE_NOT_FOUND')).toBe(true);
    expect((err as Error).message).toContain('debian:12');
  });

  it.each([
    ['docker-archive', 'missing.tar', 'VIGIL_IMAGE_NOT_FOUND'],
    ['oci', 'missing', 'VIGIL_IMAGE_NOT_FOUND'],
    ['oci', 'oci.tar', 'VIGIL_IMAGE_INVALID'],
    ['oci-archive', 'layout', 'VIGIL_IMAGE_INVALID'],
    ['oci-archive', 'legacy.tar', 'VIGIL_IMAGE_INVALID'],
  ] as const)('%s:%s fails with %s', async (transport, file, code) => {
    const err = await errorOf(createArchiveSource(ref(transport, at(file))).manifest());
    expect(isVigilError(err, code)).toBe(true);
  });

  it('refuses an archive compressed as a whole', async () => {
    await writeFile(at('oci.tar.gz'), gzipSync(await readFile(at('oci.tar'))));
    const err = await errorOf(createArchiveSource(ref('oci-archive', at('oci.tar.gz'))).manifest());
    expect(isVigilError(err, 'VIGIL_IMAGE_INVALID')).toBe(true);
    expect((err as Error).message).toContain('gzip');
  });

  it('reports a truncated archive as invalid', async () => {
    await cp(at('docker25.tar'), at('truncated.tar'));
    await truncate(at('truncated.tar'), 3000);
    const err = await errorOf(createArchiveSource(ref('docker-archive', at('truncated.tar'))).manifest());
    expect(isVigilError(err, 'VIGIL_IMAGE_INVALID')).toBe(true);
  });

  describe('tampered layouts', () => {
    const hexOf = (digest: string) => digest.slice('sha256:'.length);
    async function tampered(name: string, change: (dir: string) => Promise<void>) {
      const dir = at(name);
      await cp(at('layout'), dir, { recursive: true });
      await change(dir);
      return ref('oci', dir);
    }
    async function flipByte(file: string, at?: (bytes: Buffer) => number) {
      const bytes = await readFile(file);
      bytes[at ? at(bytes) : bytes.length - 1]! ^= 0x01;
      await writeFile(file, bytes);
    }

    it('fails a layer whose content changed, after reading it', async () => {
      const blob = (dir: string) => join(dir, 'blobs/sha256', hexOf(image.layers[2]!.digest));
      const r = await tampered('bad-layer', (dir) => flipByte(blob(dir), (bytes) => bytes.indexOf('console')));
      const err = await errorOf(pathsOf(r));
      expect(isVigilError(err, 'VIGIL_DIGEST_MISMATCH')).toBe(true);
    });

    it('fails a config whose bytes changed', async () => {
      const r = await tampered('bad-config', (dir) => flipByte(join(dir, 'blobs/sha256', hexOf(image.configDigest))));
      const err = await errorOf(createArchiveSource(r).manifest());
      expect(isVigilError(err, 'VIGIL_DIGEST_MISMATCH')).toBe(true);
    });

    it('fails a missing layer blob as invalid', async () => {
      const r = await tampered('no-layer', (dir) => rm(join(dir, 'blobs/sha256', hexOf(image.layers[0]!.digest))));
      const err = await errorOf(pathsOf(r));
      expect(isVigilError(err, 'VIGIL_IMAGE_INVALID')).toBe(true);
    });

    it.each([
      ['not JSON', '{"manifests": [', 'VIGIL_IMAGE_INVALID'],
      ['no manifests', '{"schemaVersion": 2}', 'VIGIL_IMAGE_INVALID'],
      ['a path-like digest', '{"manifests":[{"digest":"sha256:../../etc/passwd","size":1}]}', 'VIGIL_IMAGE_INVALID'],
      ['empty', '{"manifests":[]}', 'VIGIL_IMAGE_INVALID'],
      ['9 MiB', `{"manifests":[],"pad":"${'x'.repeat(9 * 1024 * 1024)}"}`, 'VIGIL_LIMIT_EXCEEDED'],
    ] as const)('fails an index.json that is %s', async (what, body, code) => {
      const r = await tampered(`index-${what.replaceAll(' ', '-')}`, (dir) => writeFile(join(dir, 'index.json'), body));
      const err = await errorOf(createArchiveSource(r).manifest());
      expect(isVigilError(err, code)).toBe(true);
    });

    it('fails a manifest whose layer count disagrees with rootfs.diff_ids', async () => {
      const dir = at('short-diffids');
      await mkdir(dir);
      const built = await buildImage(
        { layers: [{ files: { a: 'a' } }], config: { rootfs: { type: 'layers', diff_ids: [] } } },
        dir,
      );
      expect(built.layers).toHaveLength(1);
      const err = await errorOf(createArchiveSource(ref('oci', dir)).manifest());
      expect(isVigilError(err, 'VIGIL_IMAGE_INVALID')).toBe(true);
    });
  });
});
