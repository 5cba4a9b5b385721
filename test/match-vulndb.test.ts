/**
 * The matcher over the real SQLite store (src/vulndb), fed by the real native-feed parsers: the
 * Debian security tracker JSON and Alpine secdb fixtures of src/vulndb/sources (see their
 * PROVENANCE.md) plus the matcher's own OSV test records. Checks that the store honours the
 * VulnDbReader contract the matcher relies on: the same inventory gives the same findings over the
 * store as over the in-memory reader.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OsvRecord, VulnDbReader } from '../src/core/osv.ts';
import type { Distro, Package } from '../src/core/types.ts';
import { matchInventory } from '../src/match/index.ts';
import { InMemoryVulnDb, inventoryOf, readRecords } from '../src/match/testing.ts';
import { openVulnDb, type SourceItem, type Transport, updateDatabase } from '../src/vulndb/index.ts';
import { parseSecdb } from '../src/vulndb/sources/alpine-secdb/parser.ts';
import { parseDebianTracker } from '../src/vulndb/sources/debian-tracker/parser.ts';
import { inlineSource } from '../src/vulndb/testing.ts';

const root = join(import.meta.dirname, '..');
const matchTestdata = join(root, 'src/match/testdata');
const osvRecords: OsvRecord[] = ['npm', 'pypi', 'go', 'ubuntu', 'almalinux', 'written'].flatMap((d) =>
  readRecords(join(matchTestdata, d)),
);
const MODIFIED = '2026-11-01T00:00:00Z';

async function collect(items: AsyncIterable<SourceItem> | Iterable<SourceItem>): Promise<SourceItem[]> {
  const out: SourceItem[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const unusedTransport: Transport = {
  open: () => Promise.reject(new Error('inline sources use no transport')),
  download: () => Promise.reject(new Error('inline sources use no transport')),
};

let dir: string;
let store: VulnDbReader;
let memory: InMemoryVulnDb;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-match-'));
  const debian = await collect(
    parseDebianTracker([readFileSync(join(root, 'src/vulndb/sources/debian-tracker/testdata/vunnel-debian.json'))], {
      modified: MODIFIED,
    }),
  );
  const alpine = await collect(
    parseSecdb(readFileSync(join(root, 'src/vulndb/sources/alpine-secdb/testdata/v3.15/main.yaml'), 'utf8'), {
      branch: 'v3.15',
      repository: 'main',
      modified: MODIFIED,
    }),
  );
  const osv = osvRecords.map((record): SourceItem => ({ kind: 'osv', record }));
  const dbPath = join(dir, 'vuln.db');
  await updateDatabase({
    dbPath,
    transport: unusedTransport,
    sources: [
      inlineSource('osv:test', osv),
      inlineSource('debian-tracker', debian),
      inlineSource('alpine-secdb', alpine),
    ],
  });
  store = openVulnDb(dbPath);
  const nativeRecords = [...debian, ...alpine].flatMap((item) => (item.kind === 'osv' ? [item.record] : []));
  memory = new InMemoryVulnDb([...osvRecords, ...nativeRecords]);
});

afterAll(() => {
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

function pkg(type: string, name: string, version: string, extra: Partial<Package> = {}): Package {
  return { type, name, version, purl: `pkg:${type}/${name}@${version}`, locations: ['x'], ...extra };
}
const os = (id: string, versionId: string): Distro => ({ id, versionId, source: 'etc/os-release' });
const now = new Date('2026-12-01T00:00:00Z');

const cases: ReadonlyArray<
  readonly [string, Distro | undefined, Package[], Readonly<Record<string, readonly string[]>>]
> = [
  [
    // tracker: sope bookworm resolved in 5.8.0-1+deb12u1
    'Debian 12 from the tracker feed',
    os('debian', '12.4'),
    [pkg('deb', 'libsope1', '5.8.0-1', { sourceName: 'sope' })],
    { 'CVE-2025-53603': ['DEBIAN-CVE-2025-53603'] },
  ],
  [
    // tracker: chromium bullseye resolved in 98.0.4758.80-1~deb11u1
    'Debian 11 from the tracker feed',
    os('debian', '11'),
    [pkg('deb', 'chromium', '90.0.4430.212-1', { sourceName: 'chromium' })],
    { 'CVE-2022-0456': ['DEBIAN-CVE-2022-0456'] },
  ],
  [
    // secdb v3.15 main: zlib 1.2.12-r0 fixes CVE-2018-25032, 1.2.12-r2 fixes CVE-2022-37434
    'Alpine 3.15 from secdb, through origin',
    os('alpine', '3.15.4'),
    [pkg('apk', 'zlib-dev', '1.2.12-r0', { sourceName: 'zlib' })],
    { 'CVE-2022-37434': ['ALPINE-CVE-2022-37434'] },
  ],
  [
    'Debian 12 glibc: OSV-shaped records and the tracker-shaped one folded',
    os('debian', '12.4'),
    [pkg('deb', 'libc6', '2.36-9+deb12u1', { sourceName: 'glibc' })],
    {
      'CVE-2023-4911': ['CVE-2023-4911', 'DEBIAN-CVE-2023-4911', 'DSA-5514-1'],
      'CVE-2023-4527': ['DEBIAN-CVE-2023-4527', 'DSA-5514-1'],
      'CVE-2010-4756': ['DEBIAN-CVE-2010-4756'],
    },
  ],
  [
    'npm and PyPI',
    undefined,
    [
      pkg('npm', 'lodash', '4.17.20', { ecosystem: 'npm' }),
      pkg('npm', 'axios', '1.6.0', { ecosystem: 'npm' }),
      pkg('pypi', 'Jinja2', '2.10', { ecosystem: 'PyPI' }),
    ],
    {
      'CVE-2021-23337': ['GHSA-35jh-r3h4-6jhm'],
      'CVE-2020-28500': ['GHSA-29mw-wpgm-hmr9'],
      'CVE-2024-39338': ['GHSA-8hc4-vh64-cxmj'],
      'CVE-2019-10906': ['PYSEC-2019-217'],
      'CVE-2020-28493': ['GHSA-g3rq-g295-4j3m', 'PYSEC-2021-66'],
      'CVE-2024-22195': ['GHSA-h5c8-rqwp-cp95'],
    },
  ],
];

describe('matching over the SQLite store', () => {
  it.each(cases)('%s', (_, distro, packages, want) => {
    const result = matchInventory(inventoryOf(packages, distro), store, { now });
    const got = Object.fromEntries(result.findings.map((f) => [f.id, [...f.sources].sort()]));
    expect(got).toEqual(Object.fromEntries(Object.entries(want).map(([id, s]) => [id, [...s].sort()])));
    // the same answer, finding for finding, as over the in-memory reader of the same records
    expect(result).toEqual(matchInventory(inventoryOf(packages, distro), memory, { now }));
  });

  it('the store lists the ecosystems the distro status reads', () => {
    const result = matchInventory(inventoryOf([], os('alpine', '3.15.4')), store, { now });
    expect(result.distroStatus).toMatchObject({ ecosystem: 'Alpine:v3.15', state: 'end-of-life', dataAvailable: true });
  });
});
