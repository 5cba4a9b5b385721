/**
 * OS packages against their distro release, on real records where they exist: the Ubuntu and
 * AlmaLinux zips of ../shared/vulndata/osv (testdata/ubuntu, testdata/almalinux) and osv.dev's
 * example records (testdata/osv-examples). Debian, Alpine, Red Hat, Rocky, SUSE, openSUSE, Wolfi
 * and Chainguard have no OSV export on GitHub, so testdata/written holds records written in the
 * shape osv.dev publishes for them (see testdata/PROVENANCE.md). Expectations are hand-checked
 * against the records' events.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Distro, Package } from '../core/types.ts';
import { matchInventory } from './index.ts';
import { InMemoryVulnDb, inventoryOf, readRecords } from './testing.ts';

const testdata = join(import.meta.dirname, 'testdata');
const db = new InMemoryVulnDb(
  ['ubuntu', 'almalinux', 'written', 'osv-examples'].flatMap((dir) => readRecords(join(testdata, dir))),
);
const DEC_2026 = new Date('2026-12-01T00:00:00Z');

function os(id: string, versionId: string | undefined, extra: Partial<Distro> = {}): Distro {
  return { id, ...(versionId !== undefined && { versionId }), source: 'etc/os-release', ...extra };
}

function pkg(type: string, name: string, version: string, extra: Partial<Package> = {}): Package {
  return { type, name, version, purl: `pkg:${type}/${name}@${version}`, locations: [`var/lib/${type}`], ...extra };
}

interface Row {
  readonly distro: Distro;
  readonly pkg: Package;
  /** finding id → sources; order-insensitive */
  readonly findings: Readonly<Record<string, readonly string[]>>;
  readonly ubuntuPro?: boolean;
}

const almaOpenssl = (version: string, extra: Partial<Package> = {}) =>
  pkg('rpm', 'openssl-libs', version, { sourceName: 'openssl', ...extra });

/** AlmaLinux:9 openssl-libs records whose fixed version is above 1:3.0.1-47.el9_1 */
const alma9After47 = [
  'ALSA-2023:2523',
  'ALSA-2023:3722',
  'ALSA-2024:0310',
  'ALSA-2024:2447',
  'ALSA-2024:6783',
  'ALSA-2024:9333',
  'ALSA-2025:1330',
  'ALSA-2025:21255',
  'ALSA-2026:1473',
  'ALSA-2026:19218',
  'ALSA-2026:22312',
  'ALSA-2026:25239',
];
const own = (ids: readonly string[]) => Object.fromEntries(ids.map((id) => [id, [id]]));

