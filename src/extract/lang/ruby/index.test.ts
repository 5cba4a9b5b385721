import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Package } from '../../../core/types.ts';
import { inputFromFixture } from '../../testing.ts';
import { parseLockfile } from './gemfile-lock.ts';
import { parseGemspec } from './gemspec.ts';
import { rubyExtractor } from './index.ts';

const testdata = join(dirname(fileURLToPath(import.meta.url)), 'testdata');
const extractFixture = async (file: string) => rubyExtractor.extract(await inputFromFixture(testdata, file));

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'vigil-ruby-test-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function extractText(imagePath: string, content: string | Buffer) {
  const root = await mkdtemp(join(scratch, 'root-'));
  await mkdir(dirname(join(root, imagePath)), { recursive: true });
  await writeFile(join(root, imagePath), content);
  return rubyExtractor.extract(await inputFromFixture(root, imagePath));
}

describe('required', () => {
  it.each([
    ['usr/local/lib/ruby/gems/3.2.0/specifications/rake-13.0.6.gemspec', true],
    ['usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec', true],
    ['usr/local/bundle/specifications/rack-3.0.8.gemspec', true],
    ['app/Gemfile.lock', true],
    ['Gemfile.lock', true],
    ['app/gems.locked', true],
    ['app/rack.gemspec', false],
    ['usr/local/bundle/gems/rack-3.0.8/rack.gemspec', false],
    ['app/Gemfile', false],
    ['app/Gemfile.lock.bak', false],
  ])('required(%s) = %s', (path, want) => {
    expect(rubyExtractor.required(path)).toBe(want);
  });
});

describe('gemspecs', () => {
  // expectations from aquasecurity/trivy pkg/dependency/parser/ruby/gemspec/parse_test.go and
  // anchore/syft syft/pkg/cataloger/ruby (formatador.gemspec)
  it.each([
    ['trivy/specifications/license.gemspec', 'async', '1.25.0', ['MIT']],
    ['trivy/specifications/multiple_licenses.gemspec', 'test-unit', '3.3.7', ['Ruby', 'BSDL', 'PSFL']],
    // Trivy drops `licenses = "MIT"` as invalid; Gem::Specification#licenses= takes it (Array("MIT"))
    ['trivy/specifications/normal01.gemspec', 'async', '1.25.0', ['MIT']],
    ['syft/specifications/formatador.gemspec', 'formatador', '1.0.0', ['MIT']],
  ])('%s', async (file, name, version, licenses) => {
    const got = await extractFixture(file);
    expect(got.warnings).toEqual([]);
    expect(got.packages).toEqual([
      {
        type: 'gem',
        ecosystem: 'RubyGems',
        name,
        version,
        licenses,
        purl: `pkg:gem/${name}@${version}`,
        locations: [file],
      },
    ]);
  });

  it.each([
    ['trivy/specifications/malformed00.gemspec', 'no literal name and version'],
    ['trivy/specifications/malformed01.gemspec', 'no literal version'],
  ])('%s: a warning, no package (Trivy: "failed to parse gemspec")', async (file, message) => {
    const got = await extractFixture(file);
    expect(got.packages).toEqual([]);
    expect(got.warnings).toEqual([`${file}: ${message} in a Gem::Specification.new block`]);
  });

  it.each([
    [
      '%q and single quotes',
      "Gem::Specification.new do |g|\n  g.name = %q<net-http>\n  g.version = '0.4.1'\nend",
      'net-http',
      '0.4.1',
    ],
    ['brace block, escapes', 'Gem::Specification.new { |x|\n x.name = "a\\"b"\n x.version = "1"\n}', 'a"b', '1'],
    [
      '== is a comparison, not an assignment',
      'Gem::Specification.new do |s|\n s.name == "no"\n s.name = "yes"\n s.version = "2"\nend',
      'yes',
      '2',
    ],
    [
      'interpolation is computed: ignored',
      'Gem::Specification.new do |s|\n s.name = "x#{1}"\n s.version = "3"\nend',
      undefined,
      '3',
    ],
    [
      'method calls are ignored',
      'Gem::Specification.new do |s|\n s.name = File.read("n")\n s.version = "4"\nend',
      undefined,
      '4',
    ],
    [
      'assignments before the block are ignored',
      's.name = "early"\nGem::Specification.new do |s|\n s.version = "5"\nend',
      undefined,
      '5',
    ],
  ])('parseGemspec: %s', (_, text, name, version) => {
    const spec = parseGemspec(text);
    expect([spec.name, spec.version]).toEqual([name, version]);
  });
});

