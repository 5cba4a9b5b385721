import { describe, expect, it } from 'vitest';
import { ldflagsVersion, pseudoVersion, toolchainVersion } from './versions.ts';

describe('toolchainVersion', () => {
  // golang.org/x/vuln internal/semver GoTagToSemver cases, without the "v"
  it.each([
    ['go1.21.3', '1.21.3'],
    ['go1.19.8', '1.19.8'],
    ['go1.20', '1.20.0'],
    ['go1.21rc2', '1.21.0-rc.2'],
    ['go1.19beta1', '1.19.0-beta.1'],
    ['go1.22.3 X:boringcrypto', '1.22.3'],
    ['go1.21.6-1', '1.21.6'],
    ['devel go1.22-1b2c3d4e Tue Oct 3 10:00:00 2023 +0000', undefined],
    ['', undefined],
    ['go1.21.3x', undefined],
  ])('%j → %s', (tag, want) => {
    expect(toolchainVersion(tag)).toBe(want);
  });
});

describe('ldflagsVersion', () => {
  // the selection rules of Trivy's ParseLDFlags (pkg/dependency/parser/golang/binary/parse.go)
  const mod = 'github.com/org/app';
  it.each([
    ['-s -w -X main.version=1.2.3', '1.2.3'],
    ["-X='main.version=v1.0.0'", 'v1.0.0'],
    ['-X "main.Version=2.0.0" -X main.commit=abc', '2.0.0'],
    ['-X github.com/org/app/cmd/app/version.ver=1.1.0 -X main.version=9.9.9', '1.1.0'],
    ['-X github.com/org/app/internal/build.Version=3.0.0', '3.0.0'],
    ['-X main.version=1.0.0 -X common.version=2.0.0', undefined], // two in the same group
    ['-X main.version=dev', undefined],
    ['-X main.commit=1.2.3', undefined],
    ['-linkmode external', undefined],
    ['', undefined],
  ])('%s → %s', (ldflags, want) => {
    expect(ldflagsVersion(mod, ldflags)).toBe(want);
  });
});

describe('pseudoVersion', () => {
  const rev = 'daa7c04131f568e31cd5ba4bb5dd4ef2fd23ec57';
  it.each([
    [
      [
        ['vcs.revision', rev],
        ['vcs.time', '2019-11-09T02:19:31Z'],
      ],
      'v0.0.0-20191109021931-daa7c04131f5',
    ],
    [
      [
        ['vcs.revision', rev],
        ['vcs.time', '2019-11-09T02:19:31Z'],
        ['vcs.modified', 'false'],
      ],
      'v0.0.0-20191109021931-daa7c04131f5',
    ],
    [
      [
        ['vcs.revision', rev],
        ['vcs.time', '2019-11-09T02:19:31Z'],
        ['vcs.modified', 'true'],
      ],
      undefined,
    ],
    [[['vcs.revision', rev]], undefined],
    [
      [
        ['vcs.revision', 'not-hex'],
        ['vcs.time', '2019-11-09T02:19:31Z'],
      ],
      undefined,
    ],
    [
      [
        ['vcs.revision', rev],
        ['vcs.time', 'yesterday'],
      ],
      undefined,
    ],
  ] as Array<[Array<[string, string]>, string | undefined]>)('%j → %s', (settings, want) => {
    expect(pseudoVersion(settings)).toBe(want);
  });
});
