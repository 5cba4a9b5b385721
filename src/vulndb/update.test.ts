import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VigilError } from '../core/errors.ts';
import type { VulnDbReader } from '../core/osv.ts';
import { osvSource } from './sources/osv/index.ts';
import { openVulnDb } from './store-reader.ts';
import { inlineSource, osvRecord, writeMirrorZip } from './testing.ts';
import { createTransport } from './transport.ts';
import type { SourceItem, VulnSource } from './types.ts';
import { updateDatabase } from './update.ts';

const testdata = join(dirname(fileURLToPath(import.meta.url)), 'testdata', 'osv');
const transport = createTransport();
const clock = (iso: string) => () => new Date(iso);

let dir: string;
let dbPath: string;
let readers: VulnDbReader[];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-update-'));
  dbPath = join(dir, 'data', 'vuln.db');
  readers = [];
});
afterEach(async () => {
  for (const reader of readers) reader.close();
  await rm(dir, { recursive: true, force: true });
});

function open(): VulnDbReader {
  const reader = openVulnDb(dbPath);
  readers.push(reader);
  return reader;
}

function update(sources: VulnSource[], now = '2026-11-01T00:00:00Z') {
  return updateDatabase({ dbPath, sources, transport, now: clock(now) });
}

const ids = (reader: VulnDbReader, ecosystem: string, name: string) =>
  reader
    .recordsFor(ecosystem, name)
    .map((record) => record.id)
    .sort();

const osvItems = (...records: ReturnType<typeof osvRecord>[]): SourceItem[] =>
  records.map((record) => ({ kind: 'osv', record }));

describe('updateDatabase from the real npm fixture', () => {
  it('indexes records by package, keeps withdrawn ones out and folds name case', async () => {
    const result = await update([osvSource('npm', pathToFileURL(testdata).href)]);
    expect(result.sources).toMatchObject([{ name: 'osv:npm', outcome: 'landed', added: 62, removed: 0, skipped: 0 }]);
    const reader = open();
    // minimist has 5 records in the zip; GHSA-7fhm-mqm4-2wp7 is withdrawn
    expect(ids(reader, 'npm', 'minimist')).not.toContain('GHSA-7fhm-mqm4-2wp7');
    expect(ids(reader, 'npm', 'minimist').length).toBeGreaterThan(0);
    // GHSA-8hc4-vh64-cxmj spells the package "Axios"; npm names compare case-insensitively
    expect(ids(reader, 'npm', 'axios')).toContain('GHSA-8hc4-vh64-cxmj');
    expect(ids(reader, 'npm', 'AXIOS')).toEqual(ids(reader, 'npm', 'axios'));
    expect(reader.recordsFor('npm', 'no-such-package')).toEqual([]);
    expect(reader.recordsFor('PyPI', 'lodash')).toEqual([]);
    expect(reader.ecosystems()).toEqual(['npm']);
    expect(reader.status()).toMatchObject({
      schemaVersion: 3,
      builtAt: '2026-11-01T00:00:00.000Z',
      sources: [{ name: 'osv:npm', records: 62, updatedAt: '2026-11-01T00:00:00.000Z', stale: false }],
    });
  });

  it('returns records with the fields they were published with', async () => {
    await update([osvSource('Ubuntu', pathToFileURL(testdata).href)]);
    const reader = open();
    const [record] = reader.recordsFor('Ubuntu', 'jansson').filter((r) => r.id === 'UBUNTU-CVE-2020-36325');
    // withdrawn upstream (2025-06-23): not returned
    expect(record).toBeUndefined();
    expect(reader.ecosystems()).toContain('Ubuntu:22.04:LTS');
    expect(reader.ecosystems()).toContain('Ubuntu:Pro:14.04:LTS');
  });
});