const brief = (p: Package) => [p.name, p.version, p.direct];

describe('lockfiles', () => {
  // expectations from aquasecurity/trivy pkg/dependency/parser/ruby/bundler/parse_test.go
  // (Indirect: true ⇔ direct: false)
  it.each([
    [
      'trivy/bundler/Gemfile_normal.lock',
      [
        ['coderay', '1.1.2', false],
        ['concurrent-ruby', '1.1.5', false],
        ['dotenv', '2.7.2', true],
        ['faker', '1.9.3', true],
        ['i18n', '1.6.0', false],
        ['method_source', '0.9.2', false],
        ['pry', '0.12.2', true],
      ],
    ],
    [
      'trivy/bundler/Gemfile_bundler2.lock',
      [
        ['coderay', '1.1.3', false],
        ['concurrent-ruby', '1.1.10', false],
        ['dotenv', '2.7.6', true],
        ['faker', '2.21.0', true],
        ['i18n', '1.10.0', false],
        ['json', '2.6.2', true],
        ['method_source', '1.0.0', false],
        ['pry', '0.14.1', true],
      ],
    ],
  ])('%s', async (file, want) => {
    const got = await extractFixture(file);
    expect(got.packages.map(brief)).toEqual(want);
    expect(got.warnings).toEqual([]);
    expect(got.packages[0]).toMatchObject({ type: 'gem', ecosystem: 'RubyGems', locations: [file] });
  });

  it('syft Gemfile.lock: GEM, GIT and PATH specs, not BAD-SECTION', async () => {
    // expectations from anchore/syft syft/pkg/cataloger/ruby/parse_gemfile_lock_test.go; nokogiri
    // was added to the fixture later: its platform goes to the purl, not the version
    const got = await extractFixture('syft/app/Gemfile.lock');
    const syft = `actionmailer 4.1.1,actionpack 4.1.1,actionview 4.1.1,activemodel 4.1.1,activerecord 4.1.1,
      activesupport 4.1.1,arel 5.0.1.20140414130214,bootstrap-sass 3.1.1.1,builder 3.2.2,coffee-rails 4.0.1,
      coffee-script 2.2.0,coffee-script-source 1.7.0,erubis 2.7.0,execjs 2.0.2,google-cloud-errors 1.3.0,hike 1.2.3,
      i18n 0.6.9,jbuilder 2.0.7,jquery-rails 3.1.0,json 1.8.1,kgio 2.9.2,libv8 3.16.14.3,mail 2.5.4,mime-types 1.25.1,
      minitest 5.3.4,multi_json 1.10.1,mysql2 0.3.16,polyglot 0.3.4,rack 1.5.2,rack-test 0.6.2,rails 4.1.1,
      railties 4.1.1,raindrops 0.13.0,rake 10.3.2,rdoc 4.1.1,ref 1.0.5,sass 3.2.19,sass-rails 4.0.3,sdoc 0.4.0,
      spring 1.1.3,sprockets 2.11.0,sprockets-rails 2.1.3,sqlite3 1.3.9,therubyracer 0.12.1,thor 0.19.1,
      thread_safe 0.3.3,tilt 1.4.1,treetop 1.4.15,turbolinks 3.0.0,tzinfo 1.2.0,uglifier 2.5.0,unicorn 4.8.3`
      .split(',')
      .map((entry) => entry.trim().split(' '));
    const want = [...syft, ['nokogiri', '1.16.0']].sort((a, b) => a[0]!.localeCompare(b[0]!));
    const names = got.packages.map((p) => [p.name, p.version]).sort((a, b) => a[0]!.localeCompare(b[0]!));
    expect(names).toEqual(want);
    expect(got.warnings).toEqual([]);
    const byName = new Map(got.packages.map((p) => [p.name, p]));
    expect(byName.get('nokogiri')!.purl).toBe('pkg:gem/nokogiri@1.16.0?platform=x86_64-linux');
    expect([byName.get('rails')!.direct, byName.get('turbolinks')!.direct, byName.get('rack')!.direct]).toEqual([
      true,
      true,
      false,
    ]);
  });

  it.each([
    [
      'platform variants of one gem are one package',
      'GEM\n  remote: https://rubygems.org/\n  specs:\n    nokogiri (1.16.0)\n    nokogiri (1.16.0-x86_64-linux)\n      racc (~> 1.4)\n    racc (1.7.3)\n\nDEPENDENCIES\n  nokogiri\n',
      [
        ['nokogiri', '1.16.0', true],
        ['racc', '1.7.3', false],
      ],
      [],
    ],
    [
      'the application itself (PATH remote ".") is the root',
      'PATH\n  remote: .\n  specs:\n    myapp (0.1.0)\n      rack\n\nGEM\n  remote: https://rubygems.org/\n  specs:\n    rack (3.0.8)\n\nDEPENDENCIES\n  myapp!\n',
      [
        ['myapp', '0.1.0', true],
        ['rack', '3.0.8', false],
      ],
      [],
    ],
    [
      'CRLF line ends, no DEPENDENCIES: direct unknown',
      'GEM\r\n  remote: https://rubygems.org/\r\n  specs:\r\n    rack (3.0.8)\r\n',
      [['rack', '3.0.8', undefined]],
      [],
    ],
    [
      'a damaged spec line is reported by number, the rest kept',
      'GEM\n  remote: https://rubygems.org/\n  specs:\n    rack 3.0.8\n    puma (6.4.0)\n',
      [['puma', '6.4.0', undefined]],
      ['app/Gemfile.lock: line 4: not a "name (version)" spec'],
    ],
    ['empty file: nothing, quietly', '', [], []],
  ])('%s', async (_, text, want, warnings) => {
    const got = await extractText('app/Gemfile.lock', text);
    expect(got.packages.map(brief)).toEqual(want);
    expect(got.warnings).toEqual(warnings);
  });

  it('the application root is flagged', async () => {
    const got = await extractText('srv/gems.locked', 'PATH\n  remote: .\n  specs:\n    myapp (0.1.0)\n');
    expect(got.packages).toEqual([
      expect.objectContaining({ name: 'myapp', root: true, locations: ['srv/gems.locked'] }),
    ]);
  });
});

