import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Distro, Package } from '../../../core/types.ts';
import { capturedBy, inputFromFixture } from '../../testing.ts';
import { isDebVersion, packageIsPresent, parseSourceField } from './fields.ts';
import { filesFromList, filesFromMd5sums } from './file-lists.ts';
import { dpkgExtractor } from './index.ts';

const testdata = join(dirname(fileURLToPath(import.meta.url)), 'testdata');
const debian12: Distro = { id: 'debian', versionId: '12', versionCodename: 'bookworm', source: 'etc/os-release' };
const ubuntu2204: Distro = { id: 'ubuntu', versionId: '22.04', idLike: ['debian'], source: 'etc/os-release' };

/** Runs the extractor on `file` (relative to `root`) as if it sat at `imagePath` in the image. */
async function extract(root: string, file: string, imagePath = file, distro: Distro | null = debian12) {
  const input = await inputFromFixture(root, file, {
    captured: capturedBy(dpkgExtractor),
    ...(distro ? { distro } : {}),
  });
  return dpkgExtractor.extract({ ...input, path: imagePath });
}

const brief = (p: Package) => [p.name, p.version, p.arch, p.sourceName, p.sourceVersion];

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'vigil-dpkg-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function writeTree(files: Record<string, string | Buffer>): Promise<string> {
  const root = await mkdtemp(join(scratch, 'root-'));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

describe('required and wants', () => {
  // cases from osv-scalibr dpkg_test.go TestFileRequired and trivy dpkg_test.go Test_dpkgAnalyzer_Required
  it.each([
    ['var/lib/dpkg/status', true],
    ['var/lib/dpkg/status.d/foo', true],
    ['var/lib/dpkg/status.d/gcc', true],
    ['var/lib/dpkg/status.d/libgtk2.0-0', true],
    ['var/lib/dpkg/status.d/foo.md5sums', false],
    ['var/lib/dpkg/status.d/libsqlite3-0.preinst', false],
    ['var/lib/dpkg/status.d', false],
    ['var/lib/dpkg/status.d/', false],
    ['var/lib/dpkg/status.d/sub/foo', false],
    ['var/lib/dpkg/status/bash.list', false],
    ['var/lib/dpkg/info/bash.list', false],
    ['var/lib/dpkg/status-old', false],
    ['foo/var/lib/dpkg/status', false],
  ])('required(%s) = %s', (path, want) => {
    expect(dpkgExtractor.required(path)).toBe(want);
  });

  it.each([
    ['var/lib/dpkg/info/bash.list', true],
    ['var/lib/dpkg/info/libc6:amd64.list', true],
    ['var/lib/dpkg/info/bash.md5sums', false],
    ['var/lib/dpkg/status.d/foo.md5sums', true],
    ['var/lib/dpkg/status.d/foo', false],
    ['var/lib/dpkg/info/sub/x.list', false],
  ])('wants(%s) = %s', (path, want) => {
    expect(dpkgExtractor.wants(path)).toBe(want);
  });
});

