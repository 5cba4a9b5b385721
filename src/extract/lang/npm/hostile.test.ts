import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VigilError } from '../../../core/errors.ts';
import { inputFromFixture } from '../../testing.ts';
import type { ExtractResult } from '../../types.ts';
import { npmExtractor } from './index.ts';

const testdata = join(dirname(fileURLToPath(import.meta.url)), 'testdata');

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'vigil-npm-hostile-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** Writes `content` at `imagePath` in a fresh root and extracts it. */
async function extractContent(imagePath: string, content: string | Buffer): Promise<ExtractResult> {
  const root = await mkdtemp(join(scratch, 'root-'));
  await mkdir(dirname(join(root, imagePath)), { recursive: true });
  await writeFile(join(root, imagePath), content);
  const result = await npmExtractor.extract(await inputFromFixture(root, imagePath));
  await rm(root, { recursive: true });
  return result;
}

function wellFormed(result: ExtractResult): void {
  for (const p of result.packages) {
    expect(p.name.length).toBeGreaterThan(0);
    expect(p.version.length).toBeGreaterThan(0);
    expect(p.purl.startsWith('pkg:')).toBe(true);
  }
  expect(result.warnings.length).toBeLessThanOrEqual(21);
}

const KINDS = [
  ['installed package.json', 'app/node_modules/x/package.json', 'trivy/packagejson/package.json'],
  ['package-lock.json v3', 'app/package-lock.json', 'trivy/npm/v3/package-lock.json'],
  ['package-lock.json v1', 'app/package-lock.json', 'trivy/npm/v1/package-lock.json'],
  ['yarn.lock v1', 'app/yarn.lock', 'trivy/yarn/happy/yarn.lock'],
  ['yarn.lock berry', 'app/yarn.lock', 'trivy/yarn/v2_happy/yarn.lock'],
  ['pnpm-lock.yaml v9', 'app/pnpm-lock.yaml', 'trivy/pnpm/v9/pnpm-lock.yaml'],
  ['pnpm-lock.yaml v6', 'app/pnpm-lock.yaml', 'trivy/pnpm/v6_with_dev/pnpm-lock.yaml'],
] as const;

describe.each(KINDS)('%s', (_, imagePath, fixture) => {
  it('truncated at 23 points: never throws, only complete packages', async () => {
    const full = await readFile(join(testdata, fixture));
    for (let i = 1; i <= 23; i++)
      wellFormed(await extractContent(imagePath, full.subarray(0, Math.floor((full.length * i) / 24))));
  });

  it('property: arbitrary bytes never throw', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), async (bytes) => {
        wellFormed(await extractContent(imagePath, Buffer.from(bytes)));
      }),
      { numRuns: 40 },
    );
  });

  it('property: the fixture with a span overwritten by random text never throws', async () => {
    const full = (await readFile(join(testdata, fixture), 'utf8')).slice(0, 4000);
    await fc.assert(
      fc.asyncProperty(fc.nat(full.length), fc.string({ maxLength: 40 }), async (at, text) => {
        wellFormed(await extractContent(imagePath, full.slice(0, at) + text + full.slice(at + text.length)));
      }),
      { numRuns: 40 },
    );
  });
});

