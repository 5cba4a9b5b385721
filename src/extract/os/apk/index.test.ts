import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Distro, Package } from '../../../core/types.ts';
import { inputFromFixture } from '../../testing.ts';
import { apkExtractor } from './index.ts';

const testdata = join(dirname(fileURLToPath(import.meta.url)), 'testdata');
const DB = 'lib/apk/db/installed';
const alpine: Distro = { id: 'alpine', versionId: '3.18.0', source: 'etc/os-release' };

/** Runs the extractor on `file` (relative to `root`) as if it were the image's apk database. */
async function extract(root: string, file: string, distro: Distro | null = alpine, imagePath = DB) {
  const input = await inputFromFixture(root, file, distro ? { distro } : {});
  return apkExtractor.extract({ ...input, path: imagePath });
}

/** name, version, arch, origin, license, maintainer */
const brief = (p: Package) => [p.name, p.version, p.arch, p.sourceName, p.licenses?.[0], p.maintainer];

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'vigil-apk-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function dbWith(content: string | Buffer): Promise<string> {
  const root = await mkdtemp(join(scratch, 'root-'));
  await mkdir(join(root, 'lib/apk/db'), { recursive: true });
  await writeFile(join(root, DB), content);
  return root;
}

describe('required', () => {
  // cases from osv-scalibr extractor/filesystem/os/apk/extractor_test.go TestFileRequired
  it.each([
    ['lib/apk/db/installed', true],
    ['usr/lib/apk/db/installed', true],
    ['lib/apk/db/installed/test', false],
    ['foo/lib/apk/db/installed', false],
    ['lib/apk/db/triggers', false],
  ])('required(%s) = %s', (path, want) => {
    expect(apkExtractor.required(path)).toBe(want);
  });
});

describe('osv-scalibr fixtures', () => {
  // expectations from google/osv-scalibr extractor/filesystem/os/apk/extractor_test.go (TestExtract)
  const root = join(testdata, 'osv-scalibr');
  const copa = 'Natanael Copa <ncopa@alpinelinux.org>';
  const soeren = 'Sören Tempel <soeren+alpine@soeren-tempel.net>';
  const ariadne = 'Ariadne Conill <ariadne@dereferenced.org>';
  const timo = 'Timo Teräs <timo.teras@iki.fi>';

  it('installed: alpine 3.18 base image', async () => {
    const got = await extract(root, 'installed');
    expect(got.packages.map(brief)).toEqual([
      ['alpine-baselayout', '3.4.3-r1', 'x86_64', 'alpine-baselayout', 'GPL-2.0-only', copa],
      ['alpine-baselayout-data', '3.4.3-r1', 'x86_64', 'alpine-baselayout', 'GPL-2.0-only', copa],
      ['alpine-keys', '2.4-r1', 'x86_64', 'alpine-keys', 'MIT', copa],
      ['apk-tools', '2.14.0-r0', 'x86_64', 'apk-tools', 'GPL-2.0-only', copa],
      ['busybox', '1.36.0-r9', 'x86_64', 'busybox', 'GPL-2.0-only', soeren],
      ['busybox-binsh', '1.36.0-r9', 'x86_64', 'busybox', 'GPL-2.0-only', soeren],
      ['ca-certificates-bundle', '20230506-r0', 'x86_64', 'ca-certificates', 'MPL-2.0 AND MIT', copa],
      ['libc-utils', '0.7.2-r5', 'x86_64', 'libc-dev', 'BSD-2-Clause AND BSD-3-Clause', copa],
      ['libcrypto3', '3.1.0-r4', 'x86_64', 'openssl', 'Apache-2.0', ariadne],
      ['libssl3', '3.1.0-r4', 'x86_64', 'openssl', 'Apache-2.0', ariadne],
      ['musl', '1.2.4-r0', 'x86_64', 'musl', 'MIT', timo],
      ['musl-utils', '1.2.4-r0', 'x86_64', 'musl', 'MIT AND BSD-2-Clause AND GPL-2.0-or-later', timo],
      ['scanelf', '1.3.7-r1', 'x86_64', 'pax-utils', 'GPL-2.0-only', copa],
      ['ssl_client', '1.36.0-r9', 'x86_64', 'busybox', 'GPL-2.0-only', soeren],
      ['zlib', '1.2.13-r1', 'x86_64', 'zlib', 'Zlib', copa],
    ]);
    expect(got.warnings).toEqual([]);
    const musl = got.packages.find((p) => p.name === 'musl')!;
    expect(musl.sourceVersion).toBe('1.2.4-r0');
    expect(musl.locations).toEqual([DB]);
    expect(musl.purl).toBe('pkg:apk/alpine/musl@1.2.4-r0?arch=x86_64&distro=alpine-3.18.0');
    expect(musl.files).toEqual(['lib/ld-musl-x86_64.so.1', 'lib/libc.musl-x86_64.so.1']);
  });

  it('no-origin: the package is its own origin', async () => {
    // osv-scalibr leaves the origin empty; we name the source after the package, as for dpkg
    const got = await extract(root, 'no-origin');
    expect(got.packages.map(brief)).toEqual([['pkgname', '1.2.3', 'x86_64', 'pkgname', 'GPL-2.0-only', undefined]]);
  });

  it.each([
    ['single', 'x86_64'],
    ['different-arch', 'noarch'],
  ])('%s', async (file, arch) => {
    const got = await extract(root, file);
    expect(got.packages.map(brief)).toEqual([
      ['alpine-baselayout-data', '3.4.3-r1', arch, 'alpine-baselayout', 'GPL-2.0-only', copa],
    ]);
  });

  it('empty: nothing, quietly', async () => {
    expect(await extract(root, 'empty')).toEqual({ packages: [], warnings: [] });
  });

  it('invalid: nothing, with warnings instead of an error', async () => {
    const got = await extract(root, 'invalid');
    expect(got.packages).toEqual([]);
    expect(got.warnings).toEqual([
      'line 1: not a "<letter>:<value>" line',
      'record at line 1: no P: (package name)',
      'line 3: not a "<letter>:<value>" line',
      'record at line 3: no P: (package name)',
    ]);
  });

  it.each([
    [
      { id: 'openwrt', versionId: '1.2.3', source: 'etc/os-release' },
      'pkg:apk/openwrt/alpine-baselayout-data@3.4.3-r1?arch=x86_64&distro=openwrt-1.2.3',
    ],
    [
      { id: 'openwrt', source: 'etc/os-release' },
      'pkg:apk/openwrt/alpine-baselayout-data@3.4.3-r1?arch=x86_64&distro=openwrt',
    ],
    [null, 'pkg:apk/alpine/alpine-baselayout-data@3.4.3-r1?arch=x86_64'],
    [
      { id: 'wolfi', versionId: '20230201', source: 'etc/os-release' },
      'pkg:apk/wolfi/alpine-baselayout-data@3.4.3-r1?arch=x86_64&distro=wolfi-20230201',
    ],
  ])('purl with distro %o', async (distro, want) => {
    const got = await extract(root, 'single', distro);
    expect(got.packages.map((p) => p.purl)).toEqual([want]);
  });
});