describe('osv-scalibr fixtures', () => {
  // expectations from google/osv-scalibr extractor/filesystem/os/dpkg/dpkg_test.go (TestExtract)
  const root = join(testdata, 'osv-scalibr');
  const status = 'var/lib/dpkg/status';

  it('valid: seven packages with source names and versions', async () => {
    const got = await extract(root, 'valid', status);
    expect(got.packages.map(brief)).toEqual([
      ['accountsservice', '22.08.8-6', 'amd64', 'accountsservice', '22.08.8-6'],
      ['acl', '2.3.1-3', 'amd64', 'acl', '2.3.1-3'],
      ['adduser', '3.131', 'all', 'adduser', '3.131'],
      ['admin-session', '2023.06.26.c543406313-00', 'amd64', 'admin-session', '2023.06.26.c543406313-00'],
      ['attr', '1:2.5.1-4', 'amd64', 'attr', '1:2.5.1-4'],
      ['libacl1', '2.3.1-3', 'amd64', 'acl', '2.3.1-3'],
      ['util-linux-extra', '2.38.1-5+b1', 'amd64', 'util-linux', '2.38.1-5'],
    ]);
    expect(got.packages[0]!.maintainer).toBe(
      'Debian freedesktop.org maintainers <pkg-freedesktop-maintainers@lists.alioth.debian.org>',
    );
    expect(got.packages[0]!.locations).toEqual([status]);
    expect(got.packages[0]!.purl).toBe('pkg:deb/debian/accountsservice@22.08.8-6?arch=amd64&distro=debian-12');
    expect(got.packages[0]!.licenses).toBeUndefined();
    expect(got.warnings).toEqual([]);
  });

  it.each([
    ['noversion', ['foo', 'bar'], /acl: no Version/],
    ['nopackage', ['foo', 'bar'], /no Package field/],
  ])('%s: the broken paragraph is skipped with a warning', async (file, names, warning) => {
    const got = await extract(root, file, status);
    expect(got.packages.map((p) => p.name)).toEqual(names);
    expect(got.warnings).toEqual([expect.stringMatching(warning)]);
  });

  it('statusfield: packages whose files are on disk', async () => {
    const got = await extract(root, 'statusfield', status);
    // osv-scalibr keeps wantinstall_installed, wantdeinstall_installed and wantpurge_installed; we
    // also keep wantinstall_unpacked, whose files are all on disk (see fields.ts).
    expect(got.packages.map((p) => p.name)).toEqual([
      'wantinstall_installed',
      'wantdeinstall_installed',
      'wantinstall_unpacked',
      'wantpurge_installed',
    ]);
    expect(got.warnings).toEqual(['package wantnostatus: no Status field']);
  });

  it.each([
    ['empty', []],
    ['single', ['acl']],
    ['trailingnewlines', ['acl']],
    ['transitional', ['iceweasel']],
    ['transitional_dummy', ['git-core']],
    ['transitional_empty', ['runit-systemd']],
  ])('%s', async (file, names) => {
    const got = await extract(root, file, status);
    expect(got.packages.map((p) => p.name)).toEqual(names);
    expect(got.warnings).toEqual([]);
  });

  it('transitional: source without version takes the binary version', async () => {
    const [pkg] = (await extract(root, 'transitional', status)).packages;
    expect(brief(pkg!)).toEqual(['iceweasel', '78.13.0esr-1~deb10u1', 'all', 'firefox-esr', '78.13.0esr-1~deb10u1']);
  });

  it('invalid: no packages, warnings instead of an error', async () => {
    // osv-scalibr returns an error here; a bad file is a warning for us.
    const got = await extract(root, 'invalid', status);
    expect(got.packages).toEqual([]);
    expect(got.warnings.length).toBeGreaterThan(0);
  });

  it('status.d without Status: installed; deinstalled paragraph dropped; md5sums give the files', async () => {
    const got = await extract(root, 'status.d/foo', 'var/lib/dpkg/status.d/foo');
    expect(got.packages.map(brief)).toEqual([['foo', '1.2.3', 'amd64', 'foo', '1.2.3']]);
    expect(got.packages[0]!.maintainer).toBe('someone');
    // the fixture's md5sums sits at status.d/foo.md5sums, but the root here is the osv-scalibr folder
    expect(got.packages[0]!.files).toBeUndefined();
  });
});

