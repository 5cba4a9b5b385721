/**
 * Matching keeps each package lookup's result per reader (images share most packages): a package
 * matched again, in this inventory or another, gets the same findings and notes as a first match,
 * with its own package fields, and no finding shares an array with another.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Package } from '../core/types.ts';
import { matchInventory } from './index.ts';
import { InMemoryVulnDb, inventoryOf, readRecords } from './testing.ts';

const testdata = join(import.meta.dirname, 'testdata');
const freshDb = () => new InMemoryVulnDb(['pypi', 'npm'].flatMap((dir) => readRecords(join(testdata, dir))));

const pkg = (ecosystem: string, name: string, version: string, location: string): Package => ({
  type: ecosystem.toLowerCase(),
  ecosystem,
  name,
  version,
  purl: `pkg:x/${name}@${version}`,
  locations: [location],
  layerIndex: location.length,
});

describe('the per-reader package memo', () => {
  it('a package matched again gives what a first match on a fresh reader gives, with its own package fields', () => {
    const a = inventoryOf([pkg('PyPI', 'requests', '2.19.1', 'a/app'), pkg('PyPI', 'PyYAML', '5.1', 'a/app')]);
    const b = inventoryOf([pkg('PyPI', 'requests', '2.19.1', 'b/other/app'), pkg('PyPI', 'Jinja2', '2.10', 'b')]);
    const shared = freshDb();
    const first = matchInventory(a, shared);
    const second = matchInventory(b, shared);
    // each result equals the one a reader that never saw the other inventory gives
    expect(matchInventory(a, freshDb())).toEqual(first);
    expect(second).toEqual(matchInventory(b, freshDb()));
    expect(matchInventory(a, shared)).toEqual(first);
    const requestsInB = second.findings.filter((f) => f.package.name === 'requests');
    expect(requestsInB.length).toBeGreaterThan(0);
    for (const f of requestsInB) expect(f.package).toMatchObject({ locations: ['b/other/app'], layerIndex: 11 });
    // the GIT-range note of requests' records comes with every match of it
    expect(second.notes.join('\n')).toMatch(/GIT ranges ignored/);
  });

  it('a finding changed by its caller changes no later match', () => {
    const db = freshDb();
    const inventory = inventoryOf([pkg('PyPI', 'PyYAML', '5.1', 'app')]);
    const before = structuredClone(matchInventory(inventory, db).findings);
    const mutable = matchInventory(inventory, db).findings as unknown as Array<Record<string, unknown[]>>;
    for (const finding of mutable) {
      for (const key of ['aliases', 'sources', 'fixedVersions', 'cvss', 'urls']) finding[key]?.push('changed');
    }
    expect(matchInventory(inventory, db).findings).toEqual(before);
  });

  it('an unparsable version is noted on every match, and a valid one of the same name still matches', () => {
    const db = freshDb();
    const bad = inventoryOf([pkg('npm', 'lodash', 'latest', 'app')]);
    expect(matchInventory(bad, db).notes.join('\n')).toMatch(/lodash: version "latest" is not a valid semver/);
    expect(matchInventory(bad, db).notes.join('\n')).toMatch(/lodash: version "latest" is not a valid semver/);
    const good = inventoryOf([pkg('npm', 'lodash', '4.17.15', 'app')]);
    expect(matchInventory(good, db)).toEqual(matchInventory(good, freshDb()));
  });
});
