import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Package } from '../../../core/types.ts';
import { inputFromFixture } from '../../testing.ts';
import { npmExtractor } from './index.ts';
import { scanTree } from './test-support.ts';

const testdata = join(dirname(fileURLToPath(import.meta.url)), 'testdata');

/** name@version [flags] location */
const brief = (p: Package): string =>
  [
    `${p.name}@${p.version}`,
    p.root ? 'root' : '',
    p.direct === undefined ? '' : p.direct ? 'direct' : 'indirect',
    p.dev === undefined ? '' : p.dev ? 'dev' : 'prod',
    p.locations.join(','),
  ]
    .filter((part) => part !== '')
    .join(' ');

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'vigil-npm-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** Extracts `imagePath`, the file at `fixture` inside `root` standing in for it. */
async function extractAs(root: string, fixture: string, imagePath: string) {
  const input = await inputFromFixture(root, fixture);
  return npmExtractor.extract({ ...input, path: imagePath });
}

describe('an image tree', () => {
  it('installed packages, roots, and lockfiles only where nothing is installed', async () => {
    const got = await scanTree(npmExtractor, join(testdata, 'tree'));
    expect(got.packages.map(brief).sort()).toEqual([
      // direct and dev from app/package.json for what sits right under app/node_modules
      '@acme/util@1.0.0 direct prod app/node_modules/@acme/util/package.json',
      // a workspace of monorepo/, which itself sits beside an installed tree
      '@mono/lint-rules@0.0.1 root monorepo/tools/lint/rules/package.json',
      '@mono/web@0.2.0 root monorepo/packages/web/package.json',
      '@npmcli/arborist@7.2.1 usr/local/lib/node_modules/npm/node_modules/@npmcli/arborist/package.json',
      // dev from npm's hidden lockfile (node_modules/.package-lock.json), transitive packages too
      'debug@2.6.9 indirect prod app/node_modules/express/node_modules/debug/package.json',
      'debug@4.3.4 indirect dev app/node_modules/debug/package.json',
      'express@4.18.2 direct prod app/node_modules/express/package.json',
      'jest@29.7.0 direct dev app/node_modules/jest/package.json',
      // a workspace may declare it: no claim either way
      'left-pad@1.3.0 monorepo/node_modules/left-pad/package.json',
      'lock-only@1.0.0 root lockonly/package.json',
      // pnpm: the store copy, reached once whatever symlinks lead to it
      'lodash@4.17.21 pnpm-app/node_modules/.pnpm/lodash@4.17.21/node_modules/lodash/package.json',
      'mono@1.0.0 root monorepo/package.json',
      'ms@2.1.3 direct prod lockonly/yarn.lock',
      'npm@10.2.4 usr/local/lib/node_modules/npm/package.json',
      'pnpm-app@0.1.0 root pnpm-app/package.json',
      'semver@7.5.4 usr/local/lib/node_modules/npm/node_modules/semver/package.json',
      'shop-api@2.3.0 root app/package.json',
      // an alias install (string-width-cjs@npm:string-width) is the package it names
      'string-width@4.2.3 indirect prod app/node_modules/string-width-cjs/package.json',
      'tap-parser@15.3.1 indirect dev lockonly/yarn.lock',
      'tap@18.6.1 direct dev lockonly/yarn.lock',
    ]);
    expect(got.warnings).toEqual([
      'app/node_modules/broken/package.json: app/node_modules/broken/package.json: invalid JSON: Unexpected end of JSON input',
      'app/node_modules/nameless/package.json: app/node_modules/nameless/package.json: no valid "name" and "version", not a package',
    ]);
  });

  it('every npm package carries its ecosystem, purl and licenses', async () => {
    const got = await scanTree(npmExtractor, join(testdata, 'tree'));
    const byName = new Map(got.packages.map((p) => [p.name, p]));
    expect(byName.get('@acme/util')).toMatchObject({
      type: 'npm',
      ecosystem: 'npm',
      purl: 'pkg:npm/%40acme/util@1.0.0',
      licenses: ['Apache-2.0', 'MIT'],
    });
    expect(byName.get('jest')!.licenses).toEqual(['MIT']);
    expect(byName.get('shop-api')!.licenses).toEqual(['UNLICENSED']);
    expect(byName.get('lock-only')!.licenses).toBeUndefined();
  });
});

