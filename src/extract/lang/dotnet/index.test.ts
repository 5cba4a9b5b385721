import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Package } from '../../../core/types.ts';
import { inputFromFixture } from '../../testing.ts';
import { dotnetExtractor } from './index.ts';

const testdata = join(dirname(fileURLToPath(import.meta.url)), 'testdata');
const extractFixture = async (file: string) => dotnetExtractor.extract(await inputFromFixture(testdata, file));

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'vigil-dotnet-test-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function extractText(imagePath: string, content: string | Buffer) {
  const root = await mkdtemp(join(scratch, 'root-'));
  await mkdir(dirname(join(root, imagePath)), { recursive: true });
  await writeFile(join(root, imagePath), content);
  return dotnetExtractor.extract(await inputFromFixture(root, imagePath));
}

/** name, version, root, direct */
const brief = (p: Package) => [p.name, p.version, p.root, p.direct];
const byName = (rows: unknown[][]) => [...rows].sort((a, b) => String(a[0]).localeCompare(String(b[0])));

describe('required', () => {
  it.each([
    ['app/ExampleApp1.deps.json', true],
    ['usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.0/Microsoft.NETCore.App.deps.json', true],
    ['src/packages.lock.json', true],
    ['app/deps.json', false],
    ['app/ExampleApp1.runtimeconfig.json', false],
    ['app/ExampleApp1.deps.json.bak', false],
    ['app/my-packages.lock.json', false],
  ])('required(%s) = %s', (path, want) => {
    expect(dotnetExtractor.required(path)).toBe(want);
  });
});

describe('.deps.json', () => {
  // expectations from aquasecurity/trivy pkg/dependency/parser/dotnet/core_deps/parse_test.go:
  // RelationshipRoot and RelationshipWorkspace are root here (the application's own projects),
  // Direct/Indirect are direct true/false
  it.each([
    [
      'trivy/app/ExampleApp1.deps.json',
      [
        ['ExampleApp1', '1.0.0', true, undefined],
        ['Newtonsoft.Json', '13.0.1', undefined, true],
      ],
    ],
    [
      // Microsoft.NETCore.App and .Platforms have no runtime assets in the target: skipped
      'trivy/without-runtime/hello2.deps.json',
      [
        ['hello2', '1.0.0', true, undefined],
        ['JsonDiffPatch', '2.0.61', undefined, true],
        ['Libuv', '1.9.1', undefined, false],
        ['System.Collections.Immutable', '1.3.0', undefined, false],
      ],
    ],
    [
      // TestParseMultiProject: Web is the root, Api and Data are workspace projects
      'trivy/multi-project/Web.deps.json',
      [
        ['Api', '1.0.0', true, undefined],
        ['Data', '1.0.0', true, undefined],
        ['Newtonsoft.Json', '13.0.3', undefined, true],
        ['Web', '1.0.0', true, undefined],
      ],
    ],
  ])('%s', async (file, want) => {
    const got = await extractFixture(file);
    expect(got.warnings).toEqual([]);
    expect(byName(got.packages.map(brief))).toEqual(want);
    for (const p of got.packages) {
      expect(p).toMatchObject({
        type: 'nuget',
        ecosystem: 'NuGet',
        purl: `pkg:nuget/${p.name}@${p.version}`,
        locations: [file],
      });
    }
  });

  const deps = (runtimeTarget: string, targets: Record<string, unknown>, libraries: Record<string, unknown>) =>
    JSON.stringify({ runtimeTarget: { name: runtimeTarget }, targets, libraries });

  it.each([
    [
      // as Trivy's "self-contained with bundled runtime": the runtimepack. prefix is dropped so the
      // runtime matches advisories for Microsoft.NETCore.App.Runtime.<rid>
      'self-contained app: the bundled runtime pack',
      deps(
        '.NETCoreApp,Version=v8.0/linux-x64',
        {
          '.NETCoreApp,Version=v8.0/linux-x64': {
            'App/1.0.0': {
              dependencies: {
                'runtimepack.Microsoft.NETCore.App.Runtime.linux-x64': '8.0.0',
                'Newtonsoft.Json': '13.0.1',
              },
              runtime: { 'App.dll': {} },
            },
            'runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/8.0.0': { runtime: { 'System.Linq.dll': {} } },
            'Newtonsoft.Json/13.0.1': { runtime: { 'lib/Newtonsoft.Json.dll': {} } },
          },
        },
        {
          'App/1.0.0': { type: 'project' },
          'runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/8.0.0': { type: 'runtimepack' },
          'Newtonsoft.Json/13.0.1': { type: 'package' },
        },
      ),
      [
        ['App', '1.0.0', true, undefined],
        ['Microsoft.NETCore.App.Runtime.linux-x64', '8.0.0', undefined, true],
        ['Newtonsoft.Json', '13.0.1', undefined, true],
      ],
    ],
    [
      // Trivy's "target libs not found": every library, no relationships
      'runtime target missing from targets: every library, direct unknown',
      deps(
        '.NETCoreApp,Version=v5.0',
        { '.NETCoreApp,Version=v4.0': {} },
        { 'App/1.0.0': { type: 'project' }, 'Newtonsoft.Json/13.0.1': { type: 'package' } },
      ),
      [
        ['App', '1.0.0', true, undefined],
        ['Newtonsoft.Json', '13.0.1', undefined, undefined],
      ],
    ],
    [
      'two unreferenced projects: no single root, so direct is unknown',
      deps(
        't',
        { t: { 'Web/1.0.0': { runtime: {} }, 'Worker/1.0.0': { runtime: {} }, 'Serilog/3.1.1': { runtime: {} } } },
        { 'Web/1.0.0': { type: 'project' }, 'Worker/1.0.0': { type: 'project' }, 'Serilog/3.1.1': { type: 'package' } },
      ),
      [
        ['Serilog', '3.1.1', undefined, undefined],
        ['Web', '1.0.0', true, undefined],
        ['Worker', '1.0.0', true, undefined],
      ],
    ],
    [
      'other library types (reference assemblies) are not packages',
      deps('t', {}, { 'netstandard/2.0.0.0': { type: 'referenceassembly' }, 'A/1.0': { type: 'Package' } }),
      [['A', '1.0', undefined, undefined]],
    ],
  ])('%s', async (_, content, want) => {
    const got = await extractText('app/App.deps.json', content);
    expect(got.warnings).toEqual([]);
    expect(byName(got.packages.map(brief))).toEqual(want);
  });
});