describe('syft fixtures', () => {
  // expectations from anchore/syft syft/pkg/cataloger/alpine/parse_apk_db_test.go and cataloger_test.go
  const root = join(testdata, 'syft');

  it('single: musl-utils with its files', async () => {
    const got = await extract(root, 'single');
    expect(got.packages.map(brief)).toEqual([
      ['musl-utils', '1.1.24-r2', 'x86_64', 'musl', 'MIT BSD GPL2+', 'Timo Teräs <timo.teras@iki.fi>'],
    ]);
    // syft also lists the F: directories; Package.files holds files only
    expect(got.packages[0]!.files).toEqual([
      'sbin/ldconfig',
      'usr/bin/iconv',
      'usr/bin/ldd',
      'usr/bin/getconf',
      'usr/bin/getent',
    ]);
  });

  it('extra-file-attributes: attribute lines do not disturb the file list', async () => {
    const got = await extract(root, 'extra-file-attributes');
    expect(got.packages.map((p) => [p.name, p.version, p.files])).toEqual([
      ['openjdk8-jre', '8.212.04-r0', ['usr/lib/jvm/java-1.8-openjdk/bin/policytool']],
    ]);
  });

  it('empty-deps-and-provides', async () => {
    const got = await extract(root, 'empty-deps-and-provides');
    expect(got.packages.map(brief)).toEqual([
      [
        'alpine-baselayout-data',
        '3.4.0-r0',
        'x86_64',
        'alpine-baselayout',
        'GPL-2.0-only',
        'Natanael Copa <ncopa@alpinelinux.org>',
      ],
    ]);
    expect(got.packages[0]!.files).toEqual(
      [
        'fstab',
        'group',
        'hostname',
        'hosts',
        'inittab',
        'modules',
        'mtab',
        'nsswitch.conf',
        'passwd',
        'profile',
        'protocols',
        'services',
        'shadow',
        'shells',
        'sysctl.conf',
      ].map((f) => `etc/${f}`),
    );
  });

  it('base: files across directories', async () => {
    const [pkg] = (await extract(root, 'base')).packages;
    expect([pkg!.name, pkg!.version, pkg!.sourceName]).toEqual(['alpine-baselayout', '3.2.0-r6', 'alpine-baselayout']);
    expect(pkg!.files).toEqual(
      expect.arrayContaining([
        'etc/fstab',
        'etc/crontabs/root',
        'sbin/mkmntdirs',
        'var/run',
        'var/spool/cron/crontabs',
      ]),
    );
    expect(pkg!.files).not.toContain('etc');
  });

  it('corrupt: the garbage record is a warning, the next record a package', async () => {
    const got = await extract(root, 'corrupt/lib/apk/db/installed');
    expect(got.packages.map((p) => [p.name, p.version])).toEqual([['alpine-baselayout-data', '3.2.0-r22']]);
    expect(got.warnings).toEqual(['line 1: not a "<letter>:<value>" line', 'record at line 1: no P: (package name)']);
  });

  it.each([
    ['multiple-1', ['bash', 'busybox-binsh', 'musl', 'readline']],
    [
      'multiple-2',
      [
        'alpine-baselayout-data',
        'musl',
        'busybox',
        'alpine-baselayout',
        'alpine-keys',
        'ca-certificates-bundle',
        'libcrypto1.1',
        'libssl1.1',
        'ssl_client',
        'zlib',
        'apk-tools',
        'scanelf',
        'musl-utils',
        'libc-utils',
      ],
    ],
    ['glob-paths', []],
  ])('%s', async (dir, names) => {
    const got = await extract(root, `${dir}/lib/apk/db/installed`);
    expect(got.packages.map((p) => p.name)).toEqual(names);
  });
});

