/**
 * `vigil sbom` end to end: the CLI as a user runs it, over images the test builds from tar layers,
 * read from an OCI layout, a docker save archive, an OCI archive and a real docker-registry (open
 * and behind htpasswd). Checks the package list, the layer each package came from, whiteouts
 * across layers, the layer and inventory caches, SBOM schema validity and the exit codes.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Inventory } from '../src/core/types.ts';
import { parseImageRef } from '../src/image/index.ts';
import { pushOciLayout } from '../src/image/registry/push.ts';
import { parseInventoryJson } from '../src/report/index.ts';
import { type BuiltImage, buildImage, writeDockerArchive, writeOciArchive } from './support/build-image.ts';
import { startRegistry, type TestRegistry } from './support/registry.ts';
import { validateCyclonedx, validateSpdx } from './support/sbom-schemas.ts';

const BIN = new URL('../src/cli/bin.ts', import.meta.url).pathname;
const hasRegistry = existsSync('/usr/bin/docker-registry');
const hasHtpasswd = existsSync('/usr/bin/htpasswd');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function vigil(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? Number((err as NodeJS.ErrnoException & { code?: unknown }).code ?? 1) : 0;
        resolve({ code: Number.isInteger(code) ? code : 1, stdout, stderr });
      },
    );
  });
}

const stanza = (name: string, version: string, source?: string) =>
  [
    `Package: ${name}`,
    'Status: install ok installed',
    'Priority: optional',
    'Architecture: amd64',
    ...(source ? [`Source: ${source}`] : []),
    `Version: ${version}`,
    'Description: test package',
    '',
  ].join('\n');

const OS_RELEASE =
  'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n';
const BASE_STATUS = [stanza('libc6', '2.36-9+deb12u4', 'glibc'), stanza('zlib1g', '1:1.2.13.dfsg-1', 'zlib')].join(
  '\n',
);
const APP_STATUS = [BASE_STATUS, stanza('curl', '7.88.1-10+deb12u5'), stanza('libcurl4', '7.88.1-10+deb12u5', 'curl')]
  .join('\n')
  .replace('\n\n\n', '\n\n');

/** layer 0: a Debian base; layer 1: apt installs curl; layer 2: an apk database, deleted again in layer 3 */
const layers = {
  base: {
    files: { 'etc/os-release': OS_RELEASE, 'var/lib/dpkg/status': BASE_STATUS, 'etc/debian_version': '12.5\n' },
    dirs: ['var/lib/dpkg/info'],
    createdBy: 'ADD rootfs.tar /',
  },
  curl: {
    files: {
      'var/lib/dpkg/status': APP_STATUS,
      'var/lib/dpkg/info/curl.list': '/.\n/usr\n/usr/bin\n/usr/bin/curl\n',
    },
    compression: 'zstd' as const,
    createdBy: 'RUN apt-get install -y curl',
  },
  strayApk: {
    files: { 'lib/apk/db/installed': 'P:musl\nV:1.2.4-r2\nA:x86_64\no:musl\n\n' },
    compression: 'none' as const,
    createdBy: 'COPY apk-db /lib/apk/db/',
  },
  deleteApk: { whiteouts: ['lib/apk/db/installed'], createdBy: 'RUN rm /lib/apk/db/installed' },
};

const expected = [
  'deb curl 7.88.1-10+deb12u5 layer 1 source curl',
  'deb libc6 2.36-9+deb12u4 layer 0 source glibc',
  'deb libcurl4 7.88.1-10+deb12u5 layer 1 source curl',
  'deb zlib1g 1:1.2.13.dfsg-1 layer 0 source zlib',
];

function summary(inventory: Inventory): string[] {
  return inventory.packages
    .map(
      (p) => `${p.type} ${p.name} ${p.version} layer ${p.layerIndex}${p.sourceName ? ` source ${p.sourceName}` : ''}`,
    )
    .sort();
}