const rows: ReadonlyArray<readonly [string, Row]> = [
  [
    'Ubuntu 22.04: binary via source package, UBUNTU-CVE + USN are one finding',
    {
      distro: os('ubuntu', '22.04'),
      pkg: pkg('deb', 'libwayland-client0', '1.20.0-1', { sourceName: 'wayland' }),
      findings: { 'CVE-2021-3782': ['UBUNTU-CVE-2021-3782', 'USN-5614-1'] },
    },
  ],
  [
    'Ubuntu 22.04: the fixed version is clean',
    {
      distro: os('ubuntu', '22.04'),
      pkg: pkg('deb', 'libwayland-client0', '1.20.0-1ubuntu0.1', { sourceName: 'wayland' }),
      findings: {},
    },
  ],
  [
    'Ubuntu 22.04: no fix yet',
    {
      distro: os('ubuntu', '22.04'),
      pkg: pkg('deb', 'libc6', '2.35-0ubuntu3.13', { sourceName: 'glibc' }),
      findings: { 'CVE-2016-20013': ['UBUNTU-CVE-2016-20013'] },
    },
  ],
  [
    'Ubuntu 16.04 with Pro (ESM) packages: Ubuntu:Pro:16.04:LTS applies',
    {
      distro: os('ubuntu', '16.04'),
      pkg: pkg('deb', 'libnetty-java', '1:4.0.34-1ubuntu0.1~esm1', { sourceName: 'netty' }),
      findings: { 'CVE-2022-24823': ['UBUNTU-CVE-2022-24823'] },
    },
  ],
  [
    'Ubuntu 16.04 without Pro: Pro-only records do not apply',
    {
      distro: os('ubuntu', '16.04'),
      pkg: pkg('deb', 'libnetty-java', '1:4.0.34-1', { sourceName: 'netty' }),
      findings: {},
    },
  ],
  [
    'Ubuntu 25.10 (interim, no :LTS suffix)',
    {
      distro: os('ubuntu', '25.10'),
      pkg: pkg('deb', 'libnetty-java', '1:4.1.48-10ubuntu0.25.10.2', { sourceName: 'netty' }),
      findings: { 'CVE-2022-24823': ['UBUNTU-CVE-2022-24823'] },
    },
  ],
  [
    'Ubuntu: withdrawn UBUNTU-CVE-2020-36325 never matches',
    {
      distro: os('ubuntu', '14.04'),
      pkg: pkg('deb', 'libjansson4', '2.5-2', { sourceName: 'jansson' }),
      findings: {},
      ubuntuPro: true,
    },
  ],
  [
    'AlmaLinux 9: binary rpm name, epoch in the version',
    { distro: os('almalinux', '9.1'), pkg: almaOpenssl('1:3.0.1-47.el9_1'), findings: own(alma9After47) },
  ],
  [
    'AlmaLinux 9: epoch kept apart on the package',
    { distro: os('almalinux', '9.1'), pkg: almaOpenssl('3.0.1-47.el9_1', { epoch: 1 }), findings: own(alma9After47) },
  ],
  ['AlmaLinux 9: up to date', { distro: os('almalinux', '9.8'), pkg: almaOpenssl('1:3.5.5-4.el9_8'), findings: {} }],
  [
    'AlmaLinux 8 records only for AlmaLinux 8',
    {
      distro: os('almalinux', '8.10'),
      pkg: almaOpenssl('1:1.1.1k-16.el8_6'),
      findings: own(['ALSA-2026:38503']),
    },
  ],
  [
    'Debian 12.1: source package and source version; DEBIAN-CVE + DSA + tracker record folded per CVE',
    {
      distro: os('debian', '12.1'),
      pkg: pkg('deb', 'libc6', '2.36-9+deb12u1+b1', { sourceName: 'glibc', sourceVersion: '2.36-9+deb12u1' }),
      findings: {
        'CVE-2023-4911': ['CVE-2023-4911', 'DEBIAN-CVE-2023-4911', 'DSA-5514-1'],
        'CVE-2023-4527': ['DEBIAN-CVE-2023-4527', 'DSA-5514-1'],
        'CVE-2010-4756': ['DEBIAN-CVE-2010-4756'],
      },
    },
  ],
  [
    'Debian testing by codename (no VERSION_ID)',
    {
      distro: os('debian', undefined, { versionCodename: 'bookworm' }),
      pkg: pkg('deb', 'libc6', '2.36-9+deb12u3', { sourceName: 'glibc' }),
      findings: { 'CVE-2010-4756': ['DEBIAN-CVE-2010-4756'] },
    },
  ],
  [
    'Alpine 3.18.4: through origin',
    {
      distro: os('alpine', '3.18.4'),
      pkg: pkg('apk', 'libcrypto3', '3.1.3-r0', { sourceName: 'openssl' }),
      findings: { 'CVE-2023-5363': ['ALPINE-CVE-2023-5363'] },
    },
  ],
  [
    'Alpine 3.19: v3.18 records do not apply',
    {
      distro: os('alpine', '3.19.1'),
      pkg: pkg('apk', 'libcrypto3', '3.1.3-r0', { sourceName: 'openssl' }),
      findings: {},
    },
  ],
  [
    'RHEL 9: enterprise_linux:9 streams, not EUS or RHEL 8',
    {
      distro: os('rhel', '9.2'),
      pkg: pkg('rpm', 'glibc-common', '2.34-60.el9_2.6', { sourceName: 'glibc' }),
      findings: { 'RHSA-2023:5455': ['RHSA-2023:5455'] },
    },
  ],
  [
    'Rocky Linux 9: through the source rpm',
    {
      distro: os('rocky', '9.2'),
      pkg: pkg('rpm', 'glibc-common', '2.34-60.el9_2.6', { sourceName: 'glibc' }),
      findings: { 'RLSA-2023:5455': ['RLSA-2023:5455'] },
    },
  ],
  [
    'SLES 15 SP5 by PRETTY_NAME: module records apply, SP4 ones do not',
    {
      distro: os('sles', '15.5', { prettyName: 'SUSE Linux Enterprise Server 15 SP5' }),
      pkg: pkg('rpm', 'glibc', '2.31-150300.58.1', { sourceName: 'glibc' }),
      findings: { 'CVE-2023-4911': ['SUSE-SU-2023:3979-1'] },
    },
  ],
  [
    'SLES 15 SP4 without PRETTY_NAME: the product record itself',
    {
      distro: os('sles', '15.4'),
      pkg: pkg('rpm', 'glibc', '2.31-150300.58.1'),
      findings: { 'CVE-2023-4911': ['SUSE-SU-2023:3979-1'] },
    },
  ],
  [
    'SLES 15 SP4: at the SP4 fix, the SP5 module fix does not apply',
    {
      distro: os('sles', '15.4', { prettyName: 'SUSE Linux Enterprise Server 15 SP4' }),
      pkg: pkg('rpm', 'glibc', '2.31-150300.60.1'),
      findings: {},
    },
  ],
  [
    'openSUSE Leap 15.5 without PRETTY_NAME',
    {
      distro: os('opensuse-leap', '15.5'),
      pkg: pkg('rpm', 'glibc', '2.31-150300.58.1'),
      findings: { 'CVE-2023-4911': ['SUSE-SU-2023:3979-1'] },
    },
  ],
  [
    'Wolfi',
    {
      distro: os('wolfi', '20230201'),
      pkg: pkg('apk', 'libcrypto3', '3.1.3-r0', { sourceName: 'openssl' }),
      findings: { 'CVE-2023-5363': ['CGA-2jfm-xxxx-wolf'] },
    },
  ],
  [
    'Chainguard',
    {
      distro: os('chainguard', '20230214'),
      pkg: pkg('apk', 'libcrypto3', '3.1.4-r0', { sourceName: 'openssl' }),
      findings: { 'CVE-2023-5363': ['CGA-2jfm-xxxx-chgd'] },
    },
  ],
];