describe('trivy fixture', () => {
  // expectations from aquasecurity/trivy pkg/fanal/analyzer/pkg/apk/apk_test.go (TestParseApkInfo);
  // ada-libs was added to the fixture after that test version and is expected too.
  it('apk: sixteen packages, the record without a version is a warning', async () => {
    const got = await extract(join(testdata, 'trivy'), 'apk');
    expect(got.packages.map((p) => [p.name, p.version, p.sourceName, p.sourceVersion, p.licenses?.[0]])).toEqual([
      ['musl', '1.1.14-r10', 'musl', '1.1.14-r10', 'MIT'],
      ['busybox', '1.24.2-r9', 'busybox', '1.24.2-r9', 'GPL2'],
      ['alpine-baselayout', '3.0.3-r0', 'alpine-baselayout', '3.0.3-r0', 'GPL2'],
      ['alpine-keys', '1.1-r0', 'alpine-keys', '1.1-r0', 'GPL'],
      ['zlib', '1.2.8-r2', 'zlib', '1.2.8-r2', 'zlib'],
      ['libcrypto1.0', '1.0.2h-r1', 'openssl', '1.0.2h-r1', 'openssl'],
      ['libssl1.0', '1.0.2h-r1', 'openssl', '1.0.2h-r1', 'openssl'],
      ['apk-tools', '2.6.7-r0', 'apk-tools', '2.6.7-r0', 'GPL2'],
      ['scanelf', '1.1.6-r0', 'pax-utils', '1.1.6-r0', 'GPL2'],
      ['musl-utils', '1.1.14-r10', 'musl', '1.1.14-r10', 'MIT BSD GPL2+'],
      ['libc-utils', '0.7-r0', 'libc-dev', '0.7-r0', 'GPL'],
      ['pkgconf', '1.6.0-r0', 'pkgconf', '1.6.0-r0', 'ISC'],
      ['sqlite-libs', '3.26.0-r3', 'sqlite', '3.26.0-r3', 'Public-Domain'],
      ['test', '2.9.11_pre20061021-r2', 'test-parent', '2.9.11_pre20061021-r2', 'Public-Domain'],
      ['ada-libs', '2.7.4-r0', 'ada', '2.7.4-r0', '( Apache-2.0 OR MIT ) AND MPL-2.0'],
    ]);
    expect(got.warnings).toEqual(['record at line 23: package invalidPackageWithoutAVersion has no V: (version)']);
    const byName = new Map(got.packages.map((p) => [p.name, p]));
    expect(byName.get('musl')!.files).toEqual(['lib/libc.musl-x86_64.so.1', 'lib/ld-musl-x86_64.so.1']);
    expect(byName.get('libc-utils')!.files).toBeUndefined();
    expect(byName.get('test')!.files).toEqual([
      'usr/lib/libsqlite3.so',
      'usr/lib/pkgconfig/sqlite3.pc',
      'usr/include/sqlite3ext.h',
      'usr/include/sqlite3.h',
    ]);
  });
});

