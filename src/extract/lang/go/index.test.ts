import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Package } from '../../../core/types.ts';
import { capturedBy, inputFromFixture } from '../../testing.ts';
import { fixtures } from './fixture-builder.ts';
import { goExtractor } from './index.ts';

const testdata = join(dirname(fileURLToPath(import.meta.url)), 'testdata');
const MiB = 1024 * 1024;

/** name, version, root, direct */
const brief = (p: Package) => [p.name, p.version, p.root ?? false, p.direct];

async function extract(root: string, path: string, imagePath = path) {
  const input = await inputFromFixture(root, path, { captured: capturedBy(goExtractor) });
  return goExtractor.extract({ ...input, path: imagePath });
}

describe('required', () => {
  it.each([
    ['usr/local/bin/app', 8 * MiB, 0o100755, true],
    ['usr/local/bin/app', 8 * MiB, 0o100644, false],
    ['usr/bin/run.sh', 8 * MiB, 0o100755, false],
    ['src/app/go.mod', 300, 0o100644, true],
    ['go.mod', 300, 0o100644, true],
    ['root/go/pkg/mod/github.com/a/b@v1.0.0/go.mod', 300, 0o100644, false],
    ['src/app/vendor/github.com/a/b/go.mod', 300, 0o100644, false],
    ['src/app/go.sum', 300, 0o100644, false], // captured through wants, read alongside go.mod
    ['src/app/notgo.mod', 300, 0o100644, false],
  ])('required(%s, %d, %o) = %s', (path, size, mode, want) => {
    expect(goExtractor.required(path, size, mode)).toBe(want);
  });

  it('wants go.sum next to a go.mod', () => {
    expect(goExtractor.wants('src/app/go.sum')).toBe(true);
    expect(goExtractor.wants('src/app/vendor/x/go.sum')).toBe(false);
  });
});

describe('binaries', () => {
  it('committed fixtures are what fixture-builder.ts writes', async () => {
    const built = fixtures();
    const committed = await readdir(join(testdata, 'bin'));
    expect(committed.sort()).toEqual(Object.keys(built).sort());
    for (const [name, bytes] of Object.entries(built))
      expect(await readFile(join(testdata, 'bin', name))).toEqual(bytes);
  });

  it('go-inline-elf64le is big enough, and executable enough, for `required`', async () => {
    const { size, mode } = await stat(join(testdata, 'bin/go-inline-elf64le'));
    expect(goExtractor.required('usr/local/bin/app', size, mode)).toBe(true);
  });

  it('go-inline-elf64le: stdlib, main module, deps with replacements applied', async () => {
    const got = await extract(testdata, 'bin/go-inline-elf64le', 'usr/local/bin/app');
    expect(got.warnings).toEqual([]);
    expect(got.packages.map(brief)).toEqual([
      ['stdlib', '1.21.3', false, undefined],
      ['example.com/app', 'v1.2.3', true, undefined],
      ['github.com/google/uuid', 'v1.3.0', false, undefined],
      // replaced by another module: the replacement's path and version (Syft, osv-scalibr)
      ['github.com/example/net-fork', 'v0.17.1-fork', false, undefined],
      // replaced by a directory: not the published code
      ['example.com/local', '(devel)', false, undefined],
    ]);
    expect(got.packages.map((p) => p.purl)).toEqual([
      'pkg:golang/stdlib@1.21.3',
      'pkg:golang/example.com/app@v1.2.3',
      'pkg:golang/github.com/google/uuid@v1.3.0',
      'pkg:golang/github.com/example/net-fork@v0.17.1-fork',
      'pkg:golang/example.com/local@(devel)',
    ]);
    for (const p of got.packages) {
      expect(p).toMatchObject({ type: 'golang', ecosystem: 'Go', locations: ['usr/local/bin/app'] });
    }
  });

  it('go-pointer-elf32be: pre-1.18 layout, a (devel) main module', async () => {
    const got = await extract(testdata, 'bin/go-pointer-elf32be');
    expect(got).toMatchObject({ warnings: [] });
    expect(got.packages.map(brief)).toEqual([
      ['stdlib', '1.16.15', false, undefined],
      ['example.com/old', '(devel)', true, undefined],
      ['github.com/pkg/errors', 'v0.9.1', false, undefined],
    ]);
  });

  it.each([
    ['go-truncated-modinfo', 'Go build info unreadable: build info string runs past its section'],
    [
      'go-truncated-before-buildinfo',
      'Go build info unreadable: Go binary without readable build info (section headers lies beyond the end of the file)',
    ],
  ])('%s: a warning, no packages', async (name, warning) => {
    expect(await extract(testdata, `bin/${name}`)).toEqual({ packages: [], warnings: [warning] });
  });

  it.each([['bin/not-go-elf64le'], ['modern/app/go.sum']])('%s is not a Go binary: nothing, quietly', async (path) => {
    const input = await inputFromFixture(testdata, path);
    expect(await goExtractor.extract({ ...input, path: 'usr/bin/tool' })).toEqual({ packages: [], warnings: [] });
  });

  it('a file that vanished is a warning naming it', async () => {
    const input = await inputFromFixture(testdata, 'bin/not-go-elf64le');
    const got = await goExtractor.extract({
      ...input,
      path: 'usr/bin/gone',
      localPath: async () => join(testdata, 'missing'),
    });
    expect(got.packages).toEqual([]);
    expect(got.warnings).toEqual([expect.stringMatching(/^cannot read usr\/bin\/gone: ENOENT/)]);
  });
});