describe('hostile shapes', () => {
  it('binary garbage in yarn.lock gives a capped list of warnings', async () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `garbage line ${i} \u0001\u0002`).join('\n');
    const got = await extractContent('app/yarn.lock', lines);
    expect(got.packages).toEqual([]);
    expect(got.warnings).toHaveLength(21);
    expect(got.warnings[20]).toBe('4980 more warnings not shown');
  });

  it('a YAML alias bomb in pnpm-lock.yaml is a warning, not a hang', async () => {
    const bomb = [
      "lockfileVersion: '9.0'",
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      ...Array.from(
        { length: 12 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`,
      ),
    ].join('\n');
    const got = await extractContent('app/pnpm-lock.yaml', bomb);
    expect(got.packages).toEqual([]);
    expect(got.warnings).toEqual([expect.stringMatching(/^app\/pnpm-lock.yaml: invalid pnpm-lock.yaml: .*alias/i)]);
  });

  it('package-lock v1 nested 5000 levels deep is walked without recursion', async () => {
    let deps = '{}';
    for (let i = 0; i < 5000; i++) deps = `{"p${i}":{"version":"1.0.${i}","dependencies":${deps}}}`;
    const got = await extractContent('app/package-lock.json', `{"lockfileVersion":1,"dependencies":${deps}}`);
    expect(got.packages.length).toBe(257);
    expect(got.warnings).toEqual([expect.stringMatching(/nested deeper than 256 levels/)]);
  });

  it('a pnpm dependency cycle terminates', async () => {
    const lock = [
      "lockfileVersion: '9.0'",
      'importers:',
      '  .:',
      '    dependencies:',
      '      a: {specifier: 1.0.0, version: 1.0.0}',
      'packages:',
      '  a@1.0.0: {resolution: {integrity: x}}',
      '  b@1.0.0: {resolution: {integrity: x}}',
      'snapshots:',
      '  a@1.0.0: {dependencies: {b: 1.0.0}}',
      '  b@1.0.0: {dependencies: {a: 1.0.0}}',
    ].join('\n');
    const got = await extractContent('app/pnpm-lock.yaml', lock);
    expect(got.packages.map((p) => `${p.name}@${p.version} ${p.direct} ${p.dev}`).sort()).toEqual([
      'a@1.0.0 true false',
      'b@1.0.0 false false',
    ]);
  });

  it('a large yarn.lock (100,000 entries) is read in one pass', async () => {
    const entries = Array.from({ length: 100_000 }, (_, i) => `pkg-${i}@^1.0.0:\n  version "1.0.${i}"\n`).join('\n');
    const got = await extractContent('app/yarn.lock', `# yarn lockfile v1\n\n${entries}`);
    expect(got.packages).toHaveLength(100_000);
    expect(got.warnings).toEqual([]);
  });

  it('a lockfile over the size bound is a warning naming the file', async () => {
    const input = await inputFromFixture(testdata, 'trivy/npm/v3/package-lock.json');
    const got = await npmExtractor.extract({
      ...input,
      read: (limit) => Promise.reject(new VigilError('VIGIL_LIMIT_EXCEEDED', `over the ${limit}-byte limit`)),
    });
    expect(got).toEqual({
      packages: [],
      warnings: [expect.stringMatching(/^cannot read trivy\/npm\/v3\/package-lock.json: over the 67108864-byte limit/)],
    });
  });

  it('an unreadable node binary is a warning', async () => {
    const root = await mkdtemp(join(scratch, 'gone-'));
    await mkdir(join(root, 'usr/bin'), { recursive: true });
    await writeFile(join(root, 'usr/bin/node'), 'x', { mode: 0o755 });
    const input = await inputFromFixture(root, 'usr/bin/node');
    const got = await npmExtractor.extract({ ...input, localPath: async () => join(root, 'missing') });
    expect(got.packages).toEqual([]);
    expect(got.warnings).toEqual([expect.stringMatching(/^cannot read usr\/bin\/node: .*ENOENT/)]);
  });

  it.each([
    ['a name with a path separator', '{"name":"../../etc","version":"1.0.0"}'],
    ['a version with spaces', '{"name":"x","version":"1.0.0 || rm -rf"}'],
    ['a non-string name', '{"name":["x"],"version":"1.0.0"}'],
    ['a 1000-character name', `{"name":"${'a'.repeat(1000)}","version":"1.0.0"}`],
    ['JSON that is an array', '[1,2,3]'],
    ['JSON that is a string', '"package"'],
  ])('installed package.json with %s is a warning', async (_, text) => {
    const got = await extractContent('app/node_modules/x/package.json', text);
    expect(got.packages).toEqual([]);
    expect(got.warnings).toHaveLength(1);
  });

  it('a workspace pattern of many "**" against a deep folder is matched without blow-up', async () => {
    const root = await mkdtemp(join(scratch, 'globs-'));
    const deep = Array.from({ length: 7 }, (_, i) => `d${i}`).join('/');
    await mkdir(join(root, deep), { recursive: true });
    await writeFile(join(root, 'package.json'), JSON.stringify({ workspaces: [`${'**/'.repeat(30)}nomatch`] }));
    await writeFile(join(root, deep, 'package.json'), '{"name":"deep","version":"1.0.0"}');
    const got = await npmExtractor.extract(await inputFromFixture(root, `${deep}/package.json`));
    expect(got).toEqual({ packages: [], warnings: [] });
  });

  it.each([
    ['truncated', '{"packages": {"node_modules/x": {"dev": tr'],
    ['packages not an object', '{"packages": ["node_modules/x"]}'],
    ['an entry not an object', '{"packages": {"node_modules/x": "dev"}}'],
  ])('a hidden lockfile %s is ignored: the manifest alone decides, quietly', async (_, hidden) => {
    const root = await mkdtemp(join(scratch, 'hidden-'));
    await mkdir(join(root, 'node_modules/x'), { recursive: true });
    await writeFile(join(root, 'package.json'), '{"name":"app","version":"1.0.0","devDependencies":{"x":"1"}}');
    await writeFile(join(root, 'node_modules/.package-lock.json'), hidden);
    await writeFile(join(root, 'node_modules/x/package.json'), '{"name":"x","version":"1.0.0"}');
    const got = await npmExtractor.extract(await inputFromFixture(root, 'node_modules/x/package.json'));
    expect(got.packages.map((p) => [p.name, p.direct, p.dev])).toEqual([['x', true, true]]);
    expect(got.warnings).toEqual([]);
  });

  it('a UTF-8 byte-order mark is allowed', async () => {
    const got = await extractContent('node_modules/x/package.json', '\ufeff{"name":"x","version":"1.0.0"}');
    expect(got.packages.map((p) => p.purl)).toEqual(['pkg:npm/x@1.0.0']);
  });
});
