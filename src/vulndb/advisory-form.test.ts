/**
 * The matcher's stored form of records (advisory-form.ts): what it keeps and drops, that stored
 * rows read back as written, that a damaged row is a clear VIGIL_DB_CORRUPT, and, differentially,
 * that matching through the stored forms finds exactly what matching the whole records finds, on
 * every real record in src/match/testdata and on generated ones.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseEcosystem } from '../core/ecosystem.ts';
import type { OsvAffected, OsvRecord, VulnDbReader } from '../core/osv.ts';
import type { Distro, Package } from '../core/types.ts';
import { matchInventory } from '../match/index.ts';
import { inventoryOf, readRecords, versionSamples } from '../match/testing.ts';
import { AdvisoryFormError, matchingAffected, readEntries, readHead, recordHead } from './advisory-form.ts';
import { osvRow } from './osv-row.ts';
import { openVulnDb } from './store-reader.ts';
import { inlineSource, osvRecord } from './testing.ts';
import { createTransport } from './transport.ts';
import { updateDatabase } from './update.ts';

const matchTestdata = join(import.meta.dirname, '..', 'match', 'testdata');
const realRecords = ['almalinux', 'go', 'npm', 'pypi', 'ubuntu', 'osv-examples', 'written'].flatMap((dir) =>
  readRecords(join(matchTestdata, dir)),
);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-advisory-form-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function storeOf(name: string, records: readonly OsvRecord[]): Promise<string> {
  const dbPath = join(dir, `${name}.db`);
  const items = records.map((record) => ({ kind: 'osv' as const, record }));
  await updateDatabase({ dbPath, sources: [inlineSource('osv:test', items)], transport: createTransport() });
  return dbPath;
}

/** the same SQLite reader without its stored forms: the matcher then reads the whole records */
function wholeRecords(reader: VulnDbReader): VulnDbReader {
  return {
    recordsFor: (base, name) => reader.recordsFor(base, name),
    ecosystems: () => reader.ecosystems(),
    kev: (cve) => reader.kev(cve),
    epss: (cve) => reader.epss(cve),
    nvdCvss: (cve) => reader.nvdCvss(cve),
    status: () => reader.status(),
    close: () => {},
  };
}