describe('hostile and corrupt input', () => {
  const installed = join(testdata, 'osv-scalibr/installed');

  it('CRLF line endings give the same packages as LF', async () => {
    const lf = await readFile(installed, 'utf8');
    const got = await extract(await dbWith(lf.replaceAll('\n', '\r\n')), DB);
    const plain = await extract(join(testdata, 'osv-scalibr'), 'installed');
    expect(got.packages).toEqual(plain.packages);
    expect(got.warnings).toEqual([]);
  });

  it('a missing blank line between records still splits them at P:', async () => {
    const got = await extract(await dbWith('P:a\nV:1-r0\nP:b\nV:2-r0\n'), DB);
    expect(got.packages.map((p) => [p.name, p.version])).toEqual([
      ['a', '1-r0'],
      ['b', '2-r0'],
    ]);
  });

  it('fields without values', async () => {
    const got = await extract(await dbWith('P:\nV:\n\nP:a\nV:\n\nP:b\nV:1-r0\nA:\no:\nL:\nm:\nF:\nR:\nR:x\n'), DB);
    expect(got.packages.map(brief)).toEqual([['b', '1-r0', undefined, 'b', undefined, undefined]]);
    expect(got.packages[0]!.files).toEqual(['x']);
    expect(got.warnings).toEqual([
      'record at line 1: no P: (package name)',
      'record at line 4: package a has no V: (version)',
    ]);
  });

  it('truncated at every 89th byte: never throws, only named and versioned packages', async () => {
    const full = await readFile(installed);
    for (let cut = 0; cut < full.length; cut += 89) {
      const root = await dbWith(full.subarray(0, cut));
      const got = await extract(root, DB);
      for (const p of got.packages) {
        expect(p.name).not.toBe('');
        expect(p.version).not.toBe('');
      }
      await rm(root, { recursive: true });
    }
  });

  it('binary garbage gives a short list of warnings', async () => {
    const garbage = Buffer.alloc(1 << 20);
    let x = 777;
    for (let i = 0; i < garbage.length; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      garbage[i] = x >>> 24;
    }
    const got = await extract(await dbWith(garbage), DB);
    expect(got.warnings.length).toBeLessThanOrEqual(21);
    for (const p of got.packages) expect(p.version).not.toBe('');
  });

  it('a long run of slashes in F: is handled in linear time', async () => {
    const got = await extract(await dbWith(`P:a\nV:1-r0\nF:${'/'.repeat(500_000)}x\nR:y\n`), DB);
    expect(got.packages[0]!.files).toEqual(['x/y']);
  });

  it('a large database of repeated records is streamed and collapsed', async () => {
    const root = await mkdtemp(join(scratch, 'huge-'));
    await mkdir(join(root, 'lib/apk/db'), { recursive: true });
    const record = Buffer.from(
      `C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\nL:MIT\no:musl\nF:lib\nR:libc.musl-x86_64.so.1\nZ:Q1x=\n\n`,
    );
    const block = Buffer.concat(Array.from({ length: 4096 }, () => record));
    const handle = await open(join(root, DB), 'w');
    for (let i = 0; i < 64; i++) await handle.write(block);
    await handle.close();
    const input = await inputFromFixture(root, DB, { distro: alpine });
    const got = await apkExtractor.extract({
      ...input,
      read: () => Promise.reject(new Error('whole-file read of a huge database')),
    });
    expect(got.packages.map((p) => [p.name, p.version])).toEqual([['musl', '1.2.4-r2']]);
    expect(got.warnings).toEqual([`${64 * 4096 - 1} repeated package records ignored`]);
  });

  it('an unreadable file is a warning, not an error', async () => {
    const input = await inputFromFixture(join(testdata, 'osv-scalibr'), 'single');
    const got = await apkExtractor.extract({ ...input, path: DB, localPath: async () => join(scratch, 'gone') });
    expect(got).toEqual({
      packages: [],
      warnings: [expect.stringMatching(/^cannot read lib\/apk\/db\/installed: .*ENOENT/)],
    });
  });

  it('property: never throws, every package has a name and a version', async () => {
    const line = fc.oneof(
      fc.constantFrom(
        'P:a',
        'P:b',
        'V:1.0-r0',
        'V:',
        'A:x86_64',
        'o:x',
        'L:MIT',
        'F:usr/lib',
        'R:libz.so',
        '',
        'Z',
        ':',
      ),
      fc.string({ maxLength: 30 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 40 }), async (lines) => {
        const root = await dbWith(lines.join('\n'));
        const got = await extract(root, DB);
        for (const p of got.packages) {
          expect(p.name.length).toBeGreaterThan(0);
          expect(p.version.length).toBeGreaterThan(0);
        }
        await rm(root, { recursive: true });
      }),
      { numRuns: 150 },
    );
  });
});
