import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Distro, Package } from '../../../core/types.ts';
import { inputFromFixture } from '../../testing.ts';
import { rpmExtractor } from './index.ts';

const root = (fixture: string) => fileURLToPath(new URL(`testdata/${fixture}`, import.meta.url));
const rhel93: Distro = { id: 'rhel', versionId: '9.3', source: 'etc/os-release' };

type Row = [name: string, version: string, release: string, arch: string, sourceRpm: string, license: string];

/**
 * go-rpmdb pkg/rpmdb_testcase.go `SLE15WithNDB` (commit 01187ea97d4313366db0ddec36a8e11585914927): the
 * `rpm -qa` listing of registry.suse.com/bci/bci-minimal:15.3 this Packages.db came from, in database
 * order. Every epoch is unset; every vendor is "SUSE LLC <https://www.suse.com/>".
 */
const sle15Bci: Row[] = [
  ['system-user-root', '20190513', '3.3.1', 'noarch', 'system-user-root-20190513-3.3.1.src.rpm', 'MIT'],
  ['filesystem', '15.0', '11.3.2', 'x86_64', 'filesystem-15.0-11.3.2.src.rpm', 'MIT'],
  [
    'glibc',
    '2.31',
    '9.3.2',
    'x86_64',
    'glibc-2.31-9.3.2.src.rpm',
    'LGPL-2.1-or-later AND LGPL-2.1-or-later WITH GCC-exception-2.0 AND GPL-2.0-or-later',
  ],
  ['libpcre1', '8.45', '20.10.1', 'x86_64', 'pcre-8.45-20.10.1.src.rpm', 'BSD-3-Clause'],
  ['libgmp10', '6.1.2', '4.6.1', 'x86_64', 'gmp-6.1.2-4.6.1.src.rpm', 'LGPL-3.0-or-later OR GPL-2.0-or-later'],
  [
    'libgcc_s1',
    '11.2.1+git610',
    '1.3.9',
    'x86_64',
    'gcc11-11.2.1+git610-1.3.9.src.rpm',
    'GPL-3.0-or-later WITH GCC-exception-3.1',
  ],
  ['libcap2', '2.26', '4.6.1', 'x86_64', 'libcap-2.26-4.6.1.src.rpm', 'BSD-3-Clause or GPL-2.0'],
  [
    'libstdc++6',
    '11.2.1+git610',
    '1.3.9',
    'x86_64',
    'gcc11-11.2.1+git610-1.3.9.src.rpm',
    'GPL-3.0-or-later WITH GCC-exception-3.1',
  ],
  ['libncurses6', '6.1', '5.9.1', 'x86_64', 'ncurses-6.1-5.9.1.src.rpm', 'MIT'],
  ['terminfo-base', '6.1', '5.9.1', 'x86_64', 'ncurses-6.1-5.9.1.src.rpm', 'MIT'],
  ['libattr1', '2.4.47', '2.19', 'x86_64', 'attr-2.4.47-2.19.src.rpm', 'GPL-2.0-or-later AND LGPL-2.1-or-later'],
  ['libselinux1', '3.0', '1.31', 'x86_64', 'libselinux-3.0-1.31.src.rpm', 'SUSE-Public-Domain'],
  ['libreadline7', '7.0', '19.6.1', 'x86_64', 'bash-4.4-19.6.1.src.rpm', 'GPL-3.0-or-later'],
  ['bash', '4.4', '19.6.1', 'x86_64', 'bash-4.4-19.6.1.src.rpm', 'GPL-3.0-or-later'],
  ['libacl1', '2.2.52', '4.3.1', 'x86_64', 'acl-2.2.52-4.3.1.src.rpm', 'GPL-2.0+ and LGPL-2.1+'],
  ['coreutils', '8.32', '3.2.1', 'x86_64', 'coreutils-8.32-3.2.1.src.rpm', 'GPL-3.0-or-later'],
  ['sles-release', '15.3', '55.4.1', 'x86_64', 'sles-release-15.3-55.4.1.src.rpm', 'MIT'],
  [
    'ca-certificates-mozilla-prebuilt',
    '2.44',
    '21.1',
    'noarch',
    'ca-certificates-mozilla-prebuilt-2.44-21.1.src.rpm',
    'MPL-2.0',
  ],
  ['libgpg-error0', '1.29', '1.8', 'x86_64', 'libgpg-error-1.29-1.8.src.rpm', 'GPL-2.0-or-later AND LGPL-2.1-or-later'],
  ['libpopt0', '1.16', '3.22', 'x86_64', 'popt-1.16-3.22.src.rpm', 'MIT'],
  ['file-magic', '5.32', '7.14.1', 'noarch', 'file-5.32-7.14.1.src.rpm', 'BSD-2-Clause'],
  ['libbz2-1', '1.0.6', '5.11.1', 'x86_64', 'bzip2-1.0.6-5.11.1.src.rpm', 'BSD-3-Clause'],
  ['liblua5_3-5', '5.3.6', '3.6.1', 'x86_64', 'lua53-5.3.6-3.6.1.src.rpm', 'MIT'],
  ['liblzma5', '5.2.3', '4.3.1', 'x86_64', 'xz-5.2.3-4.3.1.src.rpm', 'SUSE-Public-Domain'],
  ['libz1', '1.2.11', '3.21.1', 'x86_64', 'zlib-1.2.11-3.21.1.src.rpm', 'Zlib'],
  ['libzstd1', '1.4.4', '1.6.1', 'x86_64', 'zstd-1.4.4-1.6.1.src.rpm', 'BSD-3-Clause AND GPL-2.0-only'],
  ['libmagic1', '5.32', '7.14.1', 'x86_64', 'file-5.32-7.14.1.src.rpm', 'BSD-2-Clause'],
  ['libdw1', '0.168', '4.5.3', 'x86_64', 'elfutils-0.168-4.5.3.src.rpm', 'SUSE-GPL-2.0-with-OSI-exception'],
  ['libebl-plugins', '0.168', '4.5.3', 'x86_64', 'elfutils-0.168-4.5.3.src.rpm', 'SUSE-GPL-2.0-with-OSI-exception'],
  ['libelf1', '0.168', '4.5.3', 'x86_64', 'elfutils-0.168-4.5.3.src.rpm', 'SUSE-GPL-2.0-with-OSI-exception'],
  [
    'libcrypt1',
    '4.4.15',
    '2.51',
    'x86_64',
    'libxcrypt-4.4.15-2.51.src.rpm',
    'LGPL-2.1-or-later AND BSD-2-Clause AND BSD-3-Clause AND SUSE-Public-Domain',
  ],
  ['perl-base', '5.26.1', '15.87', 'x86_64', 'perl-5.26.1-15.87.src.rpm', 'Artistic-1.0 or GPL-2.0+'],
  ['libgcrypt20', '1.8.2', '8.39.1', 'x86_64', 'libgcrypt-1.8.2-8.39.1.src.rpm', 'GPL-2.0+ AND LGPL-2.1+'],
  ['rpm-config-SUSE', '1', '5.6.1', 'noarch', 'rpm-config-SUSE-1-5.6.1.src.rpm', 'GPL-2.0-or-later'],
  ['rpm-ndb', '4.14.3', '40.1', 'x86_64', 'rpm-ndb-4.14.3-40.1.src.rpm', 'GPL-2.0-or-later'],
];