describe('recordHead and matchingAffected', () => {
  const record: OsvRecord = {
    schema_version: '1.6.0',
    id: 'GHSA-1',
    modified: '2025-01-01T00:00:00Z',
    published: '2024-01-01T00:00:00Z',
    aliases: ['CVE-2024-1'],
    related: ['CVE-2024-2'],
    summary: 'a flaw',
    details: 'long prose\nsecond line',
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
    database_specific: { severity: 'HIGH', cwe_ids: ['CWE-79'] },
    references: [{ type: 'WEB', url: 'https://example.org/1' }],
    affected: [
      {
        package: { ecosystem: 'npm', name: 'left-pad', purl: 'pkg:npm/left-pad' },
        ranges: [{ type: 'SEMVER', repo: 'https://x', events: [{ introduced: '0' }, { fixed: '1.0.0' }] }],
        versions: ['0.9.0'],
        ecosystem_specific: { imports: [{ path: 'x', symbols: ['A'] }], urgency: 'low' },
        database_specific: { source: 'https://x', wont_fix: true },
      },
    ],
  };

  it('keep what matching and findings read and nothing else', () => {
    expect(recordHead(record)).toEqual({
      id: 'GHSA-1',
      modified: '2025-01-01T00:00:00Z',
      published: '2024-01-01T00:00:00Z',
      aliases: ['CVE-2024-1'],
      summary: 'a flaw',
      severity: record.severity,
      database_specific: { severity: 'HIGH' },
      references: record.references,
    });
    expect(matchingAffected(record.affected?.[0] as OsvAffected)).toEqual({
      package: { ecosystem: 'npm', name: 'left-pad' },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.0.0' }] }],
      versions: ['0.9.0'],
      ecosystem_specific: { urgency: 'low' },
      database_specific: { wont_fix: true },
    });
  });

  it.each([
    [
      'no summary: the first line of details, as a finding shows it',
      { details: '\n  first line \nsecond' },
      'first line',
    ],
    ['a blank summary: likewise', { summary: ' ', details: 'first' }, 'first'],
    ['a long first line: cut as a finding cuts it', { details: 'x'.repeat(300) }, `${'x'.repeat(199)}…`],
    ['a summary: no details', { summary: 'said' }, undefined],
  ])('details: %s', (_, fields, details) => {
    const { summary: _s, details: _d, ...rest } = record;
    expect(recordHead({ ...rest, ...fields }).details).toBe(details);
  });

  it('leave out fields of the wrong type (the import checks only what it indexes)', () => {
    const odd = {
      id: 'X-1',
      modified: '2025-01-01T00:00:00Z',
      summary: 5,
      upstream: ['A', 7],
      severity: [{ type: 'CVSS_V3' }, 'x'],
      references: 'https://x',
      database_specific: { severity: 3 },
    } as unknown as OsvRecord;
    expect(recordHead(odd)).toEqual({ id: 'X-1', modified: '2025-01-01T00:00:00Z', upstream: ['A'] });
  });

  it('read back as written, for every real record that names one package', () => {
    let oneNamed = 0;
    for (const real of realRecords) {
      const row = osvRow(real, JSON.stringify(real));
      // the store keeps the form of a record naming one package; it reads the others whole
      if (real.withdrawn !== undefined || row.packages.length !== 2) {
        expect([row.head, row.entries]).toEqual(['', '']);
        continue;
      }
      oneNamed++;
      expect(readHead(row.head)).toEqual(recordHead(real));
      const expected = (real.affected ?? []).flatMap((affected, index) =>
        affected.package !== undefined ? [{ index, affected: matchingAffected(affected) }] : [],
      );
      expect(readEntries(row.entries), real.id).toEqual(expected);
    }
    expect(oneNamed).toBeGreaterThan(100);
  });
});

describe('a damaged stored form', () => {
  it.each([
    ['not JSON', '{"id":', 'invalid JSON'],
    ['not an object', '[]', 'head is not an object'],
    ['no id', '{"modified":"2025"}', 'no string id'],
    ['aliases of numbers', '{"id":"A","modified":"m","aliases":[1]}', 'aliases is not a list of strings'],
    ['references not a list', '{"id":"A","modified":"m","references":{}}', 'references is not an array'],
    ['a reference without url', '{"id":"A","modified":"m","references":[{"type":"WEB"}]}', 'no string url'],
    ['severity without score', '{"id":"A","modified":"m","severity":[{"type":"CVSS_V3"}]}', 'severity'],
  ])('head: %s', (_, text, reason) => {
    expect(() => readHead(text)).toThrow(AdvisoryFormError);
    expect(() => readHead(text)).toThrow(reason);
  });

  const entry = (affected: unknown, index: unknown = 0) => JSON.stringify([{ index, affected }]);
  const pkg = { ecosystem: 'npm', name: 'p' };
  it.each([
    ['not JSON', '[{', 'invalid JSON'],
    ['empty', '[]', 'non-empty array'],
    ['a negative index', entry({ package: pkg }, -1), 'no index'],
    ['a fractional index', entry({ package: pkg }, 0.5), 'no index'],
    ['no package', entry({ ranges: [] }), 'no package'],
    ['ranges not a list', entry({ package: pkg, ranges: {} }), 'ranges is not an array'],
    ['a range without events', entry({ package: pkg, ranges: [{ type: 'SEMVER' }] }), 'no type and events'],
    [
      'an event of numbers',
      entry({ package: pkg, ranges: [{ type: 'SEMVER', events: [{ introduced: 0 }] }] }),
      'version strings',
    ],
    ['versions of numbers', entry({ package: pkg, versions: [1] }), 'versions'],
    ['ecosystem_specific a string', entry({ package: pkg, ecosystem_specific: 'x' }), 'ecosystem_specific'],
  ])('entries: %s', (_, text, reason) => {
    expect(() => readEntries(text)).toThrow(AdvisoryFormError);
    expect(() => readEntries(text)).toThrow(reason);
  });

  it.each([
    ['its entries', `UPDATE affected SET form = '[{"index":0}]' WHERE form IS NOT NULL`],
    ['its head', "UPDATE affected SET head = 'null' WHERE head IS NOT NULL"],
  ])('makes the reader throw VIGIL_DB_CORRUPT naming the row: %s', async (label, sql) => {
    const dbPath = await storeOf(`damaged-${label.replaceAll(' ', '-')}`, [osvRecord('GHSA-one', { name: 'a' })]);
    const db = new Database(dbPath);
    db.exec(sql);
    db.close();
    const reader = openVulnDb(dbPath);
    try {
      expect(() => reader.advisoriesFor?.('npm', 'a')).toThrow(
        expect.objectContaining({
          code: 'VIGIL_DB_CORRUPT',
          message: expect.stringMatching(/stored form of record row \d+ for npm\/a is damaged/),
        }),
      );
      // the whole records are still there
      expect(reader.recordsFor('npm', 'a').map((r) => r.id)).toEqual(['GHSA-one']);
    } finally {
      reader.close();
    }
  });
});

