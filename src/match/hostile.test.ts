/**
 * Records are untrusted input: whatever well-typed record the store hands over (its zod schema
 * guarantees the types, not the content), matching never throws, reports only installed packages,
 * and keeps its notes bounded.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OsvEvent, OsvRecord } from '../core/osv.ts';
import type { Distro, Package } from '../core/types.ts';
import { matchInventory } from './index.ts';
import { InMemoryVulnDb, inventoryOf, versionSamples } from './testing.ts';

const versionText = fc.oneof(
  fc.constantFrom(...versionSamples, '1.0.post1', ' ', '..', '1.0.0-'),
  fc.string({ maxLength: 12 }),
);
const event: fc.Arbitrary<OsvEvent> = fc.oneof(
  versionText.map((v) => ({ introduced: v })),
  versionText.map((v) => ({ fixed: v })),
  versionText.map((v) => ({ last_affected: v })),
  versionText.map((v) => ({ limit: v })),
  fc.tuple(versionText, versionText).map(([a, b]) => ({ introduced: a, fixed: b })),
);
const ecosystem = fc.constantFrom('npm', 'PyPI', 'Go', 'Debian:12', 'Alpine:v3.19', 'AlmaLinux:9', 'Hex', 'Debian');
const record: fc.Arbitrary<OsvRecord> = fc.record({
  id: fc.constantFrom('A-1', 'A-2', 'CVE-2024-1', 'GHSA-x'),
  modified: fc.constant('2024-01-01T00:00:00Z'),
  aliases: fc.array(fc.constantFrom('A-1', 'A-2', 'CVE-2024-1', 'CVE-2024-2'), { maxLength: 3 }),
  upstream: fc.array(fc.constantFrom('A-1', 'CVE-2024-1', 'CVE-2024-2'), { maxLength: 3 }),
  severity: fc.array(
    fc.record({
      type: fc.constantFrom('CVSS_V3', 'CVSS_V2', 'CVSS_V4', 'Ubuntu'),
      score: fc.string({ maxLength: 20 }),
    }),
    { maxLength: 2 },
  ),
  affected: fc.array(
    fc.record({
      package: fc.record({ ecosystem, name: fc.constantFrom('p', 'P', 'src') }),
      ranges: fc.array(
        fc.record({
          type: fc.constantFrom('SEMVER', 'ECOSYSTEM', 'GIT', 'X'),
          events: fc.array(event, { maxLength: 5 }),
        }),
        { maxLength: 3 },
      ),
      versions: fc.array(versionText, { maxLength: 3 }),
      ecosystem_specific: fc.constantFrom({}, { wont_fix: true }, { urgency: 'high' }),
    }),
    { maxLength: 4 },
  ),
});

const packages: Package[] = [
  { type: 'npm', ecosystem: 'npm', name: 'p', version: '1.0.0', purl: 'pkg:npm/p@1.0.0', locations: ['a'] },
  { type: 'pypi', ecosystem: 'PyPI', name: 'P', version: '1.0.post1', purl: 'pkg:pypi/p@1.0.post1', locations: ['b'] },
  { type: 'golang', ecosystem: 'Go', name: 'p', version: 'v1.2.3', purl: 'pkg:golang/p@v1.2.3', locations: ['c'] },
  { type: 'deb', name: 'bin', version: '2.36-9', sourceName: 'src', purl: 'pkg:deb/debian/bin', locations: ['d'] },
];
/** a record that affects npm p@1.0.0 whatever else the DB holds */
const known: OsvRecord = {
  id: 'KNOWN',
  modified: '2024-01-01T00:00:00Z',
  aliases: ['CVE-2024-1'],
  affected: [{ package: { ecosystem: 'npm', name: 'p' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }] }],
};
const debian: Distro = { id: 'debian', versionId: '12', source: 'etc/os-release' };

describe('hostile records', () => {
  it('never make matching throw or hide a true finding, and findings name installed packages only', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 6 }), (records) => {
        const db = new InMemoryVulnDb([known, ...records]);
        const result = matchInventory(inventoryOf(packages, debian), db, { now: new Date('2026-01-01') });
        expect(result.findings.some((f) => f.sources.includes('KNOWN') && f.package.name === 'p')).toBe(true);
        for (const finding of result.findings) {
          expect(packages.map((p) => p.locations[0])).toContain(finding.package.locations[0]);
          expect(finding.sources.length).toBeGreaterThan(0);
        }
        expect(result.notes.length).toBeLessThanOrEqual(1000);
        for (const note of result.notes) expect(note.length).toBeLessThan(400);
      }),
      { numRuns: 300 },
    );
  });
});
