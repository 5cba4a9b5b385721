import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isVigilError } from '../../../core/errors.ts';
import type { OsvRecord } from '../../../core/osv.ts';
import type { SourceItem } from '../../types.ts';
import { drain, fixtureTransport } from '../debian-tracker/fixture-transport.ts';
import { alpineSecdbSource, DEFAULT_BRANCHES, SECDB_URL } from './index.ts';
import { advisoryId, parseSecdb } from './parser.ts';

const testdata = join(dirname(fileURLToPath(import.meta.url)), 'testdata');
const MODIFIED = '2026-12-01T00:00:00.000Z';
const MIRROR = 'file:///mirror/secdb';

let tmpDir: string;
beforeAll(async () => {
  tmpDir = await mkdtemp(join(tmpdir(), 'vigil-alpine-'));
});
afterAll(async () => {
  await rm(tmpDir, { recursive: true, force: true });
});

const records = (items: readonly SourceItem[]) => items.flatMap((i) => (i.kind === 'osv' ? [i.record] : []));
const skips = (items: readonly SourceItem[]) =>
  items.flatMap((i) => (i.kind === 'skipped' ? [`${i.where}: ${i.reason}`] : []));
/** "ecosystem name <fixed" per affected entry */
const ranges = (record: OsvRecord | undefined) =>
  (record?.affected ?? []).map((a) => `${a.package?.ecosystem} ${a.package?.name} <${a.ranges?.[0]?.events[1]?.fixed}`);
const parse = (text: string, branch = 'v3.15', repository = 'main') => [
  ...parseSecdb(text, { branch, repository, modified: MODIFIED }),
];
const fixture = (branch: string, repository: string) => readFile(join(testdata, branch, `${repository}.yaml`), 'utf8');

describe('parseSecdb on real secdb files', () => {
  it('v3.15 main (vunnel excerpt): one record per (CVE, package)', async () => {
    const items = parse(await fixture('v3.15', 'main'));
    expect(skips(items)).toEqual([]);
    expect(records(items).map((r) => `${r.id} ${ranges(r).join(', ')}`)).toEqual([
      'ALPINE-CVE-2022-1271 Alpine:v3.15 xz <5.2.5-r1',
      'ALPINE-CVE-2019-6250 Alpine:v3.15 zeromq <4.3.1-r0',
      'ALPINE-CVE-2019-13132 Alpine:v3.15 zeromq <4.3.2-r0',
      'ALPINE-CVE-2020-15166 Alpine:v3.15 zeromq <4.3.3-r0',
      'ALPINE-CVE-2018-25032 Alpine:v3.15 zlib <1.2.12-r0',
      'ALPINE-CVE-2022-37434 Alpine:v3.15 zlib <1.2.12-r2',
      'ALPINE-CVE-2018-1083 Alpine:v3.15 zsh <5.4.2-r1',
      'ALPINE-CVE-2018-1071 Alpine:v3.15 zsh <5.4.2-r1',
      'ALPINE-CVE-2019-20044 Alpine:v3.15 zsh <5.8-r0',
      'ALPINE-CVE-2021-45444 Alpine:v3.15 zsh <5.8.1-r0',
      'ALPINE-CVE-2019-11922 Alpine:v3.15 zstd <1.3.8-r0',
      'ALPINE-CVE-2021-24031 Alpine:v3.15 zstd <1.4.1-r0',
      'ALPINE-CVE-2021-24032 Alpine:v3.15 zstd <1.4.9-r0',
    ]);
  });

  it('shapes records as osv.dev does, with the CVE as alias', async () => {
    const record = records(parse(await fixture('v3.15', 'main')))[0];
    expect(record).toEqual({
      schema_version: '1.7.0',
      id: 'ALPINE-CVE-2022-1271',
      modified: MODIFIED,
      aliases: ['CVE-2022-1271'],
      upstream: ['CVE-2022-1271'],
      affected: [
        {
          package: { ecosystem: 'Alpine:v3.15', name: 'xz', purl: 'pkg:apk/alpine/xz?arch=source' },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '5.2.5-r1' }] }],
          database_specific: { repository: 'main' },
        },
      ],
      references: [{ type: 'ADVISORY', url: 'https://security.alpinelinux.org/vuln/CVE-2022-1271' }],
      database_specific: { source: 'alpine-secdb' },
    });
  });

  it.each([
    // "0": never affected, so no record; dbus's real fix stays
    ['v3.8', 'main', 'v3.8 db ', []],
    ['v3.8', 'main', 'v3.8 dbus ', ['ALPINE-CVE-2019-12749 Alpine:v3.8 dbus <1.10.28-r0']],
    ['v3.10', 'community', 'CVE-2019-2426', ['ALPINE-CVE-2019-2426 Alpine:v3.10 openjdk7 <7.211.2.6.17-r0']],
    ['v3.10', 'main', 'CVE-2017-16808', ['ALPINE-CVE-2017-16808 Alpine:v3.10 tcpdump <4.9.3-r0']],
    ['v3.10', 'main', 'CVE-2019-5060', ['ALPINE-CVE-2019-5060 Alpine:v3.10 sdl2_image <2.0.5-r0']],
  ])('%s/%s: %s', async (branch, repository, term, want) => {
    const items = parse(await fixture(branch, repository), branch, repository);
    expect(skips(items)).toEqual([]);
    const lines = records(items).map((r) => `${r.id} ${ranges(r).join(', ')}`);
    expect(lines.filter((line) => line.includes(term))).toEqual(want);
  });

  it('reads the JSON form the site serves', async () => {
    const json = JSON.stringify({
      distroversion: 'v3.20',
      reponame: 'main',
      packages: [{ pkg: { name: 'openssl', secfixes: { '3.3.2-r0': ['CVE-2024-6119'], '0': ['CVE-2022-1343'] } } }],
    });
    expect(records(parse(json, 'v3.20')).map((r) => `${r.id} ${ranges(r)}`)).toEqual([
      'ALPINE-CVE-2024-6119 Alpine:v3.20 openssl <3.3.2-r0',
    ]);
  });
});