describe('installed package.json', () => {
  // cases from aquasecurity/trivy pkg/dependency/parser/nodejs/packagejson/parse_test.go
  const root = join(testdata, 'trivy/packagejson');
  it.each([
    ['package.json', 'bootstrap@5.0.2', ['MIT']],
    ['legacy_package.json', 'angular@4.1.2', ['ISC']],
    ['legacy_array_package.json', 'tv4@1.3.0', ['Public Domain', 'MIT']],
    ['mixed_array_license_package.json', 'mixed-array-license@1.0.0', ['MIT']],
    ['unknown_license_object_package.json', 'unknown-license-object@1.0.0', undefined],
    ['invalid_license_package.json', 'weird-license@1.0.0', undefined],
    ['null_license_package.json', 'null-license@1.0.0', undefined],
    ['empty_array_license_package.json', 'empty-array-license@1.0.0', undefined],
    ['workspace_as_map_package.json', 'example@1.0.0', undefined],
  ])('%s → %s %j', async (file, want, licenses) => {
    const got = await extractAs(root, file, 'node_modules/x/package.json');
    expect(got.packages.map((p) => `${p.name}@${p.version}`)).toEqual([want]);
    expect(got.packages[0]!.licenses).toEqual(licenses);
    expect(got.warnings).toEqual([]);
  });

  it.each([
    ['invalid_package.json', /invalid JSON/],
    ['without_name_and_version_package.json', /no valid "name" and "version"/],
    ['without_version_package.json', /no valid "name" and "version"/],
    ['invalid_name.json', /no valid "name" and "version"/],
  ])('%s is a warning naming the file', async (file, message) => {
    const got = await extractAs(root, file, 'node_modules/x/package.json');
    expect(got.packages).toEqual([]);
    expect(got.warnings).toEqual([expect.stringMatching(message)]);
    expect(got.warnings[0]).toContain('node_modules/x/package.json');
  });

  // fixtures from anchore/syft syft/pkg/cataloger/javascript/testdata/pkg-json (parse_package_json_test.go)
  it.each([
    ['package.json', 'npm@6.14.6', ['Artistic-2.0']],
    ['package-license-object.json', 'npm@6.14.6', ['ISC']],
    ['package-license-objects.json', 'npm@6.14.6', ['MIT', 'Apache-2.0']],
    ['package-malformed-license.json', 'npm@6.14.6', ['MIT']],
    ['package-no-license.json', 'npm@6.14.6', undefined],
    ['package-private.json', 'npm@6.14.6', ['Artistic-2.0']],
  ])('syft %s → %s %j', async (file, want, licenses) => {
    const got = await extractAs(join(testdata, 'syft/pkg-json'), file, 'node_modules/npm/package.json');
    expect(got.packages.map((p) => `${p.name}@${p.version}`)).toEqual([want]);
    expect(got.packages[0]!.licenses).toEqual(licenses);
  });

  it('syft package-partial.json has no version: a warning', async () => {
    const got = await extractAs(
      join(testdata, 'syft/pkg-json'),
      'package-partial.json',
      'node_modules/npm/package.json',
    );
    expect(got.packages).toEqual([]);
    expect(got.warnings).toHaveLength(1);
  });
});

describe('root package.json', () => {
  it.each([
    ['beside a lockfile', { 'package-lock.json': '{"lockfileVersion":3,"packages":{}}' }, ['app@1.0.0 root']],
    [
      'beside an installed dependency',
      { 'node_modules/ms/package.json': '{"name":"ms","version":"2.1.3"}' },
      ['app@1.0.0 root', 'ms@2.1.3'],
    ],
    ['alone', {}, []],
  ])('%s', async (_, companions, want) => {
    const root = await mkdtemp(join(scratch, 'root-'));
    const files: Record<string, string> = {
      'srv/package.json': '{"name":"app","version":"1.0.0","dependencies":{"ms":"^2"}}',
      ...Object.fromEntries(Object.entries(companions).map(([path, text]) => [`srv/${path}`, text])),
    };
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), text);
    }
    const got = await scanTree(npmExtractor, root);
    expect(got.packages.map((p) => `${p.name}@${p.version}${p.root ? ' root' : ''}`).sort()).toEqual(want);
  });

  it('a lockfile-only workspace: each member reported once, from its own package.json', async () => {
    const root = await mkdtemp(join(scratch, 'ws-'));
    const lock = {
      lockfileVersion: 3,
      packages: {
        '': { name: 'app', version: '1.0.0', workspaces: ['packages/*'] },
        'packages/a': { name: 'a', version: '0.1.0', dependencies: { ms: '^2' } },
        'packages/b': { name: 'b', version: '0.2.0' },
        'node_modules/a': { resolved: 'packages/a', link: true },
        'node_modules/b': { resolved: 'packages/b', link: true },
        'node_modules/ms': { version: '2.1.3' },
      },
    };
    const files: Record<string, string> = {
      'package.json': '{"name":"app","version":"1.0.0","workspaces":["packages/*"]}',
      'package-lock.json': JSON.stringify(lock),
      'packages/a/package.json': '{"name":"a","version":"0.1.0","dependencies":{"ms":"^2"}}',
      // b's folder was not copied into the image: the lockfile is all there is
    };
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), text);
    }
    const got = await scanTree(npmExtractor, root);
    expect(got.packages.map(brief).sort()).toEqual([
      'a@0.1.0 root packages/a/package.json',
      'app@1.0.0 root package.json',
      'b@0.2.0 direct prod package-lock.json',
      'ms@2.1.3 direct prod package-lock.json',
    ]);
  });

  it('an unnamed private application is not a package and not a warning', async () => {
    const root = await mkdtemp(join(scratch, 'private-'));
    await writeFile(join(root, 'package.json'), '{"private":true,"dependencies":{}}');
    await writeFile(join(root, 'yarn.lock'), '# yarn lockfile v1\n');
    expect(await scanTree(npmExtractor, root)).toEqual({ packages: [], warnings: [] });
  });
});

