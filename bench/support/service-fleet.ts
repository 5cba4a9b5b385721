/**
 * What `bench/service.ts` measures against: a generated vulnerability DB shaped like osv.dev's
 * mirror and a fleet of stored images whose inventories hit part of it. Deterministic (seeded), so
 * every run and both dialects see the same rows.
 */
import type { OsvRecord } from '../../src/core/osv.ts';
import type { Store } from '../../src/service/store/index.ts';
import { anInventory, digestOf } from '../../src/service/store/testing.ts';
import type { VulnSource } from '../../src/vulndb/types.ts';
import { seeded } from './seeded.ts';

export interface FleetShape {
  readonly images: number;
  readonly packagesPerImage: number;
}

/**
 * Records per OSV ecosystem. Debian is what the fleet runs on: 12,000 source-package advisories over
 * 12,000 names, of which the fleet installs the first 3,000 (a fleet on a few base images uses a
 * quarter of the archive). The rest only make the DB as large and as mixed as a real mirror.
 */
export const ECOSYSTEM_RECORDS: ReadonlyArray<readonly [ecosystem: string, records: number]> = [
  ['Debian:12', 12_000],
  ['npm', 15_000],
  ['PyPI', 8_000],
  ['Go', 5_000],
  ['Maven', 5_000],
  ['Ubuntu:22.04:LTS', 5_000],
];

/** the Debian package names the fleet draws its inventories from */
export const FLEET_POOL = 3_000;
const DEBIAN_NAMES = 12_000;

const PROSE =
  'A flaw was found in the request parser. An attacker able to send crafted input can cause excessive memory ' +
  'use or read past the end of a buffer, leading to a denial of service or disclosure of memory contents. ';

// 9.8, 7.5, 5.3 and 3.3: one vector per severity band; a fifth of the records carry none (UNKNOWN)
const VECTORS = [
  'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
  'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N',
  'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N',
  'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:L/I:N/A:N',
];

/**
 * One advisory. Debian ones name one source package (sometimes two) and, against the fleet's
 * installed 1.0-1, affect it one time in seven (fixed in 1.2-1, or not fixed at all); the rest were
 * fixed before 1.0-1 and only cost a look-up, as most of a distro's history does. With 300 packages
 * per image that is about 50 findings per image. Language records follow bench/match.ts.
 */
function advisory(ecosystem: string, index: number, random: () => number, revision = 0): OsvRecord {
  const debian = ecosystem.startsWith('Debian');
  const packages = debian ? (random() < 0.2 ? 2 : 1) : 1 + Math.floor(random() * 2);
  const cve = `CVE-${2015 + (index % 11)}-${String(100_000 + index)}`;
  const vector = VECTORS[Math.floor(random() * 5)];
  const roll = random();
  const fixed = debian ? (roll < 0.1 ? '1.2-1' : roll < 0.14 ? undefined : '0.9-1') : `1.${Math.floor(roll * 40)}.0`;
  const prefix =
    ecosystem
      .split(':')[0]
      ?.toUpperCase()
      .replace(/[^A-Z]/g, '') ?? 'OSV';
  return {
    schema_version: '1.6.0',
    id: debian ? `DEBIAN-${cve}` : `${prefix}-SYN-${index}`,
    modified: new Date(Date.UTC(2025, 0, 1) + index * 60_000 + revision * 86_400_000).toISOString(),
    published: new Date(Date.UTC(2020, 0, 1) + Math.floor(random() * 1.5e11)).toISOString(),
    aliases: [cve],
    summary: `Synthetic advisory ${index} in ${ecosystem}`,
    details: PROSE.repeat(1 + Math.floor(random() * 4)),
    ...(vector !== undefined && { severity: [{ type: 'CVSS_V3', score: vector }] }),
    affected: Array.from({ length: packages }, (_, p) => ({
      package: {
        ecosystem,
        name: debian ? `pkg-${Math.floor(random() * DEBIAN_NAMES)}` : `lib-${Math.floor(random() * 20_000)}-${p}`,
      },
      ranges: [
        {
          type: 'ECOSYSTEM',
          events: [{ introduced: '0' }, ...(fixed === undefined ? [] : [{ fixed: revision ? '1.0-1' : fixed }])],
        },
      ],
    })),
    references: [
      { type: 'ADVISORY', url: `https://nvd.nist.gov/vuln/detail/${cve}` },
      { type: 'WEB', url: `https://example.org/security/${index}` },
    ],
  };
}

/**
 * The whole mirror as one source per ecosystem (`osv:Debian:12`, ...). `changed` holds global
 * record indexes to publish as a new revision: a later `modified` and, for the affecting ones, a
 * fix at the installed version (so a delta both resolves findings and leaves others as they were).
 */
export function vulnSources(changed: ReadonlySet<number> = new Set()): { sources: VulnSource[]; records: number } {
  const sources: VulnSource[] = [];
  let first = 0;
  for (const [ecosystem, count] of ECOSYSTEM_RECORDS) {
    const from = first;
    // generated as the update reads them, so the bench's peak RSS is the service's, not the mirror's
    sources.push({
      name: `osv:${ecosystem}`,
      async *fetch() {
        const random = seeded(from + 17);
        for (let index = from; index < from + count; index++) {
          yield { kind: 'osv', record: advisory(ecosystem, index, random, changed.has(index) ? 1 : 0) };
        }
      },
    });
    first += count;
  }
  return { sources, records: first };
}

/** `count` distinct record indexes drawn evenly over the whole mirror (every ecosystem in its share) */
export function changedAdvisories(count: number): Set<number> {
  const total = ECOSYSTEM_RECORDS.reduce((sum, [, n]) => sum + n, 0);
  const random = seeded(99);
  const changed = new Set<number>();
  while (changed.size < count) changed.add(Math.floor(random() * total));
  return changed;
}

/** 300 of the pool's names per image, overlapping as images built on shared bases do (seed-store.ts) */
export function fleetPackages(n: number, shape: FleetShape): Array<{ name: string; sourceName: string }> {
  return Array.from({ length: shape.packagesPerImage }, (_, i) => {
    const name = `pkg-${(n * 7 + i * 13) % FLEET_POOL}`;
    return { name, sourceName: name };
  });
}

/** Stores the fleet's images and inventories (with their package index), `concurrency` at a time; no findings yet. */
export async function storeFleet(store: Store, shape: FleetShape, now: Date, concurrency: number): Promise<void> {
  const registry = await store.createRegistry({ name: 'bench', url: 'https://registry.bench.test', kind: 'oci' }, now);
  let next = 0;
  const worker = async () => {
    for (let n = next++; n < shape.images; n = next++) {
      const digest = digestOf(n + 1);
      await store.upsertImage({ registryId: registry.id, repository: `team-${n % 50}/app-${n % 500}`, digest }, now);
      await store.saveInventory(digest, anInventory(digest, fleetPackages(n, shape)), 'bench', now);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}