describe('advisoryId', () => {
  it.each<[string, string | undefined]>([
    ['CVE-2019-14904', 'CVE-2019-14904'],
    ['CVE-2017-16808 (AoE)', 'CVE-2017-16808'],
    ['CVE-2019-5060 TALOS-2019-0844', 'CVE-2019-5060'],
    ['CVE_2019-2426', 'CVE-2019-2426'],
    ['CVE-2017-17434-1', 'CVE-2017-17434'],
    ['XSA-207', 'XSA-207'],
    ['  CVE-2020-1234  ', 'CVE-2020-1234'],
    ['TALOS-2019-0844', undefined],
    ['(none)', undefined],
    ['', undefined],
  ])('%j → %s', (raw, want) => {
    expect(advisoryId(raw)).toBe(want);
  });
});

describe('parseSecdb on malformed and hostile input', () => {
  const doc = (secfixes: unknown) => JSON.stringify({ packages: [{ pkg: { name: 'p', secfixes } }] });
  it.each<[string, string, string[], number]>([
    [
      'a package without a name',
      '{"packages": [{"pkg": {"secfixes": {}}}, 3]}',
      [
        'alpine-secdb:v3.15/main:packages[0]: entry has no pkg.name',
        'alpine-secdb:v3.15/main:packages[1]: entry has no pkg.name',
      ],
      0,
    ],
    ['secfixes not a map', doc(['x']), ['alpine-secdb:v3.15/main:packages[0] p: secfixes is not a map'], 0],
    [
      'a key that is no version',
      doc({ 'not a version': ['CVE-2020-0001'], '1.0-r0': ['CVE-2020-0002'] }),
      ['alpine-secdb:v3.15/main:packages[0] p: "not a version" is not an apk version'],
      1,
    ],
    [
      'an id list that is no list',
      doc({ '1.0-r0': 'CVE-2020-0001' }),
      ['alpine-secdb:v3.15/main:packages[0] p 1.0-r0: advisory list is not a list'],
      0,
    ],
    [
      'an entry with no CVE',
      doc({ '1.0-r0': ['N/A', 5] }),
      [
        'alpine-secdb:v3.15/main:packages[0] p 1.0-r0: "N/A" names no CVE or XSA',
        'alpine-secdb:v3.15/main:packages[0] p 1.0-r0: 5 names no CVE or XSA',
      ],
      0,
    ],
    ['an empty version list', doc({ '1.0-r0': null }), [], 0],
    ['empty packages (YAML null)', 'distroversion: v3.15\npackages:\n', [], 0],
  ])('%s', (_name, text, wantSkips, wantRecords) => {
    const items = parse(text);
    expect(skips(items)).toEqual(wantSkips);
    expect(records(items)).toHaveLength(wantRecords);
  });

  it('a CVE fixed twice in one package gets a range per fix', () => {
    const [record] = records(parse(doc({ '1.0-r1': ['CVE-2020-0001'], '1.0-r3': ['CVE-2020-0001 (regression)'] })));
    expect(ranges(record)).toEqual(['Alpine:v3.15 p <1.0-r1', 'Alpine:v3.15 p <1.0-r3']);
  });

  it.each([
    ['truncated JSON', '{"packages": [{"pkg": ', /not valid JSON/],
    ['a YAML syntax error', 'packages: [a, b\n  - : :', /not valid YAML/],
    ['an HTML page', '<html>\n<body>404</body>', /not a secdb document/],
    ['a list', '[1, 2]', /not a secdb document/],
    ['packages not a list', 'packages: 3', /packages is not a list/],
    ['another branch', 'distroversion: v3.14\npackages: []', /distroversion is "v3.14", not v3.15/],
    [
      'an alias bomb',
      `a: &a [x, x, x, x, x, x, x, x, x, x]\n${Array.from({ length: 200 }, (_, i) => `k${i}: [*a, *a, *a]`).join('\n')}`,
      /not valid YAML/,
    ],
  ])('%s throws VIGIL_SOURCE_INVALID', (_name, text, want) => {
    expect(() => parse(text)).toThrow(want);
    try {
      parse(text);
    } catch (err) {
      expect(isVigilError(err, 'VIGIL_SOURCE_INVALID')).toBe(true);
    }
  });

  it('never throws anything but VIGIL_SOURCE_INVALID on arbitrary text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.json().map((j) => `{"packages": [{"pkg": {"name": "p", "secfixes": ${j}}}]}`),
        ),
        (text) => {
          try {
            parse(text);
          } catch (err) {
            expect(isVigilError(err, 'VIGIL_SOURCE_INVALID')).toBe(true);
          }
        },
      ),
    );
  });
});

