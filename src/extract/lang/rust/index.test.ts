import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Package } from '../../../core/types.ts';
import { capturedBy, inputFromFixture } from '../../testing.ts';
import { rustExtractor } from './index.ts';

const testdata = join(dirname(fileURLToPath(import.meta.url)), 'testdata');
const MiB = 1024 * 1024;

/** name, version, root, direct */
const brief = (p: Package) => [p.name, p.version, p.root ?? false, p.direct];
const nameAtVersion = (p: Package) => `${p.name}@${p.version}`;

async function extract(path: string, imagePath = path) {
  const input = await inputFromFixture(testdata, path, { captured: capturedBy(rustExtractor) });
  return rustExtractor.extract({ ...input, path: imagePath });
}

describe('required', () => {
  it.each([
    ['app/Cargo.lock', 2000, 0o100644, true],
    ['Cargo.lock', 2000, 0o100644, true],
    ['root/.cargo/registry/src/index.crates.io-6f17d22bba15001f/ripgrep-14.0.0/Cargo.lock', 2000, 0o100644, false],
    ['app/vendor/foo/Cargo.lock', 2000, 0o100644, false],
    ['app/Cargo.toml', 2000, 0o100644, false], // wanted, not required
    ['usr/local/bin/server', 8 * MiB, 0o100755, true],
    ['usr/local/bin/server', 8 * MiB, 0o100644, false],
  ])('required(%s, %d, %o) = %s', (path, size, mode, want) => {
    expect(rustExtractor.required(path, size, mode)).toBe(want);
  });

  it.each([
    ['app/Cargo.toml', true],
    ['root/.cargo/registry/src/x/serde-1.0.0/Cargo.toml', false],
  ])('wants(%s) = %s', (path, want) => {
    expect(rustExtractor.wants(path)).toBe(want);
  });
});

describe('Cargo.lock', () => {
  it('trivy cargo_normal.lock (v1): the packages of cargoNormalPkgs', async () => {
    const got = await extract('trivy/normal/Cargo.lock');
    expect(got.warnings).toEqual([]);
    expect(got.packages.map(nameAtVersion).sort()).toEqual(
      [
        'normal@0.1.0',
        'libc@0.2.54',
        'typemap@0.3.3',
        'url@1.7.2',
        'unsafe-any@0.4.2',
        'matches@0.1.8',
        'idna@0.1.5',
        'percent-encoding@1.0.1',
      ].sort(),
    );
    // the only source-less package, required by none: the root; its dependencies are direct
    expect(got.packages.filter((p) => p.root).map(nameAtVersion)).toEqual(['normal@0.1.0']);
    expect(got.packages.filter((p) => p.direct).map(nameAtVersion)).toEqual(['libc@0.2.54']);
  });

  it('trivy cargo_v3.lock: the packages of cargoV3Pkgs, two versions of memchr and regex-syntax', async () => {
    const got = await extract('trivy/v3/Cargo.lock');
    expect(got.warnings).toEqual([]);
    expect(got.packages.map(brief)).toEqual([
      ['aho-corasick', '0.7.20', false, false],
      ['app', '0.1.0', true, undefined],
      ['libc', '0.2.140', false, false],
      ['memchr', '1.0.2', false, true],
      ['memchr', '2.5.0', false, false],
      ['regex', '1.7.3', false, true],
      ['regex-syntax', '0.5.6', false, true],
      ['regex-syntax', '0.6.29', false, false],
      ['ucd-util', '0.1.10', false, false],
    ]);
  });

  it('trivy cargo_invalid.lock: a warning, no packages (Trivy: an error)', async () => {
    const got = await extract('trivy/invalid/Cargo.lock', 'app/Cargo.lock');
    expect(got.packages).toEqual([]);
    expect(got.warnings).toEqual([expect.stringMatching(/^Cargo\.lock not valid TOML: /)]);
  });

  it('syft test-fixtures/Cargo.lock: the ten packages and purls of TestParseCargoLock', async () => {
    const got = await extract('syft/Cargo.lock');
    expect(got.warnings).toEqual([]);
    expect(got.packages.map((p) => p.purl)).toEqual([
      'pkg:cargo/ansi_term@0.12.1',
      'pkg:cargo/matches@0.1.8',
      'pkg:cargo/memchr@2.3.3',
      'pkg:cargo/natord@1.0.9',
      'pkg:cargo/nom@4.2.3',
      'pkg:cargo/unicode-bidi@0.3.4',
      'pkg:cargo/version_check@0.1.5',
      'pkg:cargo/winapi@0.3.9',
      'pkg:cargo/winapi-i686-pc-windows-gnu@0.4.0',
      'pkg:cargo/winapi-x86_64-pc-windows-gnu@0.4.0',
    ]);
    // no source-less package: no root, and so nothing to call direct or indirect
    expect(got.packages.every((p) => p.root === undefined && p.direct === undefined)).toBe(true);
    expect(got.packages[0]).toMatchObject({ type: 'cargo', ecosystem: 'crates.io', locations: ['syft/Cargo.lock'] });
  });

  it('v4 workspace: Cargo.toml beside the lockfile names the root; members and git crates are listed', async () => {
    const got = await extract('workspace/srv/Cargo.lock');
    expect(got.warnings).toEqual([]);
    expect(got.packages.map(brief)).toEqual([
      ['bytes', '1.5.0', false, false],
      ['rand', '0.9.0-alpha.1', false, true],
      ['server', '0.3.0', true, undefined],
      ['server-core', '0.3.0', false, true],
      ['tokio', '1.35.1', false, true],
    ]);
  });

  it('virtual workspace: several members, no root, no direct flags', async () => {
    const got = await extract('virtual/Cargo.lock');
    expect(got.packages.map(brief)).toEqual([
      ['a', '0.1.0', false, undefined],
      ['b', '0.1.0', false, undefined],
      ['itoa', '1.0.9', false, undefined],
    ]);
  });
});

