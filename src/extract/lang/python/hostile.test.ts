import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VigilError } from '../../../core/errors.ts';
import { inputFromFixture } from '../../testing.ts';
import type { ExtractResult } from '../../types.ts';
import { scanTree } from '../npm/test-support.ts';
import { pythonExtractor } from './index.ts';

const testdata = join(dirname(fileURLToPath(import.meta.url)), 'testdata');

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'vigil-py-hostile-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function extractContent(imagePath: string, content: string | Buffer): Promise<ExtractResult> {
  const root = await mkdtemp(join(scratch, 'root-'));
  await mkdir(dirname(join(root, imagePath)), { recursive: true });
  await writeFile(join(root, imagePath), content);
  const result = await pythonExtractor.extract(await inputFromFixture(root, imagePath));
  await rm(root, { recursive: true });
  return result;
}

function wellFormed(result: ExtractResult): void {
  for (const p of result.packages) {
    expect(p.name).toMatch(/^[A-Za-z0-9]/);
    expect(p.version.length).toBeGreaterThan(0);
    expect(p.purl.startsWith('pkg:pypi/')).toBe(true);
  }
  expect(result.warnings.length).toBeLessThanOrEqual(21);
}

const KINDS = [
  ['METADATA', 'usr/lib/python3/site-packages/a-1.dist-info/METADATA', 'trivy/networkx-3.0.METADATA'],
  [
    'PKG-INFO',
    'usr/lib/python3/dist-packages/a-1.egg-info/PKG-INFO',
    'syft/site-packages/nested/egg-name/egg-info/PKG-INFO',
  ],
  ['poetry.lock', 'app/poetry.lock', 'syft/poetry/simple-deps/poetry.lock'],
  ['uv.lock', 'app/uv.lock', 'syft/uv/simple-deps/uv.lock'],
  ['Pipfile.lock', 'app/Pipfile.lock', 'syft/pipfile-lock/Pipfile.lock'],
  ['requirements.txt', 'app/requirements.txt', 'syft/requires/requirements.txt'],
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
  it('TOML nested 100,000 levels deep is a warning, not a crash', async () => {
    const got = await extractContent('app/uv.lock', `x = ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`);
    expect(got.packages).toEqual([]);
    expect(got.warnings).toHaveLength(1);
  });

  it('a METADATA header of 500,000 lines stops at the bound', async () => {
    const got = await extractContent(
      'usr/lib/python3/site-packages/a-1.dist-info/METADATA',
      `${'Classifier: Topic :: X\n'.repeat(500_000)}Name: late\nVersion: 1.0\n`,
    );
    expect(got.packages).toEqual([]);
    expect(got.warnings).toEqual([expect.stringMatching(/no valid Name and Version/)]);
  });

  it('a long run of backslash continuations is bounded', async () => {
    const got = await extractContent('app/requirements.txt', `${'a \\\n'.repeat(200_000)}b==1.0\nc==2.0\n`);
    expect(got.packages.map((p) => p.name)).toEqual(['c']);
  });

  it('names that are not PEP 508 names are refused', async () => {
    const got = await extractContent(
      'app/Pipfile.lock',
      JSON.stringify({
        default: { '../../etc': { version: '==1.0' }, ok: { version: '==1.0 ; rm' }, good: { version: '==2.0' } },
      }),
    );
    expect(got.packages.map((p) => p.name)).toEqual(['good']);
    expect(got.warnings).toHaveLength(2);
  });

  it('metadata over the size bound is a warning naming the file', async () => {
    const input = await inputFromFixture(testdata, 'trivy/zipp-3.12.1.METADATA');
    const got = await pythonExtractor.extract({
      ...input,
      path: 'usr/lib/python3/site-packages/zipp-3.12.1.dist-info/METADATA',
      read: (limit) => Promise.reject(new VigilError('VIGIL_LIMIT_EXCEEDED', `over the ${limit}-byte limit`)),
    });
    expect(got).toEqual({
      packages: [],
      warnings: [
        'cannot read usr/lib/python3/site-packages/zipp-3.12.1.dist-info/METADATA: over the 16777216-byte limit',
      ],
    });
  });

  it('syft glob-paths: every layout is found; their placeholder content is a warning each', async () => {
    // anchore/syft cataloger_test.go TestPythonPackageGlobPaths (and the lockfile glob tests)
    const got = await scanTree(pythonExtractor, join(testdata, 'syft/glob-paths'));
    expect(got.packages.map((p) => p.locations[0]).sort()).toEqual([]);
    expect(got.warnings.map((w) => w.slice(0, w.indexOf(':'))).sort()).toEqual([
      'site-packages/v.DIST-INFO/METADATA',
      'site-packages/w.EGG-INFO/PKG-INFO',
      'site-packages/x.dist-info/METADATA',
      'site-packages/y.egg-info/PKG-INFO',
      'site-packages/z.egg-info',
      'src/Pipfile.lock',
      'src/poetry.lock',
      'src/uv.lock',
    ]);
  });
});