describe('the store', () => {
  it('keeps the form of a record naming one package in its index row and reads the others whole', async () => {
    const dbPath = await storeOf('heads', [
      osvRecord('GHSA-one', { name: 'a' }),
      osvRecord('GHSA-two', {
        packages: [
          ['npm', 'a'],
          ['npm', 'b'],
        ],
      }),
      osvRecord('GHSA-gone', { name: 'a', withdrawn: '2025-01-02T00:00:00Z' }),
    ]);
    const db = new Database(dbPath, { readonly: true });
    const rows = db
      .prepare('SELECT name, head IS NOT NULL AND form IS NOT NULL AS inline FROM affected ORDER BY record, name')
      .all();
    db.close();
    expect(rows).toEqual([
      { name: 'a', inline: 1 },
      { name: 'a', inline: 0 },
      { name: 'b', inline: 0 },
    ]);
    const reader = openVulnDb(dbPath);
    try {
      const advisories = reader.advisoriesFor?.('npm', 'b') ?? [];
      expect(advisories.map((a) => a.record.id)).toEqual(['GHSA-two']);
      expect(advisories[0]?.entries.map((e) => e.index)).toEqual([1]);
      // the record is read once for both packages
      expect(reader.advisoriesFor?.('npm', 'a')[1]?.record).toBe(advisories[0]?.record);
    } finally {
      reader.close();
    }
  });

  it('replaces the forms and heads of an updated record and drops those of a removed one', async () => {
    const dbPath = join(dir, 'updated.db');
    const two = (summary: string, packages: ReadonlyArray<readonly [string, string]>) => ({
      kind: 'osv' as const,
      record: { ...osvRecord('GHSA-two', { packages, modified: `2025-0${summary.length}-01T00:00:00Z` }), summary },
    });
    const run = (items: Parameters<typeof inlineSource>[1]) =>
      updateDatabase({ dbPath, sources: [inlineSource('osv:test', items)], transport: createTransport() });
    await run([
      two('old', [
        ['npm', 'a'],
        ['npm', 'b'],
      ]),
    ]);
    await run([two('newer', [['npm', 'b']])]);
    let reader = openVulnDb(dbPath);
    expect(reader.advisoriesFor?.('npm', 'a')).toEqual([]);
    expect(reader.advisoriesFor?.('npm', 'b').map((a) => a.record.summary)).toEqual(['newer']);
    reader.close();
    await run([]);
    reader = openVulnDb(dbPath);
    expect(reader.advisoriesFor?.('npm', 'b')).toEqual([]);
    reader.close();
    const db = new Database(dbPath, { readonly: true });
    expect(db.prepare('SELECT count(*) FROM affected').pluck().get()).toBe(0);
    db.close();
  });

  it('rebuilds a file of an older schema at the next update', async () => {
    const dbPath = await storeOf('old-schema', [osvRecord('GHSA-1', { name: 'a' })]);
    const db = new Database(dbPath);
    db.prepare("UPDATE meta SET value = '2' WHERE key = 'schema_version'").run();
    db.close();
    expect(() => openVulnDb(dbPath)).toThrow(
      expect.objectContaining({ code: 'VIGIL_DB_CORRUPT', message: expect.stringContaining('has schema 2') }),
    );
    const items = [{ kind: 'osv' as const, record: osvRecord('GHSA-2', { name: 'a' }) }];
    await updateDatabase({ dbPath, sources: [inlineSource('osv:test', items)], transport: createTransport() });
    const reader = openVulnDb(dbPath);
    expect(reader.status().schemaVersion).toBe(3);
    expect(reader.advisoriesFor?.('npm', 'a').map((a) => a.record.id)).toEqual(['GHSA-2']);
    reader.close();
  });
});

