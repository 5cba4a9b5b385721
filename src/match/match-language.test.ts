/**
 * Language packages by OSV ecosystem and name, on real records (testdata/pypi: GHSA + PYSEC for
 * requests, PyYAML and Jinja2; testdata/go: golang/vulndb). Expectations hand-checked against the
 * records' events (see the comment on each row).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { OsvRecord } from '../core/osv.ts';
import type { Package } from '../core/types.ts';
import { matchInventory } from './index.ts';
import { InMemoryVulnDb, inventoryOf, readRecords } from './testing.ts';

const testdata = join(import.meta.dirname, 'testdata');
const db = new InMemoryVulnDb(['pypi', 'go', 'npm'].flatMap((dir) => readRecords(join(testdata, dir))));

function lang(ecosystem: string, name: string, version: string): Package {
  return {
    type: ecosystem.toLowerCase(),
    ecosystem,
    name,
    version,
    purl: `pkg:x/${name}@${version}`,
    locations: ['app'],
  };
}

const rows: ReadonlyArray<readonly [string, Package, Readonly<Record<string, readonly string[]>>]> = [
  [
    // GHSA-3pqx [5.1, 5.2) + PYSEC-2020-176 [5.1, 5.2b1); GHSA-6757 [0, 5.3.1) + PYSEC-2020-96 [5.1, 5.3.1);
    // PYSEC-2021-142 [0, 5.4); GHSA-rprw [0, 4.1) and PYSEC-2018-49 [0, 5.1) end at or below 5.1
    'PyYAML 5.1 (records spell it pyyaml and PyYAML: PEP 503)',
    lang('PyPI', 'PyYAML', '5.1'),
    {
      'CVE-2019-20477': ['GHSA-3pqx-4fqf-j49f', 'PYSEC-2020-176'],
      'CVE-2020-1747': ['GHSA-6757-jp84-gxfx', 'PYSEC-2020-96'],
      'CVE-2020-14343': ['PYSEC-2021-142'],
    },
  ],
  [
    // GHSA-x84v + PYSEC-2018-28 [0, 2.20.0); GHSA-j8r2 + PYSEC-2023-74 [2.3.0, 2.31.0); GHSA-9wx4 [0, 2.32.2)
    'requests 2.19.1',
    lang('PyPI', 'requests', '2.19.1'),
    {
      'CVE-2018-18074': ['GHSA-x84v-xcm2-53pg', 'PYSEC-2018-28'],
      'CVE-2023-32681': ['GHSA-j8r2-6x86-q33q', 'PYSEC-2023-74'],
      'CVE-2024-35195': ['GHSA-9wx4-h78v-vm56'],
    },
  ],
  [
    // PYSEC-2019-217 [0, 2.10.1); GHSA-g3rq + PYSEC-2021-66 [0, 2.11.3); GHSA-h5c8 [0, 3.1.3)
    'Jinja2 2.10 (records spell it jinja2 and Jinja2)',
    lang('PyPI', 'Jinja2', '2.10'),
    {
      'CVE-2019-10906': ['PYSEC-2019-217'],
      'CVE-2020-28493': ['GHSA-g3rq-g295-4j3m', 'PYSEC-2021-66'],
      'CVE-2024-22195': ['GHSA-h5c8-rqwp-cp95'],
    },
  ],
  ['requests 2.32.3: clean', lang('PyPI', 'requests', '2.32.3'), {}],
  [
    // GO-2026-6091 [1.26.0-0, 1.26.6); GO-2026-5942 [1.26.0-0, 1.26.6)
    'Go stdlib go1.26.2 (toolchain spelling)',
    lang('Go', 'stdlib', 'go1.26.2'),
    { 'CVE-2026-56858': ['GO-2026-6091'], 'CVE-2026-46600': ['GO-2026-5942'] },
  ],
  [
    'Go stdlib go1.27rc2 is 1.27.0-rc.2, below the fix 1.27.0-rc.3',
    lang('Go', 'stdlib', 'go1.27rc2'),
    { 'CVE-2026-56858': ['GO-2026-6091'], 'CVE-2026-46600': ['GO-2026-5942'] },
  ],
  ['Go stdlib go1.25.13: fixed', lang('Go', 'stdlib', 'go1.25.13'), {}],
  ['Go module with a v prefix', lang('Go', 'golang.org/x/net', 'v0.55.0'), { 'CVE-2026-46600': ['GO-2026-5942'] }],
  ['Go module at the fix', lang('Go', 'golang.org/x/net', 'v0.56.0'), {}],
  ['Go module paths are case-sensitive', lang('Go', 'golang.org/x/Net', 'v0.55.0'), {}],
  [
    'npm names are case-insensitive',
    lang('npm', 'Lodash', '4.17.20'),
    { 'CVE-2021-23337': ['GHSA-35jh-r3h4-6jhm'], 'CVE-2020-28500': ['GHSA-29mw-wpgm-hmr9'] },
  ],
];

describe('language packages', () => {
  it.each(rows)('%s', (_, pkg, want) => {
    const { findings } = matchInventory(inventoryOf([pkg]), db);
    const got = Object.fromEntries(findings.map((f) => [f.id, [...f.sources].sort()]));
    expect(got).toEqual(want);
  });

  it("the application's own root package is not matched as the registry package of that name; a Go main module is", () => {
    const app = { ...lang('PyPI', 'requests', '2.19.1'), root: true };
    expect(matchInventory(inventoryOf([app]), db).findings).toEqual([]);
    const goMain = { ...lang('Go', 'golang.org/x/net', 'v0.0.0-20200226121028-0de0cce0169b'), root: true };
    const plain = { ...goMain, root: false };
    expect(matchInventory(inventoryOf([goMain]), db).findings.map((f) => f.id)).toEqual(
      matchInventory(inventoryOf([plain]), db).findings.map((f) => f.id),
    );
    expect(matchInventory(inventoryOf([plain]), db).findings.length).toBeGreaterThan(0);
  });

  it('unions the fixed versions of records folded into one finding', () => {
    const { findings } = matchInventory(inventoryOf([lang('PyPI', 'pyyaml', '5.1')]), db);
    expect(findings.find((f) => f.id === 'CVE-2019-20477')?.fixedVersions).toEqual(['5.2b1', '5.2']);
  });

  it('notes GIT ranges it ignores, and still matches the ECOSYSTEM range beside them', () => {
    const result = matchInventory(inventoryOf([lang('PyPI', 'requests', '2.19.1')]), db);
    expect(result.notes).toEqual([
      "GIT ranges ignored (they need the repository's commit graph) in 3 record(s); their ECOSYSTEM/SEMVER ranges and versions lists were used: PYSEC-2015-17, PYSEC-2018-28, PYSEC-2023-74",
    ]);
    expect(result.findings.map((f) => f.id)).toContain('CVE-2018-18074');
  });

  it.each([
    ['npm', 'lodash', 'latest', /lodash: version "latest" is not a valid semver version/],
    ['Go', 'stdlib', '(devel)', /stdlib: version "\(devel\)" is not a valid go version/],
  ])('an unparsable %s version is a note, not a finding or a crash', (ecosystem, name, version, note) => {
    const result = matchInventory(inventoryOf([lang(ecosystem, name, version)]), db);
    expect(result.findings).toEqual([]);
    expect(result.notes.join('\n')).toMatch(note);
  });

  it('a language package without an ecosystem field is matched by its purl type (SBOMs of other tools)', () => {
    const { ecosystem: _, ...bare } = lang('npm', 'lodash', '4.17.20');
    const result = matchInventory(inventoryOf([bare]), db);
    expect(result.findings.map((f) => [f.id, f.package.ecosystem])).toEqual([
      ['CVE-2020-28500', 'npm'],
      ['CVE-2021-23337', 'npm'],
    ]);
  });

  it('withdrawn records never match, even from a reader that hands them out', () => {
    const withdrawn = readRecords(join(testdata, 'npm')).filter((r) => r.withdrawn !== undefined);
    expect(withdrawn.map((r) => r.id)).toEqual(['GHSA-7fhm-mqm4-2wp7', 'GHSA-pgv6-jrvv-75jp']);
    class LeakyDb extends InMemoryVulnDb {
      override recordsFor(): readonly OsvRecord[] {
        return withdrawn;
      }
    }
    const result = matchInventory(
      inventoryOf([lang('npm', 'minimist', '1.2.0'), lang('npm', 'send', '0.8.0')]),
      new LeakyDb([]),
    );
    expect(result.findings).toEqual([]);
  });

  it('caches are per reader: one id and modified time in two DBs may hold different ranges', () => {
    const version = (fixed: string): OsvRecord => ({
      id: 'GHSA-same',
      modified: '2024-01-01T00:00:00Z',
      affected: [
        {
          package: { ecosystem: 'npm', name: 'p' },
          ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed }] }],
        },
      ],
    });
    const inventory = inventoryOf([lang('npm', 'p', '1.5.0')]);
    expect(matchInventory(inventory, new InMemoryVulnDb([version('2.0.0')])).findings).toHaveLength(1);
    expect(matchInventory(inventory, new InMemoryVulnDb([version('1.0.0')])).findings).toHaveLength(0);
  });

  it('an ecosystem Vigil cannot order is a note', () => {
    const result = matchInventory(inventoryOf([lang('Hex', 'plug', '1.0.0')]), db);
    expect(result.notes).toEqual(['ecosystem "Hex" is not supported; plug not matched']);
  });

  it('without a distro, OS packages are counted in a note', () => {
    const deb: Package = { type: 'deb', name: 'libc6', version: '2.36-9', purl: 'pkg:deb/debian/libc6', locations: [] };
    const result = matchInventory(inventoryOf([deb]), db);
    expect(result.distroStatus).toEqual({ state: 'none', dataAvailable: false });
    expect(result.notes).toEqual(['1 OS package(s) not matched: no supported distro']);
  });
});