describe('syft fixtures', () => {
  // expectations from anchore/syft syft/pkg/cataloger/debian/parse_dpkg_db_test.go
  const root = join(testdata, 'syft');

  it.each([
    ['single', [['apt', '1.8.2', 'amd64', 'apt-dev', '1.8.2']]],
    ['installed-size-4KB', [['apt', '1.8.2', 'amd64', 'apt-dev', '1.8.2']]],
    // syft also reports "no-version" with an empty version; a package without one cannot be matched
    [
      'multiple',
      [
        ['tzdata', '2020a-0+deb10u1', 'all', 'tzdata-dev', '2020a-0+deb10u1'],
        ['util-linux', '2.33.1-0.1', 'amd64', 'util-linux', '2.33.1-0.1'],
      ],
    ],
    [
      'deinstall',
      [
        [
          'linux-image-6.14.0-1012-aws',
          '6.14.0-1012.12~24.04.1',
          'amd64',
          'linux-signed-aws-6.14',
          '6.14.0-1012.12~24.04.1',
        ],
      ],
    ],
    ['corrupt', []],
    ['empty', []],
  ])('status.d/%s', async (file, want) => {
    const path = `var/lib/dpkg/status.d/${file}`;
    const got = await extract(root, path);
    expect(got.packages.map(brief)).toEqual(want);
  });

  it('multiple: the paragraphs without a name or version are warnings', async () => {
    const got = await extract(root, 'var/lib/dpkg/status.d/multiple');
    expect(got.warnings).toEqual([expect.stringMatching(/no Package field/), 'package no-version: no Version field']);
  });

  it('coreutils-relationships: every paragraph is a package', async () => {
    const got = await extract(root, 'var/lib/dpkg/status.d/coreutils-relationships');
    expect(got.packages.map((p) => p.name)).toEqual([
      'coreutils',
      'libacl1',
      'libc6',
      'libgcc-s1',
      'gcc-12-base',
      'libattr1',
      'libgmp10',
      'libselinux1',
      'libpcre2-8-0',
    ]);
    expect(got.packages.find((p) => p.name === 'libc6')?.sourceName).toBe('glibc');
  });

  it('distroless: a status.d paragraph with its md5sums file list', async () => {
    const root2 = join(root, 'image-distroless-deb');
    const got = await extract(root2, 'var/lib/dpkg/status.d/libsqlite3-0');
    expect(got.packages.map(brief)).toEqual([['libsqlite3-0', '3.34.1-3', 'arm64', 'sqlite3', '3.34.1-3']]);
    expect(got.packages[0]!.files).toEqual([
      'usr/lib/aarch64-linux-gnu/libsqlite3.so.0.8.6',
      'usr/share/doc/libsqlite3-0/README.Debian',
      'usr/share/doc/libsqlite3-0/changelog.Debian.gz',
      'usr/share/doc/libsqlite3-0/changelog.gz',
      'usr/share/doc/libsqlite3-0/changelog.html.gz',
      'usr/share/doc/libsqlite3-0/copyright',
    ]);
  });

  it('image-dpkg: the status file of a debian image', async () => {
    const got = await extract(join(root, 'image-dpkg'), 'var/lib/dpkg/status');
    expect(got.packages.map(brief)).toEqual([['libpam-runtime', '1.1.8-3.6', 'all', 'pam', '1.1.8-3.6']]);
    // only info/*.md5sums exists there; file lists come from info/*.list
    expect(got.packages[0]!.files).toBeUndefined();
    expect(got.warnings).toEqual([expect.stringMatching(/no Package field/)]);
  });

  it('glob-paths: bogus content is a warning', async () => {
    const got = await extract(join(root, 'glob-paths'), 'var/lib/dpkg/status');
    expect(got.packages).toEqual([]);
    expect(got.warnings).toEqual(['line 1: not a "Field: value" line']);
  });
});