describe('incremental updates', () => {
  it('skips unchanged records, replaces newer ones and removes what the source dropped', async () => {
    const mirror = join(dir, 'mirror');
    const base = pathToFileURL(mirror).href;
    await writeMirrorZip(mirror, 'npm', [
      osvRecord('GHSA-1', { name: 'a' }),
      osvRecord('GHSA-2', { name: 'b' }),
      osvRecord('GHSA-3', { name: 'c' }),
    ]);
    await update([osvSource('npm', base)]);

    await writeMirrorZip(mirror, 'npm', [
      osvRecord('GHSA-1', { name: 'a' }),
      osvRecord('GHSA-2', { name: 'b-renamed', modified: '2025-06-01T00:00:00Z' }),
      // an older `modified` than stored: left alone
      osvRecord('GHSA-3', { name: 'c-older', modified: '2024-01-01T00:00:00Z' }),
      osvRecord('GHSA-4', { name: 'd' }),
    ]);
    const second = await update([osvSource('npm', base)], '2026-11-02T00:00:00Z');
    expect(second.sources[0]).toMatchObject({ outcome: 'landed', added: 1, updated: 1, unchanged: 2, removed: 0 });
    const reader = open();
    expect(ids(reader, 'npm', 'b')).toEqual([]);
    expect(ids(reader, 'npm', 'b-renamed')).toEqual(['GHSA-2']);
    expect(ids(reader, 'npm', 'c')).toEqual(['GHSA-3']);
    expect(ids(reader, 'npm', 'd')).toEqual(['GHSA-4']);

    await writeMirrorZip(mirror, 'npm', [osvRecord('GHSA-1', { name: 'a' })]);
    const third = await update([osvSource('npm', base)], '2026-11-03T00:00:00Z');
    expect(third.sources[0]).toMatchObject({ added: 0, updated: 0, unchanged: 1, removed: 3 });
    const after = open();
    expect(ids(after, 'npm', 'd')).toEqual([]);
    expect(after.status().sources[0]).toMatchObject({ records: 1, updatedAt: '2026-11-03T00:00:00.000Z' });
  });

  it('keeps the newest copy of an id that a source publishes twice', async () => {
    const first = osvRecord('GHSA-dup', { name: 'old-name' });
    const second = osvRecord('GHSA-dup', { name: 'new-name', modified: '2025-03-01T00:00:00Z' });
    const result = await update([inlineSource('osv:npm', osvItems(first, second))]);
    expect(result.sources[0]).toMatchObject({ outcome: 'landed', added: 1, updated: 1 });
    const reader = open();
    expect(ids(reader, 'npm', 'old-name')).toEqual([]);
    expect(ids(reader, 'npm', 'new-name')).toEqual(['GHSA-dup']);
    expect(reader.status().sources[0]).toMatchObject({ records: 1 });
  });

  it('indexes records with more packages than one batched insert holds', async () => {
    const packages = Array.from({ length: 150 }, (_, i) => ['Debian:12', `libfoo${i}`] as const);
    await update([inlineSource('osv:Debian', osvItems(osvRecord('DSA-1', { packages }), osvRecord('DSA-2')))]);
    const reader = open();
    expect(ids(reader, 'Debian', 'libfoo0')).toEqual(['DSA-1']);
    expect(ids(reader, 'Debian', 'libfoo149')).toEqual(['DSA-1']);
    expect(ids(reader, 'npm', 'left-pad')).toEqual(['DSA-2']);
  });

  it('takes a record out of the index once it is withdrawn', async () => {
    await update([inlineSource('osv:PyPI', osvItems(osvRecord('PYSEC-1', { ecosystem: 'PyPI', name: 'Django' })))]);
    expect(ids(open(), 'PyPI', 'django')).toEqual(['PYSEC-1']);
    const withdrawn = osvRecord('PYSEC-1', {
      ecosystem: 'PyPI',
      name: 'Django',
      modified: '2025-02-01T00:00:00Z',
      withdrawn: '2025-02-01T00:00:00Z',
    });
    const result = await update([inlineSource('osv:PyPI', osvItems(withdrawn))]);
    expect(result.sources[0]).toMatchObject({ updated: 1 });
    expect(ids(open(), 'PyPI', 'django')).toEqual([]);
  });

  it('lists the ecosystems the indexed records name, as the sources now publish them', async () => {
    const debian = (id: string, release: string, spec: { withdrawn?: string; modified?: string } = {}) =>
      osvRecord(id, { ecosystem: `Debian:${release}`, name: 'openssl', ...spec });
    await update([
      inlineSource('osv:Debian', osvItems(debian('DSA-1', '11'), debian('DSA-2', '12'), debian('DSA-3', '13'))),
      inlineSource('osv:npm', osvItems(osvRecord('GHSA-1'))),
    ]);
    expect(open().ecosystems()).toEqual(['Debian:11', 'Debian:12', 'Debian:13', 'npm']);
    // Debian drops DSA-1 and withdraws DSA-3; npm fails and keeps what it had
    await update([
      inlineSource(
        'osv:Debian',
        osvItems(
          debian('DSA-2', '12'),
          debian('DSA-3', '13', { withdrawn: '2025-06-01T00:00:00Z', modified: '2025-06-01T00:00:00Z' }),
        ),
      ),
      inlineSource('osv:npm', [], new Error('HTTP 503')),
    ]);
    expect(open().ecosystems()).toEqual(['Debian:12', 'npm']);
  });

  it('normalizes names per ecosystem on both sides (PEP 503 for PyPI, exact for Go)', async () => {
    await update([
      inlineSource(
        'test',
        osvItems(
          osvRecord('PYSEC-2', { ecosystem: 'PyPI', name: 'Zope.Interface_Extra' }),
          osvRecord('GO-1', { ecosystem: 'Go', name: 'github.com/Foo/bar' }),
          osvRecord('DEB-1', {
            packages: [
              ['Debian:12', 'openssl'],
              ['Debian:11', 'openssl'],
            ],
          }),
        ),
      ),
    ]);
    const reader = open();
    expect(ids(reader, 'PyPI', 'zope-interface-extra')).toEqual(['PYSEC-2']);
    expect(ids(reader, 'PyPI', 'ZOPE_interface.extra')).toEqual(['PYSEC-2']);
    expect(ids(reader, 'Go', 'github.com/foo/bar')).toEqual([]);
    expect(ids(reader, 'Go', 'github.com/Foo/bar')).toEqual(['GO-1']);
    expect(ids(reader, 'Debian', 'openssl')).toEqual(['DEB-1']);
    expect(reader.ecosystems()).toEqual(['Debian:11', 'Debian:12', 'Go', 'PyPI']);
  });

  it('returns one record per id when two sources publish it, the newest', async () => {
    const older = osvRecord('GHSA-multi', {
      packages: [
        ['npm', 'x'],
        ['Maven', 'org.x:x'],
      ],
      fixed: '1.0.0',
    });
    const newer = osvRecord('GHSA-multi', {
      packages: [
        ['npm', 'x'],
        ['Maven', 'org.x:x'],
      ],
      fixed: '1.0.1',
      modified: '2025-09-09T00:00:00Z',
    });
    await update([inlineSource('osv:npm', osvItems(older)), inlineSource('osv:Maven', osvItems(newer))]);
    const records = open().recordsFor('npm', 'x');
    expect(records).toHaveLength(1);
    expect(records[0]?.modified).toBe('2025-09-09T00:00:00Z');
  });
});