const nvra = (p: Package) => [p.name, p.version, p.release, p.arch, `${p.sourceName}-${p.sourceVersion}.src.rpm`];

describe('os/rpm on the go-rpmdb and osv-scalibr fixtures', () => {
  it('reads every package of sle15-bci/Packages.db (NDB) as go-rpmdb expects', async () => {
    const result = await rpmExtractor.extract(
      await inputFromFixture(root('sle15-bci'), 'usr/lib/sysimage/rpm/Packages.db'),
    );
    expect(result.warnings).toEqual([]);
    expect(
      result.packages.map((p) => [p.name, p.release, p.arch, `${p.sourceName}-${p.sourceVersion}.src.rpm`]),
    ).toEqual(sle15Bci.map(([name, , release, arch, sourceRpm]) => [name, release, arch, sourceRpm]));
    expect(result.packages.map((p) => p.version)).toEqual(
      sle15Bci.map(([, version, release]) => `${version}-${release}`),
    );
    expect(result.packages.map((p) => p.licenses)).toEqual(sle15Bci.map((row) => [row[5]]));
    expect(new Set(result.packages.map((p) => p.maintainer))).toEqual(new Set(['SUSE LLC <https://www.suse.com/>']));
    expect(result.packages.every((p) => p.epoch === undefined)).toBe(true);
  });

  it('reads curl from cbl-mariner-2.0/rpmdb.sqlite (SQLite) as go-rpmdb TestPackageContent expects', async () => {
    const result = await rpmExtractor.extract(
      await inputFromFixture(root('cbl-mariner-2.0'), 'var/lib/rpm/rpmdb.sqlite', {
        distro: { id: 'mariner', versionId: '2.0', source: 'etc/os-release' },
      }),
    );
    expect(result.warnings).toEqual([]);
    // 129 is what rpm 4.18 itself counts (see rpm.differential.test.ts); go-rpmdb asserts only curl
    expect(result.packages).toHaveLength(129);
    const curl = result.packages.find((p) => p.name === 'curl');
    // go-rpmdb pkg/testdata/cbl-mariner-2.0/curl.json and curl_file_names.json
    expect(curl).toEqual({
      type: 'rpm',
      name: 'curl',
      version: '7.76.0-6.cm2',
      epoch: undefined,
      release: '6.cm2',
      arch: 'x86_64',
      sourceName: 'curl',
      sourceVersion: '7.76.0-6.cm2',
      licenses: ['MIT'],
      maintainer: 'Microsoft Corporation',
      modularityLabel: undefined,
      files: [
        'usr/bin/curl',
        'usr/bin/curl-config',
        'usr/share/licenses/curl',
        'usr/share/licenses/curl/COPYING',
        'usr/share/man/man1/curl-config.1.gz',
        'usr/share/man/man1/curl.1.gz',
      ],
      purl: 'pkg:rpm/mariner/curl@7.76.0-6.cm2?arch=x86_64&distro=mariner-2.0',
      locations: ['var/lib/rpm/rpmdb.sqlite'],
    });
  });

  it.each([
    // osv-scalibr extractor/filesystem/os/rpm/rpm_test.go "custom rpm" (epoch 1)
    [
      'packages-epoch',
      ['hello', '1:0.0.1-rls', 'rls', 'x86_64', 'hello-0.0.1-rls.src.rpm'],
      1,
      'GPL',
      undefined,
      'pkg:rpm/redhat/hello@0.0.1-rls?arch=x86_64&distro=rhel-9.3&epoch=1',
    ],
    // go-rpmdb uses libuuid/Packages only as a fuzz seed; rpm 4.18 (bdb_ro) prints these values for it
    [
      'libuuid',
      ['libuuid', '2.32.1-42.el8_8', '42.el8_8', 'x86_64', 'util-linux-2.32.1-42.el8_8.src.rpm'],
      undefined,
      'BSD',
      'Red Hat, Inc.',
      'pkg:rpm/redhat/libuuid@2.32.1-42.el8_8?arch=x86_64&distro=rhel-9.3',
    ],
  ])('reads %s (BerkeleyDB hash)', async (fixture, expected, epoch, license, vendor, purl) => {
    const result = await rpmExtractor.extract(
      await inputFromFixture(root(fixture), 'var/lib/rpm/Packages', { distro: rhel93 }),
    );
    expect(result.warnings).toEqual([]);
    expect(result.packages).toHaveLength(1);
    const [pkg] = result.packages as [Package];
    expect(nvra(pkg)).toEqual(expected);
    expect(pkg.epoch).toBe(epoch);
    expect(pkg.licenses).toEqual([license]);
    expect(pkg.maintainer).toBe(vendor);
    expect(pkg.purl).toBe(purl);
  });

  it('lists the seven files rpm -ql prints for libuuid', async () => {
    const result = await rpmExtractor.extract(await inputFromFixture(root('libuuid'), 'var/lib/rpm/Packages'));
    expect(result.packages[0]?.files).toHaveLength(7);
    expect(result.packages[0]?.files?.every((f) => !f.startsWith('/'))).toBe(true);
  });
});