describe('packages.lock.json', () => {
  // expectations from aquasecurity/trivy pkg/dependency/parser/nuget/lock/parse_testcase.go
  it.each([
    [
      'trivy/lock-subdependencies/packages.lock.json',
      [
        ['Microsoft.Extensions.ApiDescription.Server', '3.0.0', false],
        ['Microsoft.OpenApi', '1.1.4', false],
        ['Newtonsoft.Json', '12.0.3', true],
        ['NuGet.Frameworks', '5.7.0', true],
        ['Swashbuckle.AspNetCore', '5.5.1', true],
        ['Swashbuckle.AspNetCore.Swagger', '5.5.1', false],
        ['Swashbuckle.AspNetCore.SwaggerGen', '5.5.1', false],
        ['Swashbuckle.AspNetCore.SwaggerUI', '5.5.1', false],
      ],
    ],
    [
      // nuGetLegacy: CRLF line ends; the "Project" entry has no version and is not a package
      'trivy/lock-legacy/packages.lock.json',
      [
        ['AWSSDK.Core', '3.5.1.30', true],
        ['Newtonsoft.Json', '12.0.3', true],
      ],
    ],
  ])('%s', async (file, want) => {
    const got = await extractFixture(file);
    expect(got.warnings).toEqual([]);
    expect(byName(got.packages.map((p) => [p.name, p.version, p.direct]))).toEqual(want);
    expect(got.packages[0]).toMatchObject({ type: 'nuget', ecosystem: 'NuGet', locations: [file] });
  });

  it('several target frameworks: one package per version, direct if direct in any', async () => {
    const got = await extractText(
      'src/packages.lock.json',
      JSON.stringify({
        version: 2,
        dependencies: {
          'net8.0': {
            'Newtonsoft.Json': { type: 'Transitive', resolved: '13.0.3' },
            'System.Text.Json': { type: 'CentralTransitive', resolved: '8.0.0' },
          },
          net48: {
            'Newtonsoft.Json': { type: 'Direct', resolved: '13.0.3' },
            'System.Text.Json': { type: 'Direct', resolved: '6.0.0' },
          },
        },
      }),
    );
    expect(byName(got.packages.map((p) => [p.name, p.version, p.direct]))).toEqual([
      ['Newtonsoft.Json', '13.0.3', true],
      ['System.Text.Json', '8.0.0', false],
      ['System.Text.Json', '6.0.0', true],
    ]);
  });
});