describe('trivy fixtures', () => {
  // expectations from aquasecurity/trivy pkg/fanal/analyzer/pkg/dpkg/dpkg_test.go
  // (Test_dpkgAnalyzer_Analyze). Trivy splits versions into epoch/version/release; we keep the
  // version string as dpkg prints it.
  const root = join(testdata, 'trivy');

  it('valid: ninety installed packages (one deinstalled paragraph dropped)', async () => {
    const got = await extract(join(root, 'valid'), 'var/lib/dpkg/status', undefined, ubuntu2204);
    expect(got.packages).toHaveLength(90);
    expect(got.warnings).toEqual([]);
    const byName = new Map(got.packages.map((p) => [p.name, p]));
    const rows: Array<[string, string, string, string, string]> = [
      ['adduser', '3.116ubuntu1', 'all', 'adduser', '3.116ubuntu1'],
      // Source: util-linux (2.31.1-0.4ubuntu3.1): the source version has no epoch
      ['bsdutils', '1:2.31.1-0.4ubuntu3.1', 'amd64', 'util-linux', '2.31.1-0.4ubuntu3.1'],
      ['gcc-8-base', '8-20180414-1ubuntu2', 'amd64', 'gcc-8', '8-20180414-1ubuntu2'],
      ['gpgv', '2.2.4-1ubuntu1.1', 'amd64', 'gnupg2', '2.2.4-1ubuntu1.1'],
      ['libgmp10', '2:6.1.2+dfsg-2', 'amd64', 'gmp', '2:6.1.2+dfsg-2'],
      ['liblzma5', '5.1.1alpha+20120614-2+b3', 'amd64', 'xz-utils', '5.1.1alpha+20120614-2'],
      ['libustr-1.0-1', '1.0.4-3+b2', 'amd64', 'ustr', '1.0.4-3'],
      ['libpcre3', '2:8.39-9', 'amd64', 'pcre3', '2:8.39-9'],
      ['login', '1:4.5-1ubuntu1', 'amd64', 'shadow', '1:4.5-1ubuntu1'],
      ['ubuntu-keyring', '2018.02.28', 'all', 'ubuntu-keyring', '2018.02.28'],
      ['zlib1g', '1:1.2.11.dfsg-0ubuntu2', 'amd64', 'zlib', '1:1.2.11.dfsg-0ubuntu2'],
    ];
    for (const row of rows) expect(brief(byName.get(row[0])!)).toEqual(row);
    expect(byName.get('liblzma5')!.maintainer).toBe('Jonathan Nieder <jrnieder@gmail.com>');
    expect(byName.get('zlib1g')!.purl).toBe(
      'pkg:deb/ubuntu/zlib1g@1:1.2.11.dfsg-0ubuntu2?arch=amd64&distro=ubuntu-22.04',
    );
  });

  it('corrupsed: four packages; no-version and invalid-version paragraphs are warnings', async () => {
    const got = await extract(join(root, 'corrupsed'), 'var/lib/dpkg/status');
    expect(got.packages.map(brief)).toEqual([
      ['libpam-runtime', '1.1.8-3.1ubuntu3', 'all', 'pam', '1.1.8-3.1ubuntu3'],
      ['libpam-modules-bin', '1.1.8-3.1ubuntu3', 'amd64', 'pam', '1.1.8-3.1ubuntu3'],
      ['makedev', '2.3.1-93ubuntu1', 'all', 'makedev', '2.3.1-93ubuntu1'],
      ['libgcc1', '1:5.1.1-12ubuntu1', 'amd64', 'gcc-5', '5.1.1-12ubuntu1'],
    ]);
    expect(got.warnings).toEqual([
      'package brokenPackageWithNoVersionThatShouldGetThrownOut: no Status field',
      'package invalidpkg: no Status field',
    ]);
  });

  it.each([
    ['only-apt', [['apt', '1.6.3ubuntu0.1', 'amd64', 'apt', '1.6.3ubuntu0.1']]],
    [
      'digest',
      [
        ['sed', '4.4-2', 'amd64', 'sed', '4.4-2'],
        ['tar', '1.34+dfsg-1', 'amd64', 'tar', '1.34+dfsg-1'],
      ],
    ],
    [
      'third-party',
      [
        ['docker-ce', '5:20.10.7~3-0~debian-buster', 'amd64', 'docker-ce', '5:20.10.7~3-0~debian-buster'],
        ['apt', '1.6.3ubuntu0.1', 'amd64', 'apt', '1.6.3ubuntu0.1'],
      ],
    ],
    ['md5sums', [['tar', '1.29b-2', 'amd64', 'tar', '1.29b-2']]],
  ])('%s', async (name, want) => {
    const got = await extract(join(root, name), 'var/lib/dpkg/status');
    expect(got.packages.map(brief)).toEqual(want);
  });
});

