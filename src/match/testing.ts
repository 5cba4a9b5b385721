import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseEcosystem, normalizePackageName } from '../core/ecosystem.ts';
import type { EpssEntry, KevEntry, NvdCvss, OsvRecord, VulnDbReader, VulnDbStatus } from '../core/osv.ts';
import type { Inventory, Package } from '../core/types.ts';

/**
 * A VulnDbReader over records held in memory: the same contract as the SQLite store (non-withdrawn
 * records indexed by base ecosystem and normalizePackageName), for tests of the matcher.
 */
export class InMemoryVulnDb implements VulnDbReader {
  readonly #byPackage = new Map<string, OsvRecord[]>();
  readonly #ecosystems = new Set<string>();
  readonly #kev: Map<string, KevEntry>;
  readonly #epss: Map<string, EpssEntry>;
  readonly #nvd: readonly NvdCvss[];
  readonly #records: number;

  constructor(
    records: readonly OsvRecord[],
    enrichment: { kev?: readonly KevEntry[]; epss?: readonly EpssEntry[]; nvd?: readonly NvdCvss[] } = {},
  ) {
    let count = 0;
    for (const record of records) {
      if (record.withdrawn !== undefined) continue;
      count++;
      for (const affected of record.affected ?? []) {
        if (affected.package === undefined) continue;
        const { ecosystem, name } = affected.package;
        this.#ecosystems.add(ecosystem);
        const key = InMemoryVulnDb.#key(baseEcosystem(ecosystem), name);
        const list = this.#byPackage.get(key) ?? [];
        if (!list.includes(record)) list.push(record);
        this.#byPackage.set(key, list);
      }
    }
    this.#records = count;
    this.#kev = new Map((enrichment.kev ?? []).map((k) => [k.cveId, k]));
    this.#epss = new Map((enrichment.epss ?? []).map((e) => [e.cveId, e]));
    this.#nvd = enrichment.nvd ?? [];
  }

  static #key(base: string, name: string): string {
    return `${base}\u0000${normalizePackageName(base, name)}`;
  }

  recordsFor(base: string, name: string): readonly OsvRecord[] {
    return this.#byPackage.get(InMemoryVulnDb.#key(base, name)) ?? [];
  }

  ecosystems(): readonly string[] {
    return [...this.#ecosystems];
  }

  kev(cveId: string): KevEntry | undefined {
    return this.#kev.get(cveId);
  }

  epss(cveId: string): EpssEntry | undefined {
    return this.#epss.get(cveId);
  }

  nvdCvss(cveId: string): readonly NvdCvss[] {
    return this.#nvd.filter((n) => n.cveId === cveId);
  }

  status(): VulnDbStatus {
    return { path: ':memory:', schemaVersion: 1, sources: [{ name: 'memory', records: this.#records, stale: false }] };
  }

  close(): void {}
}

/** every `*.json` record in a directory (test fixtures under src/match/testdata) */
export function readRecords(dir: string): OsvRecord[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as OsvRecord);
}

/** an inventory around packages, with the image fields a matcher never reads filled in */
export function inventoryOf(packages: readonly Package[], distro?: Inventory['distro']): Inventory {
  return {
    schemaVersion: 1,
    image: {
      ref: 'test:latest',
      transport: 'dir',
      manifestDigest: 'sha256:0',
      configDigest: 'sha256:0',
      platform: { os: 'linux', architecture: 'amd64' },
      layers: [],
    },
    ...(distro !== undefined && { distro }),
    packages,
    warnings: [],
    extractors: [],
    createdAt: '2026-01-01T00:00:00Z',
  };
}

/**
 * Version strings that every scheme meets in real records or chokes on plausibly: property tests
 * draw range events from these (and add hostile ones of their own).
 */
export const versionSamples = ['0', '1.0.0', '1.2', 'v1.2.3', '1:2.0-1', '2.36-9+deb12u3', '3.1.4-r0', '*', ''];
