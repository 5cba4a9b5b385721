import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Package } from '../../../core/types.ts';
import { capturedBy, inputFromFixture } from '../../testing.ts';
import { phpExtractor } from './index.ts';

const testdata = join(dirname(fileURLToPath(import.meta.url)), 'testdata');
const extractFixture = async (file: string) =>
  phpExtractor.extract(await inputFromFixture(testdata, file, { captured: capturedBy(phpExtractor) }));

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'vigil-php-test-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** Writes `files` (image path → content) under a fresh root and extracts `imagePath`. */
async function extractFiles(imagePath: string, files: Record<string, string | Buffer>) {
  const root = await mkdtemp(join(scratch, 'root-'));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return phpExtractor.extract(await inputFromFixture(root, imagePath, { captured: capturedBy(phpExtractor) }));
}

describe('required and wants', () => {
  it.each([
    ['var/www/html/vendor/composer/installed.json', true, false],
    ['vendor/composer/installed.json', true, false],
    ['app/composer.lock', true, false],
    ['app/composer.json', false, true],
    ['app/vendor/guzzlehttp/guzzle/composer.json', false, false],
    ['app/vendor/composer/installed.php', false, false],
    ['app/installed.json', false, false],
    ['app/my-composer.json', false, false],
  ])('%s: required %s, wants %s', (path, required, wants) => {
    expect(phpExtractor.required(path)).toBe(required);
    expect(phpExtractor.wants(path)).toBe(wants);
  });
});

const brief = (p: Package) => [p.name, p.version, p.licenses, p.dev];

describe('installed.json', () => {
  // expectations from anchore/syft syft/pkg/cataloger/php/parse_installed_json_test.go, which reads
  // both files to the same two packages; Composer 2 also names the dev packages
  it.each([
    ['syft/composer_1/vendor/composer/installed.json', undefined, undefined],
    ['syft/composer_2/vendor/composer/installed.json', false, true],
  ])('%s', async (file, stackCorsDev, minkDev) => {
    const got = await extractFixture(file);
    expect(got.warnings).toEqual([]);
    expect(got.packages.map(brief)).toEqual([
      ['asm89/stack-cors', '1.3.0', ['MIT'], stackCorsDev],
      ['behat/mink', 'v1.8.1', ['MIT'], minkDev],
    ]);
    expect(got.packages.map((p) => p.purl)).toEqual([
      'pkg:composer/asm89/stack-cors@1.3.0',
      'pkg:composer/behat/mink@v1.8.1',
    ]);
    expect(got.packages[0]).toMatchObject({ type: 'composer', ecosystem: 'Packagist', locations: [file] });
  });
});

describe('composer.lock', () => {
  // expectations from aquasecurity/trivy pkg/dependency/parser/php/composer/parse_test.go (composerPkgs)
  const trivy = [
    ['guzzlehttp/guzzle', '6.5.8', ['MIT'], false],
    ['guzzlehttp/promises', '1.5.2', ['MIT'], false],
    ['guzzlehttp/psr7', '1.9.0', ['MIT'], false],
    ['psr/http-message', '1.0.1', ['MIT'], false],
    ['ralouphie/getallheaders', '3.0.3', ['MIT'], false],
    ['symfony/polyfill-intl-idn', 'v1.27.0', ['MIT'], false],
    ['symfony/polyfill-intl-normalizer', 'v1.27.0', ['MIT'], false],
    ['symfony/polyfill-php72', 'v1.27.0', ['MIT', 'BSD-2-Clause'], false],
    ['pear/log', '1.13.3', ['MIT'], true],
    ['pear/pear_exception', 'v1.0.2', ['BSD-2-Clause'], true],
  ];

  it('trivy composer_happy.lock: packages and packages-dev', async () => {
    const got = await extractFixture('trivy/app/composer.lock');
    expect(got.warnings).toEqual([]);
    expect(got.packages.map(brief)).toEqual(trivy);
    expect(got.packages.every((p) => p.direct === undefined)).toBe(true);
    expect(got.packages.find((p) => p.name === 'pear/pear_exception')!.purl).toBe(
      'pkg:composer/pear/pear_exception@v1.0.2',
    );
  });

  it('the composer.json beside it gives the direct packages', async () => {
    // the manifest `composer require guzzlehttp/guzzle:6.5.8; composer require pear/log:1.13.3 --dev` writes
    const lock = await import('node:fs/promises').then((fs) => fs.readFile(join(testdata, 'trivy/app/composer.lock')));
    const got = await extractFiles('srv/app/composer.lock', {
      'srv/app/composer.lock': lock,
      'srv/app/composer.json': JSON.stringify({
        require: { 'GuzzleHttp/Guzzle': '6.5.8', php: '>=7' },
        'require-dev': { 'pear/log': '1.13.3' },
      }),
    });
    expect(got.packages.filter((p) => p.direct).map((p) => p.name)).toEqual(['guzzlehttp/guzzle', 'pear/log']);
    expect(got.packages.filter((p) => p.direct === false)).toHaveLength(8);
  });

  it('a broken composer.json costs only the direct flags', async () => {
    const got = await extractFiles('app/composer.lock', {
      'app/composer.lock': JSON.stringify({ packages: [{ name: 'a/b', version: '1.0.0' }] }),
      'app/composer.json': '{ not json',
    });
    expect(got.packages.map((p) => [p.name, p.direct, p.dev])).toEqual([['a/b', undefined, false]]);
    expect(got.warnings).toEqual([]);
  });
});