describe('an id published by several sources', () => {
  const packages = [
    ['npm', 'x'],
    ['Maven', 'org.x:x'],
  ] as const;

  it('counts only in its newest copy: a withdrawal in one source hides the stale copy in another', async () => {
    const original = osvRecord('GHSA-multi', { packages });
    await update([inlineSource('osv:npm', osvItems(original)), inlineSource('osv:Maven', osvItems(original))]);
    expect(ids(open(), 'Maven', 'org.x:x')).toEqual(['GHSA-multi']);
    const withdrawn = osvRecord('GHSA-multi', {
      packages,
      modified: '2025-10-01T00:00:00Z',
      withdrawn: '2025-10-01T00:00:00Z',
    });
    // npm lands the withdrawal; Maven fails and keeps its older copy
    await update([inlineSource('osv:npm', osvItems(withdrawn)), inlineSource('osv:Maven', [], new Error('HTTP 503'))]);
    const reader = open();
    expect(ids(reader, 'npm', 'x')).toEqual([]);
    expect(ids(reader, 'Maven', 'org.x:x')).toEqual([]);
  });

  it('counts only in its newest copy: a narrowed affected list wins over the older, wider one', async () => {
    const wide = osvRecord('GHSA-multi', { packages });
    const narrow = osvRecord('GHSA-multi', { packages: [['Maven', 'org.x:x']], modified: '2025-10-01T00:00:00Z' });
    await update([inlineSource('osv:npm', osvItems(wide)), inlineSource('osv:Maven', osvItems(narrow))]);
    const reader = open();
    expect(ids(reader, 'npm', 'x')).toEqual([]);
    expect(reader.recordsFor('Maven', 'org.x:x')).toEqual([narrow]);
  });
});