/** a distro per OS ecosystem family the testdata names, and its package type */
const distros: ReadonlyArray<readonly [Distro, string]> = [
  ...['11', '12.5', '14'].map((v) => [os('debian', v), 'deb'] as const),
  ...['14.04', '16.04', '18.04', '20.04', '22.04', '24.04', '25.10'].map((v) => [os('ubuntu', v), 'deb'] as const),
  ...['3.17.2', '3.18.4', '3.19.1'].map((v) => [os('alpine', v), 'apk'] as const),
  ...['8.10', '9.3', '10.0'].map((v) => [os('almalinux', v), 'rpm'] as const),
  [os('rocky', '9.2'), 'rpm'],
  [os('rhel', '9.2'), 'rpm'],
  [os('rhel', '8.9'), 'rpm'],
  [os('sles', '15.5'), 'rpm'],
  [os('opensuse-leap', '15.5'), 'rpm'],
  [os('wolfi', '20230201'), 'apk'],
  [os('chainguard', '20230214'), 'apk'],
];

function os(id: string, versionId: string): Distro {
  return { id, versionId, source: 'etc/os-release' };
}

/** every version an affected entry names, and a few around them */
function versionsOf(affected: OsvAffected): string[] {
  const named = (affected.ranges ?? []).flatMap((range) =>
    range.events.flatMap((event) => [event.introduced, event.fixed, event.last_affected, event.limit]),
  );
  return [...new Set([...named, ...(affected.versions ?? []), '0.0.1', '1.0.0', '99.0'])].filter(
    (v): v is string => v !== undefined && v !== '0' && v.length > 0,
  );
}

/** packages named by the records, at every version they name: language ones, and OS ones of `type` */
function packagesOf(records: readonly OsvRecord[], type: string | undefined): Package[] {
  const packages: Package[] = [];
  for (const record of records) {
    for (const affected of record.affected ?? []) {
      if (affected.package === undefined) continue;
      const { ecosystem, name } = affected.package;
      const language = ['npm', 'PyPI', 'Go', 'crates.io', 'Maven', 'RubyGems'].includes(baseEcosystem(ecosystem));
      if (type === undefined ? !language : language) continue;
      for (const version of versionsOf(affected)) {
        const at = `${record.id}/${packages.length}`;
        const common = { version, purl: `pkg:x/${name}@${version}`, locations: [at] };
        if (type === undefined) packages.push({ type: 'npm', ecosystem, name, ...common });
        // OS: by source name (deb, apk) and by binary and source name (rpm)
        else packages.push({ type, name: `${name}-bin`, sourceName: name, ...common });
        if (type === 'rpm') packages.push({ type, name, sourceName: `${name}-src`, ...common, locations: [`${at}b`] });
      }
    }
  }
  return packages;
}

function expectSameMatches(reader: VulnDbReader, records: readonly OsvRecord[]): number {
  const now = new Date('2026-12-01T00:00:00Z');
  let findings = 0;
  const inventories = [
    inventoryOf(packagesOf(records, undefined)),
    ...distros.map(([distro, type]) => inventoryOf(packagesOf(records, type), distro)),
  ];
  for (const inventory of inventories) {
    const viaForms = matchInventory(inventory, reader, { now });
    const viaRecords = matchInventory(inventory, wholeRecords(reader), { now });
    expect(viaForms, inventory.distro?.id ?? 'language packages').toEqual(viaRecords);
    findings += viaForms.findings.length;
  }
  return findings;
}

