/**
 * The SQLite vulnerability DB against the matcher's reference reader: after importing the real npm
 * and Ubuntu OSV zips (src/vulndb/testdata/osv, see PROVENANCE.md there), `recordsFor` answers for
 * every package named in them exactly as the in-memory reader over the same records does, and
 * `matchInventory` finds the same vulnerabilities through either.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseEcosystem } from '../src/core/ecosystem.ts';
import type { OsvRecord, VulnDbReader } from '../src/core/osv.ts';
import type { Package } from '../src/core/types.ts';
import { matchInventory } from '../src/match/index.ts';
import { InMemoryVulnDb, inventoryOf } from '../src/match/testing.ts';
import { createTransport, openVulnDb, osvSource, updateDatabase } from '../src/vulndb/index.ts';
import { collect } from '../src/vulndb/testing.ts';

const mirror = pathToFileURL(join(import.meta.dirname, '../src/vulndb/testdata/osv')).href;

let dir: string;
let sqlite: VulnDbReader;
let records: OsvRecord[];
let memory: InMemoryVulnDb;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-vulndb-match-'));
  const sources = ['npm', 'Ubuntu'].map((ecosystem) => osvSource(ecosystem, mirror));
  const transport = createTransport();
  records = [];
  for (const source of sources) {
    for (const item of await collect(source.fetch({ transport, tmpDir: dir }))) {
      if (item.kind === 'osv') records.push(item.record);
    }
  }
  await updateDatabase({ dbPath: join(dir, 'vuln.db'), sources, transport });
  sqlite = openVulnDb(join(dir, 'vuln.db'));
  memory = new InMemoryVulnDb(records);
});
afterAll(async () => {
  sqlite?.close();
  await rm(dir, { recursive: true, force: true });
});

const ids = (found: readonly OsvRecord[]) => found.map((record) => record.id).sort();

describe('SQLite reader and the in-memory reference agree', () => {
  it('on recordsFor for every package the records name, in any spelling npm allows', () => {
    const packages = new Set(
      records.flatMap((record) =>
        (record.affected ?? []).flatMap((a) =>
          a.package ? [`${baseEcosystem(a.package.ecosystem)}\0${a.package.name}`] : [],
        ),
      ),
    );
    expect(packages.size).toBeGreaterThan(40);
    for (const key of packages) {
      const [ecosystem, name] = key.split('\0') as [string, string];
      expect(ids(sqlite.recordsFor(ecosystem, name)), key).toEqual(ids(memory.recordsFor(ecosystem, name)));
      if (ecosystem === 'npm')
        expect(ids(sqlite.recordsFor(ecosystem, name.toUpperCase()))).toEqual(ids(memory.recordsFor(ecosystem, name)));
    }
  });

  it('on the ecosystems', () => {
    expect([...sqlite.ecosystems()].sort()).toEqual([...memory.ecosystems()].sort());
  });

  it('on the findings for a Node app with old dependencies', () => {
    const installed: Array<[string, string]> = [
      ['lodash', '4.17.4'],
      ['minimist', '1.2.0'],
      ['express', '4.16.0'],
      ['axios', '0.21.1'],
      ['node-fetch', '2.6.0'],
      ['jsonwebtoken', '8.5.1'],
      ['qs', '6.5.2'],
    ];
    const packages: Package[] = installed.map(([name, version], i) => ({
      type: 'npm',
      ecosystem: 'npm',
      name,
      version,
      purl: `pkg:npm/${name}@${version}`,
      locations: [`app/node_modules/${i}/${name}/package.json`],
      layerDiffId: 'sha256:layer',
      layerIndex: 0,
    }));
    const inventory = inventoryOf(packages);
    const now = new Date('2026-11-01T00:00:00Z');
    const fromSqlite = matchInventory(inventory, sqlite, { now }).findings.map((f) => `${f.package.name} ${f.id}`);
    const fromMemory = matchInventory(inventory, memory, { now }).findings.map((f) => `${f.package.name} ${f.id}`);
    expect(fromSqlite.length).toBeGreaterThan(10);
    expect(fromSqlite).toEqual(fromMemory);
  });
});