describe('failing sources', () => {
  it('keep their previous data whole, are marked stale, and do not stop the others', async () => {
    await update([
      inlineSource('osv:npm', osvItems(osvRecord('GHSA-1', { name: 'a' }), osvRecord('GHSA-2', { name: 'b' }))),
      inlineSource('osv:Go', osvItems(osvRecord('GO-1', { ecosystem: 'Go', name: 'g' }))),
    ]);
    const failing = inlineSource(
      'osv:npm',
      // a partial download: one record arrived (and changed), then the archive broke
      osvItems(osvRecord('GHSA-1', { name: 'a-changed', modified: '2026-01-01T00:00:00Z' })),
      new VigilError('VIGIL_SOURCE_INVALID', 'https://osv/npm/all.zip is not a readable zip: truncated'),
    );
    const result = await update(
      [failing, inlineSource('osv:Go', osvItems(osvRecord('GO-2', { ecosystem: 'Go', name: 'g' })))],
      '2026-11-05T00:00:00Z',
    );
    expect(result.sources).toMatchObject([
      { name: 'osv:npm', outcome: 'failed', error: expect.stringContaining('VIGIL_SOURCE_INVALID'), added: 0 },
      { name: 'osv:Go', outcome: 'landed', added: 1, removed: 1 },
    ]);
    const reader = open();
    expect(ids(reader, 'npm', 'a')).toEqual(['GHSA-1']);
    expect(ids(reader, 'npm', 'b')).toEqual(['GHSA-2']);
    expect(ids(reader, 'npm', 'a-changed')).toEqual([]);
    expect(ids(reader, 'Go', 'g')).toEqual(['GO-2']);
    expect(reader.status().sources).toEqual([
      { name: 'osv:Go', records: 1, updatedAt: '2026-11-05T00:00:00.000Z', stale: false },
      {
        name: 'osv:npm',
        records: 2,
        updatedAt: '2026-11-01T00:00:00.000Z',
        stale: true,
        lastError: expect.stringContaining('truncated'),
      },
    ]);

    // the next good update clears the mark
    await update([inlineSource('osv:npm', osvItems(osvRecord('GHSA-1', { name: 'a' })))], '2026-11-06T00:00:00Z');
    expect(
      open()
        .status()
        .sources.find((s) => s.name === 'osv:npm'),
    ).toEqual({
      name: 'osv:npm',
      records: 1,
      updatedAt: '2026-11-06T00:00:00.000Z',
      stale: false,
    });
  });

  it('are stale with no data when they never landed', async () => {
    const result = await update([inlineSource('kev', [], new Error('boom'))]);
    expect(result.sources[0]).toMatchObject({ outcome: 'failed', error: 'boom' });
    expect(open().status().sources).toEqual([{ name: 'kev', records: 0, stale: true, lastError: 'boom' }]);
  });

  it('count skipped entries with their reasons', async () => {
    const result = await update([
      inlineSource('osv:npm', [
        { kind: 'skipped', where: 'npm/all.zip:BAD.json', reason: 'invalid JSON' },
        ...osvItems(osvRecord('GHSA-1')),
      ]),
    ]);
    expect(result.sources[0]).toMatchObject({
      added: 1,
      skipped: 1,
      skippedEntries: [{ where: 'npm/all.zip:BAD.json', reason: 'invalid JSON' }],
    });
  });
});