describe('file lists from info/*.list', () => {
  // the tar.list shape from trivy's "info list" case: directories drop out, files stay
  const tarList = [
    '/.',
    '/bin',
    '/bin/tar',
    '/etc',
    '/usr',
    '/usr/lib',
    '/usr/lib/mime',
    '/usr/lib/mime/packages',
    '/usr/lib/mime/packages/tar',
    '/usr/sbin',
    '/usr/sbin/rmt-tar',
    '/usr/sbin/tarcat',
    '/usr/share',
    '/usr/share/doc',
    '/usr/share/doc/tar',
    '/usr/share/doc/tar/copyright',
    '/etc/rmt',
    '',
  ].join('\n');

  it('filesFromList keeps files, drops directories and the root', () => {
    expect(filesFromList(tarList)).toEqual([
      'bin/tar',
      'usr/lib/mime/packages/tar',
      'usr/sbin/rmt-tar',
      'usr/sbin/tarcat',
      'usr/share/doc/tar/copyright',
      'etc/rmt',
    ]);
  });

  it('filesFromMd5sums reads the path column', () => {
    expect(filesFromMd5sums('25de5fcdc3c8ebd9c9f599fb7a899b40  usr/bin/tar\r\n\nbad\n')).toEqual(['usr/bin/tar']);
  });

  it('multi-arch: same name on two architectures gives two packages, each with its own list', async () => {
    const stanza = (arch: string) =>
      `Package: libc6\nStatus: install ok installed\nArchitecture: ${arch}\nMulti-Arch: same\nSource: glibc\nVersion: 2.36-9+deb12u4\n`;
    const root = await writeTree({
      'var/lib/dpkg/status': `${stanza('amd64')}\n${stanza('i386')}\nPackage: tar\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.34+dfsg-1.2\n`,
      'var/lib/dpkg/info/libc6:amd64.list': '/.\n/lib\n/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu/libc.so.6\n',
      'var/lib/dpkg/info/libc6:i386.list': '/.\n/lib\n/lib/i386-linux-gnu\n/lib/i386-linux-gnu/libc.so.6\n',
      'var/lib/dpkg/info/tar.list': tarList,
      'var/lib/dpkg/info/tar.md5sums': '25de5fcdc3c8ebd9c9f599fb7a899b40  usr/bin/tar\n',
    });
    const got = await extract(root, 'var/lib/dpkg/status');
    expect(got.packages.map((p) => [p.name, p.arch, p.files])).toEqual([
      ['libc6', 'amd64', ['lib/x86_64-linux-gnu/libc.so.6']],
      ['libc6', 'i386', ['lib/i386-linux-gnu/libc.so.6']],
      ['tar', 'amd64', filesFromList(tarList)],
    ]);
    expect(got.packages.map((p) => p.purl)).toEqual([
      'pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&distro=debian-12',
      'pkg:deb/debian/libc6@2.36-9+deb12u4?arch=i386&distro=debian-12',
      'pkg:deb/debian/tar@1.34+dfsg-1.2?arch=amd64&distro=debian-12',
    ]);
  });
});

describe('purl namespace', () => {
  const file = 'Package: curl\nStatus: install ok installed\nArchitecture: amd64\nVersion: 7.88.1-10+deb12u5\n';
  it.each([
    [debian12, 'pkg:deb/debian/curl@7.88.1-10+deb12u5?arch=amd64&distro=debian-12'],
    [ubuntu2204, 'pkg:deb/ubuntu/curl@7.88.1-10+deb12u5?arch=amd64&distro=ubuntu-22.04'],
    [null, 'pkg:deb/debian/curl@7.88.1-10+deb12u5?arch=amd64'],
  ])('distro %o', async (distro, want) => {
    const root = await writeTree({ 'var/lib/dpkg/status': file });
    const got = await extract(root, 'var/lib/dpkg/status', undefined, distro);
    expect(got.packages.map((p) => p.purl)).toEqual([want]);
  });
});

