import type { Finding, Severity } from '../../core/types.ts';
import { aFinding, anInventory, digestOf } from './testing.ts';
import type { Store } from './types.ts';

export interface SeedShape {
  readonly images: number;
  readonly packagesPerImage: number;
  readonly findingsPerImage: number;
}

const seedSeverities: readonly Severity[] = [
  'CRITICAL',
  'HIGH',
  'HIGH',
  'MEDIUM',
  'MEDIUM',
  'MEDIUM',
  'LOW',
  'UNKNOWN',
];

/**
 * Fills a store with generated images for measurements (summary, pages, DB deltas): each image has
 * an inventory of `packagesPerImage` Debian packages drawn from a shared pool of 3,000 names and
 * `findingsPerImage` open findings spread over the severities, as a fleet built on a few base images
 * would look. Deterministic: the same shape gives the same rows.
 */
export async function seedStore(store: Store, shape: SeedShape, now: Date): Promise<void> {
  const registry = await store.createRegistry({ name: 'seed', url: 'https://seed.test', kind: 'oci' }, now);
  for (let n = 0; n < shape.images; n++) {
    const digest = digestOf(n + 1);
    await store.upsertImage({ registryId: registry.id, repository: `team-${n % 50}/app-${n % 500}`, digest }, now);
    await store.saveInventory(digest, anInventory(digest, seedPackages(n, shape)), 'seed', now);
    const findings = seedFindings(n, shape);
    await store.applyMatchResult(digest, findings, { complete: true, now });
  }
}

function seedPackages(n: number, shape: SeedShape): Array<{ name: string; sourceName: string }> {
  return Array.from({ length: shape.packagesPerImage }, (_, i) => {
    const name = `pkg-${(n * 7 + i * 13) % 3000}`;
    return { name, sourceName: name };
  });
}

/** the findings `seedStore` applied to image `n` (0-based), for timing a steady re-match */
export function seedFindings(n: number, shape: SeedShape): Finding[] {
  const packages = seedPackages(n, shape);
  return Array.from({ length: shape.findingsPerImage }, (_, i) =>
    aFinding(
      `CVE-2026-${String((n * 31 + i * 17) % 20_000).padStart(5, '0')}`,
      packages[i % packages.length]?.name ?? 'pkg',
      seedSeverities[(n + i) % seedSeverities.length] ?? 'UNKNOWN',
      { fixState: i % 3 === 0 ? 'fixed' : 'not-fixed', ...(i % 25 === 0 && { kev: { dateAdded: '2026-01-01' } }) },
    ),
  );
}