describe('enrichment', () => {
  it('stores KEV, EPSS and NVD CVSS and replaces them whole on the next landing', async () => {
    await update([
      inlineSource('kev', [
        { kind: 'kev', entry: { cveId: 'CVE-2021-44228', dateAdded: '2021-12-10', knownRansomwareCampaignUse: true } },
        { kind: 'kev', entry: { cveId: 'CVE-2014-0160', dateAdded: '2022-05-04' } },
      ]),
      inlineSource('epss', [
        { kind: 'epss', entry: { cveId: 'CVE-2021-44228', score: 0.97, percentile: 0.999, date: '2025-02-20' } },
      ]),
      inlineSource('nvd', [
        {
          kind: 'nvd',
          cvss: {
            cveId: 'CVE-2021-44228',
            type: 'CVSS_V3',
            vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H',
            baseScore: 10,
          },
        },
        { kind: 'nvd', cvss: { cveId: 'CVE-2021-44228', type: 'CVSS_V2', vector: 'AV:N/AC:M/Au:N/C:C/I:C/A:C' } },
      ]),
    ]);
    const reader = open();
    expect(reader.kev('CVE-2021-44228')).toEqual({
      cveId: 'CVE-2021-44228',
      dateAdded: '2021-12-10',
      knownRansomwareCampaignUse: true,
    });
    expect(reader.kev('CVE-2000-0001')).toBeUndefined();
    expect(reader.epss('CVE-2021-44228')).toEqual({
      cveId: 'CVE-2021-44228',
      score: 0.97,
      percentile: 0.999,
      date: '2025-02-20',
    });
    expect(reader.nvdCvss('CVE-2021-44228')).toEqual([
      { cveId: 'CVE-2021-44228', type: 'CVSS_V2', vector: 'AV:N/AC:M/Au:N/C:C/I:C/A:C' },
      {
        cveId: 'CVE-2021-44228',
        type: 'CVSS_V3',
        vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H',
        baseScore: 10,
      },
    ]);
    expect(reader.nvdCvss('CVE-2000-0001')).toEqual([]);

    const second = await update([
      inlineSource('kev', [
        { kind: 'kev', entry: { cveId: 'CVE-2021-44228', dateAdded: '2021-12-10', knownRansomwareCampaignUse: true } },
      ]),
    ]);
    expect(second.sources[0]).toMatchObject({ added: 0, unchanged: 1, removed: 1 });
    expect(open().kev('CVE-2014-0160')).toBeUndefined();
  });
});

describe('the swap', () => {
  it('leaves the previous DB untouched and no scratch files when an update is cancelled', async () => {
    await update([inlineSource('osv:npm', osvItems(osvRecord('GHSA-1', { name: 'a' })))]);
    const controller = new AbortController();
    const cancelling: VulnSource = {
      name: 'osv:npm',
      async *fetch() {
        yield { kind: 'osv', record: osvRecord('GHSA-2', { name: 'a' }) };
        controller.abort();
        yield { kind: 'osv', record: osvRecord('GHSA-3', { name: 'a' }) };
      },
    };
    await expect(
      updateDatabase({ dbPath, sources: [cancelling], transport, signal: controller.signal }),
    ).rejects.toMatchObject({ code: 'VIGIL_ABORTED' });
    expect(ids(open(), 'npm', 'a')).toEqual(['GHSA-1']);
    expect(await readdir(dirname(dbPath))).toEqual(['vuln.db']);
  });

  it('keeps a reader opened before the update on the old data, and a new reader sees the new', async () => {
    await update([inlineSource('osv:npm', osvItems(osvRecord('GHSA-1', { name: 'a' })))]);
    const before = open();
    await update([inlineSource('osv:npm', osvItems(osvRecord('GHSA-9', { name: 'a' })))]);
    expect(ids(before, 'npm', 'a')).toEqual(['GHSA-1']);
    expect(ids(open(), 'npm', 'a')).toEqual(['GHSA-9']);
  });

  it('rebuilds a file that is not a Vigil DB instead of failing', async () => {
    await rm(dirname(dbPath), { recursive: true, force: true });
    await update([]);
    await writeFile(dbPath, 'garbage');
    await update([inlineSource('osv:npm', osvItems(osvRecord('GHSA-1', { name: 'a' })))]);
    expect(ids(open(), 'npm', 'a')).toEqual(['GHSA-1']);
  });
});

describe('openVulnDb', () => {
  it('says how to get a DB when there is none', () => {
    expect(() => openVulnDb(join(dir, 'none.db'))).toThrow(
      expect.objectContaining({ code: 'VIGIL_DB_MISSING', message: expect.stringContaining('vigil db update') }),
    );
  });

  it('reports a file that is not a DB as corrupt', async () => {
    const path = join(dir, 'junk.db');
    await writeFile(path, 'this is not sqlite, not even close; '.repeat(200));
    expect(() => openVulnDb(path)).toThrow(expect.objectContaining({ code: 'VIGIL_DB_CORRUPT' }));
    expect(existsSync(path)).toBe(true);
  });
});