describe('field rules', () => {
  it.each([
    ['install ok installed', true],
    ['deinstall reinstreq installed', true],
    ['purge ok installed', true],
    ['install ok unpacked', true],
    ['install ok half-configured', true],
    ['install ok triggers-pending', true],
    ['install ok triggers-awaited', true],
    ['install reinstreq half-installed', false],
    ['deinstall ok config-files', false],
    ['purge ok not-installed', false],
    ['install  ok\tinstalled', true],
    ['installed', undefined],
    ['install ok installed extra', undefined],
    ['', undefined],
  ])('packageIsPresent(%j) = %s', (status, want) => {
    expect(packageIsPresent(status)).toBe(want);
  });

  // after syft parse_dpkg_db_test.go TestSourceVersionExtract
  it.each([
    ['test (1.2.3)', { name: 'test', version: '1.2.3' }],
    ['test', { name: 'test' }],
    ['util-linux (2.38.1-5)', { name: 'util-linux', version: '2.38.1-5' }],
    ['gcc-5 (5.1.1-12ubuntu1)', { name: 'gcc-5', version: '5.1.1-12ubuntu1' }],
    ['test ()', { name: 'test' }],
    ['test (1.2.3', undefined],
    ['test (1.2.3) junk', undefined],
    ['two words', undefined],
    [' (1.0)', undefined],
  ])('parseSourceField(%j)', (value, want) => {
    expect(parseSourceField(value)).toEqual(want);
  });

  it.each([
    ['1.0', true],
    ['1:2.5.1-4', true],
    ['2:8.39-9', true],
    ['0.0~r131-2ubuntu3', true],
    ['5:20.10.7~3-0~debian-buster', true],
    ['1:5.#', false],
    [':1.0', false],
    ['a:1.0', false],
    ['1:', false],
    ['1.0-', false],
    ['', false],
    ['1.0 2', false],
  ])('isDebVersion(%j) = %s', (version, want) => {
    expect(isDebVersion(version)).toBe(want);
  });
});