// Debian's Go packages, installed here and on CI. Debian builds in GOPATH mode with -trimpath, so
// `go version -m` shows only "path" and "build" lines: the toolchain, no "mod"/"dep" lines and no
// -ldflags. The Debian version is stamped into the binary (-X) but not recorded in the build info.
describe.each([
  ['/usr/bin/docker-registry', 'docker-registry', 'github.com/docker/distribution/cmd/registry'],
  ['/usr/bin/skopeo', 'skopeo', 'github.com/containers/skopeo/cmd/skopeo'],
])('%s (Debian package %s)', (path, debianPackage, mainPackage) => {
  const present = existsSync(path);
  it.skipIf(!present)(`reports the Go toolchain it was built with (skips where ${path} is not installed)`, async () => {
    const got = await goExtractor.extract({
      ...(await inputFromFixture(dirname(path), path.slice(path.lastIndexOf('/') + 1))),
      path: path.slice(1),
    });
    // the toolchain string as `strings` finds it in the binary (runtime.buildVersion)
    const strings = execFileSync('strings', ['-n', '8', path], { maxBuffer: 256 * MiB }).toString();
    const goVersion = /^go1\.\d+(?:\.\d+)?$/m.exec(strings)?.[0];
    expect(goVersion).toBeDefined();
    expect(got).toEqual({
      packages: [
        {
          type: 'golang',
          ecosystem: 'Go',
          name: 'stdlib',
          version: goVersion!.slice(2),
          purl: `pkg:golang/stdlib@${goVersion!.slice(2)}`,
          locations: [path.slice(1)],
        },
      ],
      warnings: [],
    });
    expect(strings).toContain(`path\t${mainPackage}`);
    // the Debian version ("dpkg-query -W" prints "name<TAB>version") is not in the build info, and
    // no package may claim it
    const [, debianVersion] = execFileSync('dpkg-query', ['-W', debianPackage]).toString().trim().split('\t');
    expect(debianVersion).toMatch(/^\d/);
    expect(got.packages.map((p) => p.version)).not.toContain(debianVersion);
  });
});

describe('go.mod', () => {
  it('modern module: requires as built, direct unless // indirect, go.sum not needed', async () => {
    const got = await extract(testdata, 'modern/app/go.mod');
    expect(got.warnings).toEqual([]);
    expect(got.packages.map(brief)).toEqual([
      ['github.com/google/uuid', 'v1.3.0', false, true],
      ['github.com/example/net-fork', 'v0.17.1-fork', false, true],
      ['example.com/local', '(devel)', false, true],
      ['golang.org/x/sys', 'v0.13.0', false, false],
      ['golang.org/x/text', 'v0.13.0', false, false], // the replace names v0.12.0 only
      ['github.com/quoted/mod', 'v1.0.0', false, true],
    ]);
    expect(got.packages[0]).toMatchObject({
      purl: 'pkg:golang/github.com/google/uuid@v1.3.0',
      locations: ['modern/app/go.mod'],
    });
  });

  it('go 1.16 module: go.sum modules missing from go.mod join as indirect', async () => {
    const got = await extract(testdata, 'legacy/app/go.mod');
    expect(got.warnings).toEqual([]);
    expect(got.packages.map(brief)).toEqual([
      ['github.com/pkg/errors', 'v0.9.1', false, true],
      ['golang.org/x/sys', 'v0.10.0', false, false],
    ]);
    expect(got.packages[1]!.locations).toEqual(['legacy/app/go.mod', 'legacy/app/go.sum']);
  });

  it('a go.mod that is not one: nothing, quietly (lines of no known directive are passed over)', async () => {
    const input = await inputFromFixture(testdata, 'modern/app/go.sum');
    const got = await goExtractor.extract({ ...input, path: 'src/go.mod' });
    expect(got).toEqual({ packages: [], warnings: [] });
    const binary = await inputFromFixture(testdata, 'bin/not-go-elf64le');
    expect((await goExtractor.extract({ ...binary, path: 'src/go.mod' })).packages).toEqual([]);
  });
});