describe('cargo-auditable binaries', () => {
  const objcopy = spawnSync('objcopy', ['--version']).status === 0;
  it.skipIf(!objcopy)(
    'hello-auditable holds zlib(dep-v0.json) in .dep-v0, as binutils reads it (skips without objcopy)',
    async () => {
      const scratch = await mkdtemp(join(tmpdir(), 'vigil-rust-'));
      try {
        const dumped = join(scratch, 'dep-v0.zlib');
        execFileSync('objcopy', [
          '--dump-section',
          `.dep-v0=${dumped}`,
          join(testdata, 'auditable/hello-auditable'),
          join(scratch, 'copy'),
        ]);
        expect(inflateSync(await readFile(dumped))).toEqual(await readFile(join(testdata, 'auditable/dep-v0.json')));
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
    },
  );

  it('hello-auditable: runtime crates, the root and its direct dependency; build-time crates left out', async () => {
    const got = await extract('auditable/hello-auditable', 'usr/local/bin/uses_json');
    expect(got.warnings).toEqual([]);
    expect(got.packages.map(brief)).toEqual([
      ['itoa', '1.0.14', false, false],
      ['memchr', '2.7.4', false, false],
      ['ryu', '1.0.18', false, false],
      ['serde', '1.0.217', false, false],
      ['serde_json', '1.0.135', false, true],
      ['uses_json', '0.1.0', true, undefined],
    ]);
    expect(got.packages[0]).toMatchObject({
      type: 'cargo',
      ecosystem: 'crates.io',
      purl: 'pkg:cargo/itoa@1.0.14',
      locations: ['usr/local/bin/uses_json'],
    });
  });

  it.each([['trivy/normal/Cargo.lock'], ['workspace/srv/Cargo.toml']])(
    '%s as an executable: nothing, quietly',
    async (path) => {
      const input = await inputFromFixture(testdata, path);
      expect(await rustExtractor.extract({ ...input, path: 'usr/bin/tool' })).toEqual({ packages: [], warnings: [] });
    },
  );

  it('a binary that vanished is a warning naming it', async () => {
    const input = await inputFromFixture(testdata, 'auditable/hello-auditable');
    const got = await rustExtractor.extract({
      ...input,
      path: 'usr/bin/gone',
      localPath: async () => join(testdata, 'missing'),
    });
    expect(got.warnings).toEqual([expect.stringMatching(/^cannot read usr\/bin\/gone: ENOENT/)]);
  });
});
