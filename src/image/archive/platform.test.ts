import { describe, expect, it } from 'vitest';
import { isVigilError } from '../../core/errors.ts';
import type { Platform } from '../../core/types.ts';
import { hostPlatform, platformMatches, selectPlatform } from './platform.ts';

describe('platformMatches', () => {
  it.each([
    [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'amd64' }, true],
    [{ os: 'linux', architecture: 'arm64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }, true],
    [
      { os: 'linux', architecture: 'arm64', variant: 'v9' },
      { os: 'linux', architecture: 'arm64', variant: 'v8' },
      false,
    ],
    [{ os: 'linux', architecture: 'arm', variant: 'v6' }, { os: 'linux', architecture: 'arm' }, true],
    [{ os: 'windows', architecture: 'amd64' }, { os: 'linux', architecture: 'amd64' }, false],
  ] as Array<[Platform, Platform, boolean]>)('%j against %j: %s', (candidate, wanted, expected) => {
    expect(platformMatches(candidate, wanted)).toBe(expected);
  });
});

describe('selectPlatform', () => {
  const candidates = [
    { platform: { os: 'unknown', architecture: 'unknown' }, item: 'attestation' },
    { platform: { os: 'linux', architecture: 'arm', variant: 'v6' }, item: 'armv6' },
    { platform: { os: 'linux', architecture: 'arm', variant: 'v7' }, item: 'armv7' },
    { platform: { os: 'linux', architecture: 'amd64' }, item: 'amd64' },
  ];
  it.each([
    [{ os: 'linux', architecture: 'amd64' }, 'amd64'],
    [{ os: 'linux', architecture: 'arm' }, 'armv7'],
    [{ os: 'linux', architecture: 'arm', variant: 'v6' }, 'armv6'],
  ] as Array<[Platform, string]>)('%j -> %s', (wanted, expected) => {
    expect(selectPlatform(candidates, wanted, 'index')).toBe(expected);
  });

  it('lists what is available, without attestations', () => {
    try {
      selectPlatform(candidates, { os: 'linux', architecture: 'riscv64' }, 'index');
      expect.unreachable();
    } catch (err) {
      expect(isVigilError(err, 'VIGIL_PLATFORM_NOT_FOUND')).toBe(true);
      expect((err as Error).message).toBe(
        'index has no manifest for linux/riscv64; available: linux/arm/v6, linux/arm/v7, linux/amd64',
      );
    }
  });
});

describe('hostPlatform', () => {
  it.each([
    ['linux', 'x64', { os: 'linux', architecture: 'amd64' }],
    ['linux', 'arm64', { os: 'linux', architecture: 'arm64' }],
    ['linux', 'ia32', { os: 'linux', architecture: '386' }],
    ['linux', 'ppc64', { os: 'linux', architecture: 'ppc64le' }],
    ['linux', 's390x', { os: 'linux', architecture: 's390x' }],
    ['win32', 'x64', { os: 'windows', architecture: 'amd64' }],
    ['darwin', 'arm64', { os: 'darwin', architecture: 'arm64' }],
  ])('%s/%s -> %j', (platform, arch, expected) => {
    expect(hostPlatform(platform, arch)).toEqual(expected);
  });
});