describe('hostile and corrupt input', () => {
  const validStatus = join(testdata, 'trivy/valid/var/lib/dpkg/status');

  it('CRLF line endings give the same packages as LF', async () => {
    const lf = await readFile(validStatus, 'utf8');
    const root = await writeTree({ 'var/lib/dpkg/status': lf.replaceAll('\n', '\r\n') });
    const crlf = await extract(root, 'var/lib/dpkg/status');
    const plain = await extract(join(testdata, 'trivy/valid'), 'var/lib/dpkg/status');
    expect(crlf.packages).toEqual(plain.packages);
    expect(crlf.warnings).toEqual([]);
  });

  it('fields without values', async () => {
    const root = await writeTree({
      'var/lib/dpkg/status':
        'Package:\nStatus:\nVersion:\n\nPackage: a\nStatus:\nVersion: 1\n\nPackage: b\nStatus: install ok installed\nVersion:\nSource:\nArchitecture:\n\nPackage: c\nStatus: install ok installed\nVersion: 1\nSource:\nArchitecture:\nMaintainer:\n',
    });
    const got = await extract(root, 'var/lib/dpkg/status');
    expect(got.packages.map(brief)).toEqual([['c', '1', undefined, 'c', '1']]);
    expect(got.packages[0]!.maintainer).toBeUndefined();
    expect(got.warnings).toEqual([
      expect.stringMatching(/no Package field/),
      'package a: Status "" is not "want flag state"',
      'package b: no Version field',
    ]);
  });

  it('continuation lines, comments and blank lines made of spaces', async () => {
    const root = await writeTree({
      'var/lib/dpkg/status':
        '\n \t\nPackage: a\nStatus: install ok installed\nDescription: x\n y\n .\n z\n# a comment\nVersion: 1.0\nmaintainer: Someone\n <x@example.org>\n  \t \nPACKAGE: b\nSTATUS: install ok installed\nVERSION: 2.0\n',
    });
    const got = await extract(root, 'var/lib/dpkg/status');
    expect(got.packages.map((p) => [p.name, p.version, p.maintainer])).toEqual([
      ['a', '1.0', 'Someone <x@example.org>'],
      ['b', '2.0', undefined],
    ]);
    expect(got.warnings).toEqual([]);
  });

  it('truncated at every 97th byte: never throws, only complete packages', async () => {
    const full = await readFile(validStatus);
    for (let cut = 0; cut < full.length; cut += 97) {
      const root = await writeTree({ 'var/lib/dpkg/status': full.subarray(0, cut) });
      const got = await extract(root, 'var/lib/dpkg/status');
      for (const p of got.packages) {
        expect(p.name).not.toBe('');
        expect(isDebVersion(p.version)).toBe(true);
      }
      await rm(root, { recursive: true });
    }
  });

  it('binary garbage gives a short list of warnings', async () => {
    const garbage = Buffer.alloc(1 << 20);
    let x = 12345;
    for (let i = 0; i < garbage.length; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      garbage[i] = x >>> 24;
    }
    const root = await writeTree({ 'var/lib/dpkg/status': garbage });
    const got = await extract(root, 'var/lib/dpkg/status');
    expect(got.packages).toEqual([]);
    expect(got.warnings.length).toBeLessThanOrEqual(21);
  });

  it('a line longer than the bound is dropped with a warning', async () => {
    const root = await writeTree({
      'var/lib/dpkg/status': `Package: a\nStatus: install ok installed\nVersion: 1\nDescription: ${'x'.repeat(3 << 20)}\n\nPackage: b\nStatus: install ok installed\nVersion: 2\n`,
    });
    const got = await extract(root, 'var/lib/dpkg/status');
    expect(got.packages.map((p) => p.name)).toEqual(['a', 'b']);
    expect(got.warnings).toEqual([expect.stringMatching(/^line 4: longer than/)]);
  });

  it('a 200 MB status of repeated paragraphs is streamed from disk, not read whole', async () => {
    const root = await mkdtemp(join(scratch, 'huge-'));
    const path = join(root, 'var/lib/dpkg/status');
    await mkdir(dirname(path), { recursive: true });
    const stanza = Buffer.from(
      `Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nSource: glibc\nVersion: 2.36-9\nDescription: GNU C Library: Shared libraries\n ${'x'.repeat(300)}\n\n`,
    );
    const perWrite = Buffer.concat(Array.from({ length: 2048 }, () => stanza));
    const handle = await open(path, 'w');
    let written = 0;
    while (written < 200 * 1024 * 1024) {
      await handle.write(perWrite);
      written += perWrite.length;
    }
    await handle.close();
    const input = await inputFromFixture(root, 'var/lib/dpkg/status', { distro: debian12 });
    const got = await dpkgExtractor.extract({
      ...input,
      read: () => Promise.reject(new Error('whole-file read of a huge status')),
    });
    expect(got.packages.map(brief)).toEqual([['libc6', '2.36-9', 'amd64', 'glibc', '2.36-9']]);
    expect(got.warnings).toEqual([`${written / stanza.length - 1} repeated package paragraphs ignored`]);
    await rm(root, { recursive: true });
  });

  it('an unreadable file is a warning, not an error', async () => {
    const input = await inputFromFixture(join(testdata, 'trivy/only-apt'), 'var/lib/dpkg/status');
    const got = await dpkgExtractor.extract({ ...input, localPath: async () => join(scratch, 'gone') });
    expect(got.packages).toEqual([]);
    expect(got.warnings).toEqual([expect.stringMatching(/^cannot read var\/lib\/dpkg\/status: .*ENOENT/)]);
  });

  it('5,000 packages', async () => {
    const body = Array.from(
      { length: 5000 },
      (_, i) => `Package: pkg-${i}\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.${i}-1\n`,
    ).join('\n');
    const root = await writeTree({ 'var/lib/dpkg/status': body });
    const got = await extract(root, 'var/lib/dpkg/status');
    expect(got.packages).toHaveLength(5000);
    expect(got.packages[4999]!.version).toBe('1.4999-1');
  });

  it('property: never throws, every package has a name and a version', async () => {
    const line = fc.oneof(
      fc.constantFrom(
        'Package: a',
        'Package: b',
        'Version: 1.0-1',
        'Version: 2:3',
        'Version: 1:5.#',
        'Status: install ok installed',
        'Status: deinstall ok config-files',
        'Status: garbage',
        'Source: x (1.0)',
        'Source: (',
        'Architecture: amd64',
        ' continuation',
        '',
        '\r',
        ':',
        'Package:',
      ),
      fc.string({ maxLength: 40 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 40 }), fc.boolean(), async (lines, crlf) => {
        const root = await writeTree({ 'var/lib/dpkg/status': lines.join(crlf ? '\r\n' : '\n') });
        const got = await extract(root, 'var/lib/dpkg/status');
        for (const p of got.packages) {
          expect(p.name.length).toBeGreaterThan(0);
          expect(p.version.length).toBeGreaterThan(0);
          expect(p.purl.startsWith('pkg:deb/debian/')).toBe(true);
        }
        await rm(root, { recursive: true });
      }),
      { numRuns: 150 },
    );
  });
});