describe('bad input', () => {
  it.each([
    ['app/App.deps.json', '{"libraries": {', /^app\/App\.deps\.json: cannot be read as JSON: /],
    ['app/App.deps.json', '[]', /^app\/App\.deps\.json: no "libraries" object; not a \.deps\.json$/],
    ['app/packages.lock.json', '{"version": 1}', /^app\/packages\.lock\.json: no "dependencies" object/],
    ['app/packages.lock.json', Buffer.from([0x00, 0xff]), /cannot be read as JSON/],
  ])('%s %j: a warning, no packages', async (path, content, pattern) => {
    const got = await extractText(path, content);
    expect(got.packages).toEqual([]);
    expect(got.warnings).toEqual([expect.stringMatching(pattern)]);
  });

  it('a byte order mark is tolerated', async () => {
    const got = await extractText(
      'app/packages.lock.json',
      `\uFEFF{"dependencies":{"net8.0":{"A":{"type":"Direct","resolved":"1.0.0"}}}}`,
    );
    expect(got.packages.map((p) => [p.name, p.version])).toEqual([['A', '1.0.0']]);
  });

  it('bad entries are reported one by one, the rest kept', async () => {
    const lock = await extractText(
      'app/packages.lock.json',
      JSON.stringify({
        dependencies: { 'net8.0': { A: { type: 'Direct' }, B: 7, C: { type: 'Transitive', resolved: '2.0.0' } } },
      }),
    );
    expect(lock.packages.map((p) => p.name)).toEqual(['C']);
    expect(lock.warnings).toEqual(['app/packages.lock.json: net8.0 → A has no resolved version; skipped']);
    const deps = await extractText(
      'app/App.deps.json',
      JSON.stringify({
        libraries: {
          NoVersion: { type: 'package' },
          'Trailing/': { type: 'package' },
          'Ok/1.0.0': { type: 'package' },
        },
      }),
    );
    expect(deps.packages.map((p) => p.name)).toEqual(['Ok']);
    expect(deps.warnings).toEqual([
      'app/App.deps.json: library "NoVersion" is not "Name/Version"; skipped',
      'app/App.deps.json: library "Trailing/" is not "Name/Version"; skipped',
    ]);
  });

  it('warnings about bad entries are capped, long names cut', async () => {
    const libraries = Object.fromEntries([
      ...Array.from({ length: 100 }, (_, i) => [`${'N'.repeat(1000)}${i}`, { type: 'package' }]),
      ['Ok/1.0.0', { type: 'package' }],
    ]);
    const got = await extractText('app/App.deps.json', JSON.stringify({ libraries }));
    expect(got.packages.map((p) => p.name)).toEqual(['Ok']);
    expect(got.warnings).toHaveLength(21);
    expect(got.warnings.at(-1)).toBe('80 more warnings not shown');
    expect(got.warnings[0]!.length).toBeLessThan(200);
  });

  it('a file over 32 MiB is not read', async () => {
    const got = await extractText('app/packages.lock.json', Buffer.alloc(32 * 1024 * 1024 + 1, 0x20));
    expect(got.packages).toEqual([]);
    expect(got.warnings).toEqual([expect.stringMatching(/cannot be read as JSON: .*over the 33554432-byte limit/)]);
  });

  it('any JSON document gives packages or warnings, never an exception', async () => {
    const root = await mkdtemp(join(scratch, 'fc-'));
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 5 }), fc.boolean(), async (document, lockfile) => {
        const path = lockfile ? 'packages.lock.json' : 'App.deps.json';
        await writeFile(join(root, path), JSON.stringify(document) ?? 'null');
        const got = await dotnetExtractor.extract(await inputFromFixture(root, path));
        expect(got.packages.every((p) => p.name !== '' && p.version !== '')).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});