describe('distro matching', () => {
  it.each(rows)('%s', (_, row) => {
    const options = { now: DEC_2026, ...(row.ubuntuPro !== undefined && { ubuntuPro: row.ubuntuPro }) };
    const { findings } = matchInventory(inventoryOf([row.pkg], row.distro), db, options);
    const got = Object.fromEntries(findings.map((f) => [f.id, [...f.sources].sort()]));
    const want = Object.fromEntries(Object.entries(row.findings).map(([id, s]) => [id, [...s].sort()]));
    expect(got).toEqual(want);
  });

  it('a finding carries the package, fixes, severities and layer', () => {
    const libc = pkg('deb', 'libc6', '2.36-9+deb12u1', {
      sourceName: 'glibc',
      layerDiffId: 'sha256:base',
      layerIndex: 0,
    });
    const { findings } = matchInventory(inventoryOf([libc], os('debian', '12.5')), db, { now: DEC_2026 });
    const byId = new Map(findings.map((f) => [f.id, f]));
    expect(byId.get('CVE-2023-4911')).toMatchObject({
      aliases: ['DEBIAN-CVE-2023-4911', 'DSA-5514-1'],
      fixedVersions: ['2.36-9+deb12u3'],
      fixState: 'fixed',
      severity: 'HIGH',
      ecosystemSeverity: 'high',
      summary: 'Looney Tunables: buffer overflow in ld.so GLIBC_TUNABLES',
      package: {
        name: 'libc6',
        sourceName: 'glibc',
        ecosystem: 'Debian:12',
        layerDiffId: 'sha256:base',
        layerIndex: 0,
      },
    });
    expect(byId.get('CVE-2010-4756')).toMatchObject({ fixState: 'wont-fix', fixedVersions: [], severity: 'LOW' });
  });

  it('AlmaLinux: no CVSS in the errata, so the Red Hat rating of the summary decides', () => {
    const { findings } = matchInventory(inventoryOf([almaOpenssl('1:3.0.7-6.el9_2')], os('almalinux', '9.2')), db, {
      now: DEC_2026,
    });
    expect(findings.find((f) => f.id === 'ALSA-2023:3722')).toMatchObject({
      severity: 'MEDIUM',
      ecosystemSeverity: 'Moderate',
      fixedVersions: ['1:3.0.7-16.el9_2'],
      package: { name: 'openssl-libs', ecosystem: 'AlmaLinux:9' },
    });
  });

  it('Ubuntu: severity from the record CVSS, Ubuntu priority kept', () => {
    const wayland = pkg('deb', 'libwayland-client0', '1.20.0-1', { sourceName: 'wayland' });
    const [finding] = matchInventory(inventoryOf([wayland], os('ubuntu', '22.04')), db, { now: DEC_2026 }).findings;
    expect(finding).toMatchObject({
      fixedVersions: ['1.20.0-1ubuntu0.1'],
      severity: 'MEDIUM',
      ecosystemSeverity: 'medium',
      package: { ecosystem: 'Ubuntu:22.04:LTS' },
    });
  });
});