let work: string;
let image: BuiltImage;
let cacheDir: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vigil-sbom-cli-'));
  cacheDir = join(work, 'cache');
  image = await buildImage(
    { layers: [layers.base, layers.curl, layers.strayApk, layers.deleteApk], refName: 'app' },
    join(work, 'layout'),
  );
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('vigil sbom over image files', () => {
  it('lists the packages of an OCI layout, each with the layer that introduced it', async () => {
    const result = await vigil(['sbom', `oci:${image.layoutDir}`, '-f', 'json', '--no-cache']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const inventory = parseInventoryJson(result.stdout);
    expect(summary(inventory)).toEqual(expected);
    expect(inventory.distro).toMatchObject({ id: 'debian', versionCodename: 'bookworm' });
    expect(inventory.image.manifestDigest).toBe(image.manifestDigest);
    expect(inventory.image.layers.map((l) => l.diffId)).toEqual(image.layers.map((l) => l.diffId));
    const curl = inventory.packages.find((p) => p.name === 'curl');
    expect(curl?.layerDiffId).toBe(image.layers[1]?.diffId);
    expect(curl?.purl).toMatch(/^pkg:deb\/debian\/curl@7\.88\.1-10\+deb12u5\?arch=amd64&distro=debian-12/);
    expect(curl?.files).toContain('usr/bin/curl');
  });

  it.each([
    ['docker-archive', 'docker-archive', (file: string) => writeDockerArchive(image.layoutDir, file, 'app:1.0')],
    [
      'docker-archive (docker 25 OCI layout inside)',
      'docker-archive',
      (file: string) => writeDockerArchive(image.layoutDir, file, 'app:1.0', { format: 'oci' }),
    ],
    ['oci-archive', 'oci-archive', (file: string) => writeOciArchive(image.layoutDir, file)],
  ])('gives the same packages from a %s', async (_label, transport, write) => {
    const file = join(work, `${transport}-${Math.random().toString(36).slice(2)}.tar`);
    await write(file);
    const result = await vigil(['sbom', `${transport}:${file}`, '-f', 'json', '--no-cache']);
    expect(result.code, result.stderr).toBe(0);
    expect(summary(parseInventoryJson(result.stdout))).toEqual(expected);
  });

  it('writes CycloneDX 1.6 and SPDX 2.3 that validate against the official schemas', async () => {
    const cdxFile = join(work, 'sbom.cdx.json');
    const cdx = await vigil(['sbom', `oci:${image.layoutDir}`, '-f', 'cyclonedx', '-o', cdxFile, '--no-cache']);
    expect(cdx.code, cdx.stderr).toBe(0);
    expect(cdx.stdout).toBe('');
    const bom = JSON.parse(await readFile(cdxFile, 'utf8'));
    expect(validateCyclonedx(bom), JSON.stringify(validateCyclonedx.errors?.slice(0, 3))).toBe(true);
    expect(bom.components.map((c: { name: string }) => c.name).sort()).toEqual([
      'curl',
      'debian',
      'libc6',
      'libcurl4',
      'zlib1g',
    ]);
    expect(bom.components.find((c: { type: string }) => c.type === 'operating-system')).toMatchObject({
      name: 'debian',
      version: '12.5', // VERSION_ID refined by /etc/debian_version, as Trivy reports it
    });

    const spdx = await vigil(['sbom', `oci:${image.layoutDir}`, '-f', 'spdx', '--no-cache']);
    expect(spdx.code, spdx.stderr).toBe(0);
    const doc = JSON.parse(spdx.stdout);
    expect(validateSpdx(doc), JSON.stringify(validateSpdx.errors?.slice(0, 3))).toBe(true);
    expect(doc.packages.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['curl', 'libc6', 'libcurl4', 'zlib1g']),
    );
  });

  it('prints a table for people, and nothing on stderr when piped', async () => {
    const result = await vigil(['sbom', `oci:${image.layoutDir}`, '--no-cache']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    for (const name of ['curl', 'libc6', 'libcurl4', 'zlib1g']) expect(result.stdout).toContain(name);
    expect(result.stdout).not.toContain('musl');
  });

  it('answers a second scan from the caches: no layer blob is read again', async () => {
    const layout = join(work, 'cached-layout');
    const cached = await buildImage({ layers: [layers.base, layers.curl], refName: 'app' }, layout);
    const cache = join(work, 'cache-warm');
    const first = await vigil(['sbom', `oci:${layout}`, '-f', 'json', '--cache-dir', cache]);
    expect(first.code, first.stderr).toBe(0);
    // with the layer blobs gone, only the cache can answer
    for (const layer of cached.layers) await unlink(join(layout, 'blobs', 'sha256', layer.digest.slice(7)));
    const second = await vigil(['sbom', `oci:${layout}`, '-f', 'json', '--cache-dir', cache]);
    expect(second.code, second.stderr).toBe(0);
    expect(summary(parseInventoryJson(second.stdout))).toEqual(summary(parseInventoryJson(first.stdout)));
  });

  it('reads only the new layers of an image that shares its base with one scanned before', async () => {
    const cache = join(work, 'cache-shared');
    const baseOnly = await buildImage({ layers: [layers.base], refName: 'base' }, join(work, 'base-layout'));
    expect((await vigil(['sbom', `oci:${baseOnly.layoutDir}`, '-q', '--cache-dir', cache])).code).toBe(0);
    const derived = await buildImage({ layers: [layers.base, layers.curl], refName: 'app' }, join(work, 'derived'));
    expect(derived.layers[0]?.diffId).toBe(baseOnly.layers[0]?.diffId);
    // the shared base layer's blob is gone from the derived image: its cache entry must serve
    await unlink(join(derived.layoutDir, 'blobs', 'sha256', (derived.layers[0]?.digest ?? '').slice(7)));
    const result = await vigil(['sbom', `oci:${derived.layoutDir}`, '-f', 'json', '--cache-dir', cache]);
    expect(result.code, result.stderr).toBe(0);
    const inventory = parseInventoryJson(result.stdout);
    expect(summary(inventory)).toEqual(expected);
  });

  it.each([
    ['an unparsable reference', ['sbom', 'Not::A/Ref'], 2, 'VIGIL_IMAGE_REF_INVALID'],
    ['an unknown format', ['sbom', 'oci:/x', '-f', 'xml'], 2, 'xml'],
    ['a bad platform', ['sbom', 'oci:/x', '--platform', 'linux'], 2, 'VIGIL_PLATFORM_INVALID'],
    ['a missing layout', ['sbom', 'oci:/nonexistent/vigil-layout'], 3, 'VIGIL_IMAGE_NOT_FOUND'],
    ['a missing archive', ['sbom', 'docker-archive:/nonexistent/image.tar'], 3, 'VIGIL_IMAGE_NOT_FOUND'],
    ['a platform the image lacks', ['sbom', 'LAYOUT', '--platform', 'linux/s390x'], 3, 'VIGIL_PLATFORM_NOT_FOUND'],
  ])('exits with a documented code and one clear line for %s', async (_label, args, code, text) => {
    const result = await vigil(args.map((a) => (a === 'LAYOUT' ? `oci:${image.layoutDir}` : a)));
    expect(result.code).toBe(code);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(text);
    if (code !== 2) expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe.skipIf(!hasRegistry)('vigil sbom from a real docker-registry', () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startRegistry();
    await pushOciLayout(image.layoutDir, parseImageRef(`${registry.host}/team/app:1.0`), { insecure: true });
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('pulls by tag and by digest with --insecure, verifying every blob', async () => {
    for (const ref of [`${registry.host}/team/app:1.0`, `${registry.host}/team/app@${image.manifestDigest}`]) {
      const result = await vigil(['sbom', ref, '--insecure', '-f', 'json', '--cache-dir', cacheDir]);
      expect(result.code, result.stderr).toBe(0);
      const inventory = parseInventoryJson(result.stdout);
      expect(summary(inventory)).toEqual(expected);
      expect(inventory.image.manifestDigest).toBe(image.manifestDigest);
    }
  });

  it('says which name is wrong for a missing repository or tag (exit 4)', async () => {
    const result = await vigil(['sbom', `${registry.host}/team/nothing:1.0`, '--insecure', '--no-cache']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('VIGIL_REGISTRY_NAME_UNKNOWN');
    expect(result.stderr).toContain('team/nothing');
  });

  it('fails cleanly when the registry cannot be reached (exit 4)', async () => {
    const result = await vigil(['sbom', '127.0.0.1:1/team/app:1.0', '--insecure', '--no-cache', '--timeout', '5']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('VIGIL_REGISTRY_UNREACHABLE');
  });
});

describe.skipIf(!hasRegistry || !hasHtpasswd)('vigil sbom from a registry behind htpasswd', () => {
  let registry: TestRegistry;
  const user = 'ci-reader';
  const password = 's3cret-pass';
  beforeAll(async () => {
    registry = await startRegistry({ htpasswd: { user, password } });
    await pushOciLayout(image.layoutDir, parseImageRef(`${registry.host}/team/app:1.0`), {
      insecure: true,
      username: user,
      password,
    });
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('rejects a missing or wrong password with exit 4, naming credentials as the problem', async () => {
    for (const extra of [[], ['--username', user, '--password', 'not-the-pass-Q7']]) {
      const result = await vigil(['sbom', `${registry.host}/team/app:1.0`, '--insecure', '--no-cache', ...extra]);
      expect(result.code).toBe(4);
      expect(result.stderr).toContain('VIGIL_REGISTRY_UNAUTHORIZED');
      expect(result.stderr).not.toContain('not-the-pass-Q7');
    }
  });

  it('accepts credentials from flags, from the environment and from a docker config.json', async () => {
    const ref = `${registry.host}/team/app:1.0`;
    const dockerConfig = await mkdtemp(join(work, 'docker-'));
    const { writeFile } = await import('node:fs/promises');
    await writeFile(
      join(dockerConfig, 'config.json'),
      JSON.stringify({ auths: { [registry.host]: { auth: Buffer.from(`${user}:${password}`).toString('base64') } } }),
    );
    const runs: Array<[string[], Record<string, string>]> = [
      [['--username', user, '--password', password], {}],
      [[], { VIGIL_REGISTRY_USERNAME: user, VIGIL_REGISTRY_PASSWORD: password }],
      [[], { DOCKER_CONFIG: dockerConfig }],
    ];
    for (const [flags, env] of runs) {
      const result = await vigil(['sbom', ref, '--insecure', '--no-cache', '-f', 'json', ...flags], env);
      expect(result.code, result.stderr).toBe(0);
      expect(summary(parseInventoryJson(result.stdout))).toEqual(expected);
    }
  });
});