describe('node binary', () => {
  async function binary(parts: Array<string | Buffer | number>): Promise<string> {
    const root = await mkdtemp(join(scratch, 'node-'));
    await mkdir(join(root, 'usr/local/bin'), { recursive: true });
    const buffers = parts.map((part) =>
      typeof part === 'number'
        ? Buffer.alloc(part, 0x41)
        : typeof part === 'string'
          ? Buffer.from(part, 'latin1')
          : part,
    );
    await writeFile(join(root, 'usr/local/bin/node'), Buffer.concat(buffers), { mode: 0o755 });
    return root;
  }
  const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
  const MiB = 1 << 20;

  it.each([
    ['process.release marker', [ELF, 5000, 'https://nodejs.org/download/release/v20.1.0/node.js/v20.1.0\0'], '20.1.0'],
    ['marker across a chunk boundary', [ELF, MiB - 8 - 5, 'node.js/v22.9.0\0'], '22.9.0'],
    ['marker well past the first chunk', [ELF, 3 * MiB + 17, 'node.js/v18.19.1'], '18.19.1'],
    ['legacy Node 0.x–6 string', [ELF, 100, '\0node v0.10.48\0', 100], '0.10.48'],
    ['legacy bare version', [ELF, 100, '\0v4.9.1\0'], '4.9.1'],
    ['release marker wins over a legacy string', [ELF, '\0v6.1.0\0', 200, 'node.js/v6.17.1'], '6.17.1'],
  ])('%s', async (_, parts, version) => {
    const root = await binary(parts);
    const input = await inputFromFixture(root, 'usr/local/bin/node');
    expect(npmExtractor.required(input.path, input.size, input.mode)).toBe(true);
    const got = await npmExtractor.extract(input);
    expect(got).toEqual({
      packages: [
        {
          type: 'generic',
          name: 'node',
          version,
          purl: `pkg:generic/node@${version}`,
          locations: ['usr/local/bin/node'],
        },
      ],
      warnings: [],
    });
  });

  it.each([
    [
      'an ELF without a version (truncated)',
      [ELF, 4096],
      ['usr/local/bin/node: no Node.js version found in the binary'],
    ],
    ['a shell script named node', ['#!/bin/sh\nexec /opt/node/bin/node "$@"\n'], []],
    ['an empty file', [], []],
    [
      "a version out of syft's legacy range is not guessed",
      [ELF, '\0v12.1.0\0'],
      ['usr/local/bin/node: no Node.js version found in the binary'],
    ],
  ])('%s', async (_, parts, warnings) => {
    const got = await npmExtractor.extract(await inputFromFixture(await binary(parts), 'usr/local/bin/node'));
    expect(got).toEqual({ packages: [], warnings });
  });

  it('the Node.js running this test', async () => {
    const root = await binary(['placeholder']);
    const input = await inputFromFixture(root, 'usr/local/bin/node');
    const st = await stat(process.execPath);
    const got = await npmExtractor.extract({
      ...input,
      size: st.size,
      mode: st.mode,
      localPath: async () => process.execPath,
      read: () => Promise.reject(new Error('a binary is scanned, never read whole')),
    });
    expect(got.packages.map((p) => p.purl)).toEqual([`pkg:generic/node@${process.versions.node}`]);
  });
});