describe('bad input', () => {
  it.each([
    ['app/composer.lock', '{"packages": [', /^app\/composer\.lock: cannot be read as JSON: /],
    ['app/composer.lock', '', /^app\/composer\.lock: cannot be read as JSON: /],
    [
      'app/composer.lock',
      '{"_readme": []}',
      /^app\/composer\.lock: no "packages" or "packages-dev" array; not a composer\.lock$/,
    ],
    ['app/composer.lock', '[1, 2]', /not a composer\.lock$/],
    ['app/vendor/composer/installed.json', '{"dev": true}', /neither a package array \(Composer 1\) nor/],
    ['app/vendor/composer/installed.json', '"text"', /neither a package array/],
    ['app/vendor/composer/installed.json', Buffer.from([0xff, 0xfe, 0x00]), /cannot be read as JSON/],
  ])('%s %j: a warning, no packages', async (path, content, pattern) => {
    const got = await extractFiles(path, { [path]: content });
    expect(got.packages).toEqual([]);
    expect(got.warnings).toEqual([expect.stringMatching(pattern)]);
  });

  it('entries without a name or version are skipped by index, the rest kept', async () => {
    const path = 'app/vendor/composer/installed.json';
    const content = JSON.stringify({
      packages: [
        { name: 'a/b' },
        null,
        { name: 'c/d', version: '2.0.0', license: 7 },
        { version: '1' },
        { name: 'e/', version: '3' },
        { name: 'f/g', version: '' },
      ],
      'dev-package-names': ['c/d'],
    });
    const got = await extractFiles(path, { [path]: content });
    expect(got.packages.map(brief)).toEqual([
      ['c/d', '2.0.0', undefined, true],
      ['e/', '3', undefined, false],
    ]);
    expect(got.packages[1]!.purl).toBe('pkg:composer/e%2F@3');
    expect(got.warnings).toEqual([0, 1, 3, 5].map((i) => `${path}: packages[${i}] has no name and version; skipped`));
  });

  it.each([
    ['(MIT or GPL-3.0-or-later)', ['MIT', 'GPL-3.0-or-later']],
    ['MIT  OR\tApache-2.0', ['MIT', 'Apache-2.0']],
    [['BSD-3-Clause', 5, ''], ['BSD-3-Clause']],
    [`MIT${' '.repeat(200_000)}x`, [`MIT x`]],
  ])('license %j → %j', async (license, want) => {
    const path = 'app/composer.lock';
    const got = await extractFiles(path, {
      [path]: JSON.stringify({ packages: [{ name: 'a/b', version: '1', license }] }),
    });
    expect(got.packages[0]!.licenses).toEqual(want);
  });

  it('warnings about bad entries are capped', async () => {
    const path = 'app/composer.lock';
    const packages = [...Array.from({ length: 100 }, () => ({})), { name: 'a/b', version: '1' }];
    const got = await extractFiles(path, { [path]: JSON.stringify({ packages }) });
    expect(got.packages.map((p) => p.name)).toEqual(['a/b']);
    expect(got.warnings).toHaveLength(21);
    expect(got.warnings.at(-1)).toBe('80 more warnings not shown');
  });

  it('a file over 32 MiB is not read', async () => {
    const got = await extractFiles('app/composer.lock', {
      'app/composer.lock': Buffer.alloc(32 * 1024 * 1024 + 1, 0x20),
    });
    expect(got.packages).toEqual([]);
    expect(got.warnings).toEqual([
      expect.stringMatching(/^app\/composer\.lock: cannot be read as JSON: .*over the 33554432-byte limit/),
    ]);
  });

  it('any JSON document gives packages or warnings, never an exception', async () => {
    const root = await mkdtemp(join(scratch, 'fc-'));
    await mkdir(join(root, 'vendor/composer'), { recursive: true });
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), fc.boolean(), async (document, installed) => {
        const path = installed ? 'vendor/composer/installed.json' : 'composer.lock';
        await writeFile(join(root, path), JSON.stringify(document) ?? 'null');
        const got = await phpExtractor.extract(await inputFromFixture(root, path));
        expect(got.packages.every((p) => typeof p.name === 'string' && typeof p.version === 'string')).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});