describe('matching through the stored forms and through the whole records', () => {
  it('finds the same on every real record of src/match/testdata', async () => {
    const reader = openVulnDb(await storeOf('real', realRecords));
    try {
      expect(reader.advisoriesFor).toBeDefined();
      expect(expectSameMatches(reader, realRecords)).toBeGreaterThan(1000);
    } finally {
      reader.close();
    }
  });

  it('finds the same on generated records', async () => {
    const versionText = fc.constantFrom(...versionSamples);
    const event = fc.oneof(
      versionText.map((v) => ({ introduced: v })),
      versionText.map((v) => ({ fixed: v })),
      versionText.map((v) => ({ last_affected: v })),
      versionText.map((v) => ({ limit: v })),
    );
    const severity = fc.array(
      fc.record({
        type: fc.constantFrom('CVSS_V3', 'CVSS_V2', 'Ubuntu'),
        score: fc.constantFrom(
          'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
          'AV:N/AC:L/Au:N/C:P/I:P/A:P',
          'high',
          'x',
        ),
      }),
      { maxLength: 2 },
    );
    const record: fc.Arbitrary<OsvRecord> = fc.record(
      {
        id: fc.constantFrom('A-1', 'A-2', 'CVE-2024-1', 'GHSA-x', 'USN-1'),
        modified: fc.constantFrom('2024-01-01T00:00:00Z', '2024-06-01T00:00:00Z'),
        published: fc.constantFrom('2023-01-01T00:00:00Z', '2023-06-01T00:00:00Z'),
        aliases: fc.array(fc.constantFrom('A-1', 'A-2', 'CVE-2024-1', 'CVE-2024-2'), { maxLength: 3 }),
        upstream: fc.array(fc.constantFrom('A-1', 'CVE-2024-1', 'CVE-2024-2'), { maxLength: 3 }),
        summary: fc.constantFrom('', ' ', 'Important: a flaw', 'a flaw'),
        details: fc.constantFrom('', 'one line', ' \nfirst\nsecond', 'y'.repeat(250)),
        severity,
        database_specific: fc.constantFrom({}, { severity: 'MODERATE' }, { severity: 4 }),
        references: fc.array(fc.record({ type: fc.constantFrom('WEB', 'FIX'), url: fc.webUrl() }), { maxLength: 2 }),
        affected: fc.array(
          fc.record(
            {
              package: fc.record({
                ecosystem: fc.constantFrom(
                  'npm',
                  'PyPI',
                  'Debian:12',
                  'Alpine:v3.19',
                  'AlmaLinux:9',
                  'Ubuntu:22.04:LTS',
                ),
                name: fc.constantFrom('p', 'P', 'src'),
              }),
              severity,
              ranges: fc.array(
                fc.record({
                  type: fc.constantFrom('SEMVER', 'ECOSYSTEM', 'GIT'),
                  events: fc.array(event, { maxLength: 4 }),
                }),
                { maxLength: 2 },
              ),
              versions: fc.array(versionText, { maxLength: 3 }),
              ecosystem_specific: fc.constantFrom({}, { wont_fix: true }, { urgency: 'high' }, { status: 'ignored' }),
              database_specific: fc.constantFrom({}, { fix_state: 'will not fix' }, { urgency: 'low' }),
            },
            { requiredKeys: ['package'] },
          ),
          { maxLength: 4 },
        ),
      },
      { requiredKeys: ['id', 'modified'] },
    );
    const records = fc.sample(record, { numRuns: 300, seed: 4 });
    const reader = openVulnDb(await storeOf('generated', records));
    try {
      expect(expectSameMatches(reader, records)).toBeGreaterThan(100);
    } finally {
      reader.close();
    }
  });
});
