import { describe, expect, it } from 'vitest';
import type { Distro } from '../../../core/types.ts';
import type { Extractor } from '../../types.ts';
import { purlNamespace, rpmExtractor, toPackage } from './index.ts';
import { type InstalledPackage, parseSourceRpm } from './installed-package.ts';

describe('rpmExtractor', () => {
  it('is an Extractor named after its folder', () => {
    const extractor: Extractor = rpmExtractor;
    expect([extractor.name, extractor.version]).toEqual(['os/rpm', 1]);
  });

  it.each([
    ['var/lib/rpm/Packages', true],
    ['var/lib/rpm/Packages.db', true],
    ['var/lib/rpm/rpmdb.sqlite', true],
    ['usr/lib/sysimage/rpm/Packages', true],
    ['usr/lib/sysimage/rpm/Packages.db', true],
    ['usr/lib/sysimage/rpm/rpmdb.sqlite', true],
    ['/var/lib/rpm/Packages', true],
    ['./usr/lib/sysimage/rpm/rpmdb.sqlite', true],
    ['var/lib/rpm/rpmdb.sqlite-wal', false],
    ['var/lib/rpm/Name', false],
    ['var/lib/rpm/__db.001', false],
    ['usr/share/rpm/Packages', false],
    ['opt/app/var/lib/rpm/Packages', false],
    ['var/lib/rpmmanifest/container-manifest-2', false],
  ])('required(%s) is %s', (path, expected) => {
    expect(rpmExtractor.required(path)).toBe(expected);
  });
});

describe('rpmExtractor.wants', () => {
  it.each([
    ['var/lib/rpm/rpmdb.sqlite-wal', true],
    ['usr/lib/sysimage/rpm/rpmdb.sqlite-wal', true],
    ['var/lib/rpm/rpmdb.sqlite-shm', false],
    ['var/lib/rpm/Packages-wal', false],
    ['tmp/rpmdb.sqlite-wal', false],
  ])('wants(%s) is %s', (path, expected) => {
    expect(rpmExtractor.wants(path)).toBe(expected);
  });
});

describe('parseSourceRpm', () => {
  it.each([
    ['openssl-3.0.7-24.el9.src.rpm', { name: 'openssl', version: '3.0.7-24.el9' }],
    ['gcc11-11.2.1+git610-1.3.9.src.rpm', { name: 'gcc11', version: '11.2.1+git610-1.3.9' }],
    ['python-dateutil-2.6.1-6.el8.src.rpm', { name: 'python-dateutil', version: '2.6.1-6.el8' }],
    ['kernel-4.18.0-193.28.1.el8_2.nosrc.rpm', { name: 'kernel', version: '4.18.0-193.28.1.el8_2' }],
    ['openssl-3.0.7.src.rpm', undefined],
    ['openssl-3.0.7-24.el9.x86_64.rpm', undefined],
    ['', undefined],
  ])('%s', (sourceRpm, expected) => {
    expect(parseSourceRpm(sourceRpm)).toEqual(expected);
  });
});

describe('purlNamespace', () => {
  it.each([
    [undefined, 'redhat'],
    [{ id: 'rhel', source: 'etc/os-release' }, 'redhat'],
    [{ id: 'centos', source: 'etc/os-release' }, 'centos'],
    [{ id: 'fedora', source: 'etc/os-release' }, 'fedora'],
    [{ id: 'opensuse-leap', source: 'etc/os-release' }, 'opensuse-leap'],
  ] satisfies [Distro | undefined, string][])('%o -> %s', (distro, expected) => {
    expect(purlNamespace(distro)).toBe(expected);
  });
});

describe('toPackage', () => {
  const installed: InstalledPackage = {
    name: 'openssl-libs',
    epoch: 1,
    version: '3.0.7',
    release: '24.el9',
    arch: 'x86_64',
    sourceRpm: 'openssl-3.0.7-24.el9.src.rpm',
    license: 'ASL 2.0',
    vendor: 'Red Hat, Inc.',
    files: ['usr/lib64/libssl.so.3'],
  };
  const rhel93: Distro = { id: 'rhel', versionId: '9.3', source: 'etc/os-release' };

  it('writes [epoch:]version-release and the purl with epoch and distro qualifiers', () => {
    expect(toPackage(installed, 'var/lib/rpm/rpmdb.sqlite', rhel93)).toEqual({
      type: 'rpm',
      name: 'openssl-libs',
      version: '1:3.0.7-24.el9',
      epoch: 1,
      release: '24.el9',
      arch: 'x86_64',
      sourceName: 'openssl',
      sourceVersion: '3.0.7-24.el9',
      licenses: ['ASL 2.0'],
      maintainer: 'Red Hat, Inc.',
      modularityLabel: undefined,
      files: ['usr/lib64/libssl.so.3'],
      purl: 'pkg:rpm/redhat/openssl-libs@3.0.7-24.el9?arch=x86_64&distro=rhel-9.3&epoch=1',
      locations: ['var/lib/rpm/rpmdb.sqlite'],
    });
  });

  it.each([
    [undefined, '3.0.7-24.el9', 'pkg:rpm/redhat/openssl-libs@3.0.7-24.el9?arch=x86_64'],
    [0, '0:3.0.7-24.el9', 'pkg:rpm/redhat/openssl-libs@3.0.7-24.el9?arch=x86_64&epoch=0'],
  ])('epoch %s gives version %s', (epoch, version, purl) => {
    const pkg = toPackage({ ...installed, epoch }, 'var/lib/rpm/Packages', undefined);
    expect([pkg.version, pkg.epoch, pkg.purl]).toEqual([version, epoch, purl]);
  });
});