describe('bad input', () => {
  it.each([['trivy/bundler/Gemfile_malformed.lock', /: no Bundler lockfile sections .*; not a lockfile$/]])(
    '%s: a warning, no packages',
    async (file, pattern) => {
      const got = await extractFixture(file);
      expect(got.packages).toEqual([]);
      expect(got.warnings).toEqual([expect.stringMatching(pattern)]);
    },
  );

  it.each([
    ['app/Gemfile.lock', Buffer.from([0x00, 0xff, 0xfe, 0x47, 0x45, 0x4d, 0x0a, 0x80])],
    ['gems/specifications/x-1.gemspec', Buffer.from([0x00, 0xff, 0xfe, 0x0a, 0x80])],
  ])('%s: binary garbage is a warning', async (path, content) => {
    const got = await extractText(path, content);
    expect(got.packages).toEqual([]);
    expect(got.warnings).toEqual([expect.stringMatching(new RegExp(`^${path.replace(/\./g, '\\.')}: `))]);
  });

  it('warnings about damaged lines are capped', async () => {
    const got = await extractText('app/Gemfile.lock', `GEM\n  specs:\n${'    broken\n'.repeat(100)}    rack (3.0.8)\n`);
    expect(got.packages.map((p) => p.name)).toEqual(['rack']);
    expect(got.warnings).toHaveLength(21);
    expect(got.warnings.at(-1)).toBe('80 more warnings not shown');
  });

  it('a file over 16 MiB is not read', async () => {
    const got = await extractText('app/Gemfile.lock', Buffer.alloc(16 * 1024 * 1024 + 1, 0x20));
    expect(got.packages).toEqual([]);
    expect(got.warnings).toEqual([
      expect.stringMatching(/^app\/Gemfile\.lock: cannot be read: .*over the 16777216-byte limit/),
    ]);
  });

  it('parsers never throw on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        parseLockfile(text);
        parseGemspec(text);
        parseGemspec(`Gem::Specification.new do |s|\n${text}`);
      }),
    );
  });

  it('any rendered lockfile reads back', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9_-]{0,15}$/);
    const version = fc.stringMatching(/^\d{1,3}(\.\d{1,3}){0,3}$/);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(name, version, fc.boolean()), { selector: ([n]) => n, maxLength: 20 }),
        (gems) => {
          const specs = gems.map(([n, v]) => `    ${n} (${v})\n`).join('');
          const deps = gems
            .filter(([, , d]) => d)
            .map(([n]) => `  ${n} (>= 0)\n`)
            .join('');
          const lockfile = parseLockfile(
            `GEM\n  remote: https://rubygems.org/\n  specs:\n${specs}\nDEPENDENCIES\n${deps}`,
          );
          expect(lockfile.gems.map((g) => [g.name, g.version, lockfile.direct.has(g.name)])).toEqual(gems);
        },
      ),
    );
  });
});