describe('alpineSecdbSource through a fixture transport', () => {
  const mirror = (branches: string[]) =>
    Object.fromEntries(
      branches.flatMap((branch) =>
        ['main', 'community'].map((repo) => [
          `${MIRROR}/${branch}/${repo}.yaml`,
          join(testdata, branch, `${repo}.yaml`),
        ]),
      ),
    );

  it('merges a CVE across branches into one record', async () => {
    const transport = fixtureTransport({
      ...mirror(['v3.10', 'v3.15']),
      // v3.8 has no community file in the fixtures: ask for main only
    });
    const source = alpineSecdbSource({
      baseUrl: `${MIRROR}/`,
      branches: ['v3.10', 'v3.15'],
      format: 'yaml',
      now: () => new Date(MODIFIED),
    });
    const { items, error } = await drain(source.fetch({ transport, tmpDir }));
    expect(error).toBeUndefined();
    expect(skips(items)).toEqual([]);
    const all = records(items);
    expect(new Set(all.map((r) => r.id)).size).toBe(all.length);
    expect(transport.opened).toEqual([
      `${MIRROR}/v3.10/main.yaml`,
      `${MIRROR}/v3.10/community.yaml`,
      `${MIRROR}/v3.15/main.yaml`,
      `${MIRROR}/v3.15/community.yaml`,
    ]);
  });

  it('joins affected entries of the same CVE from two branches', async () => {
    const file = (branch: string) =>
      Buffer.from(
        JSON.stringify({
          distroversion: branch,
          packages: [{ pkg: { name: 'zlib', secfixes: { '1.2.12-r2': ['CVE-2022-37434'] } } }],
        }),
      );
    const transport = fixtureTransport({
      [`${SECDB_URL}/v3.15/main.json`]: file('v3.15'),
      [`${SECDB_URL}/v3.16/main.json`]: file('v3.16'),
    });
    const source = alpineSecdbSource({ branches: ['v3.15', 'v3.16'], repositories: ['main'] });
    const { items } = await drain(source.fetch({ transport, tmpDir }));
    expect(records(items).map((r) => [r.id, ranges(r)])).toEqual([
      ['ALPINE-CVE-2022-37434', ['Alpine:v3.15 zlib <1.2.12-r2', 'Alpine:v3.16 zlib <1.2.12-r2']],
    ]);
  });

  it('asks for the supported branches and edge by default', async () => {
    const transport = fixtureTransport({});
    await drain(alpineSecdbSource().fetch({ transport, tmpDir }));
    expect(transport.opened).toEqual([`${SECDB_URL}/${DEFAULT_BRANCHES[0]}/main.json`]);
    expect(DEFAULT_BRANCHES).toContain('edge');
  });

  it('a broken file fails the source with VIGIL_SOURCE_INVALID after the records before it', async () => {
    const transport = fixtureTransport({
      [`${MIRROR}/v3.15/main.yaml`]: join(testdata, 'v3.15', 'main.yaml'),
      [`${MIRROR}/v3.15/community.yaml`]: Buffer.from('{"packages": [tru'),
    });
    const source = alpineSecdbSource({ baseUrl: MIRROR, branches: ['v3.15'], format: 'yaml' });
    const { items, error } = await drain(source.fetch({ transport, tmpDir }));
    expect(records(items)).toHaveLength(13);
    expect(isVigilError(error, 'VIGIL_SOURCE_INVALID')).toBe(true);
  });
});