describe('distro status', () => {
  const cases: ReadonlyArray<readonly [string, Distro, Date, object]> = [
    [
      'Debian 12 in 2026',
      os('debian', '12.5'),
      DEC_2026,
      { ecosystem: 'Debian:12', state: 'supported', endOfLife: '2028-06-30' },
    ],
    ['Debian 11 after its LTS', os('debian', '11'), DEC_2026, { state: 'end-of-life', endOfLife: '2026-08-31' }],
    ['Debian 11 on its last day', os('debian', '11'), new Date('2026-08-31T23:00:00Z'), { state: 'supported' }],
    ['Alpine 3.18 in 2026', os('alpine', '3.18.4'), DEC_2026, { ecosystem: 'Alpine:v3.18', state: 'end-of-life' }],
    ['Alpine 3.22', os('alpine', '3.22.0'), DEC_2026, { state: 'supported', dataAvailable: false }],
    [
      'Alpine edge (rolling)',
      os('alpine', '3.21.0_alpha20240807'),
      DEC_2026,
      { ecosystem: 'Alpine:edge', state: 'supported' },
    ],
    ['Alpine with an odd VERSION_ID', os('alpine', 'next'), DEC_2026, { state: 'unsupported' }],
    [
      'Ubuntu 22.04',
      os('ubuntu', '22.04'),
      DEC_2026,
      { ecosystem: 'Ubuntu:22.04:LTS', state: 'supported', dataAvailable: true },
    ],
    ['Ubuntu 20.04', os('ubuntu', '20.04'), DEC_2026, { state: 'end-of-life', endOfLife: '2025-05-29' }],
    [
      'AlmaLinux 9',
      os('almalinux', '9.3'),
      DEC_2026,
      { ecosystem: 'AlmaLinux:9', state: 'supported', dataAvailable: true },
    ],
    ['RHEL 7', os('rhel', '7.9'), DEC_2026, { state: 'end-of-life' }],
    ['Rocky 8', os('rocky', '8.9'), DEC_2026, { ecosystem: 'Rocky Linux:8', state: 'supported', dataAvailable: false }],
    ['Debian 14 not yet in the table', os('debian', '14'), DEC_2026, { state: 'unknown-release' }],
    ['Wolfi is rolling', os('wolfi', '20230201'), DEC_2026, { state: 'supported', dataAvailable: true }],
    ['CentOS has no OSV ecosystem', os('centos', '7'), DEC_2026, { state: 'unsupported', dataAvailable: false }],
  ];
  it.each(cases)('%s', (_, distro, now, expected) => {
    const result = matchInventory(inventoryOf([], distro), db, { now });
    expect(result.distroStatus).toMatchObject(expected);
  });

  it.each([
    ['end of life', os('debian', '11'), /Debian:11 reached end of life on 2026-08-31/],
    ['no data', os('rocky', '8.9'), /no records for Rocky Linux:8/],
    ['unsupported', os('centos', '7'), /centos 7 is not supported/],
  ] as const)('%s is a note, not silence', (_, distro, note) => {
    const libc = pkg(distro.id === 'debian' ? 'deb' : 'rpm', 'glibc', '1.0-1');
    const result = matchInventory(inventoryOf([libc], distro), db, { now: DEC_2026 });
    expect(result.notes.join('\n')).toMatch(note);
  });

  it('Ubuntu Pro is detected from ESM package versions', () => {
    const esm = pkg('deb', 'libc6', '2.23-0ubuntu11.3+esm9', { sourceName: 'glibc' });
    const result = matchInventory(inventoryOf([esm], os('ubuntu', '16.04')), db, { now: new Date('2026-01-01') });
    expect(result.distroStatus).toMatchObject({ ubuntuPro: true, state: 'supported', endOfLife: '2026-04-23' });
    expect(result.findings.map((f) => f.id)).toEqual(['CVE-2016-20013']);
  });
});

describe('AlmaLinux module streams (ALBA-2019:0973)', () => {
  it.each([
    ['the el8.4.0 build of the fix is clean', '1:0.1.15-2.git2d0b8a3.module_el8.4.0+2496+12421f43', []],
    ['an older el8.5.0 build is affected', '1:0.1.15-1.module_el8.5.0+100+aaaaaaaa', ['ALBA-2019:0973']],
  ])('%s', (_, version, ids) => {
    const hook = pkg('rpm', 'oci-systemd-hook', version, { sourceName: 'oci-systemd-hook' });
    const { findings } = matchInventory(inventoryOf([hook], os('almalinux', '8.4')), db, { now: DEC_2026 });
    expect(findings.map((f) => f.id)).toEqual(ids);
  });
});
