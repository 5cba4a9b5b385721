import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toStoredFinding } from '../service/store/finding-store.ts';
import type { FindingTable } from '../service/store/schema.ts';
import { aFinding, digestOf } from '../service/store/testing.ts';
import type { FindingPage, StoredFinding } from '../service/store/types.ts';
import { findingsPageJson, toFindingBody } from './schemas.ts';

const t = (minutes: number) => Date.parse('2026-11-01T10:00:00Z') + minutes * 60_000;

function row(id: number, state: FindingTable['state'], extra: Partial<FindingTable> = {}) {
  const finding = aFinding(`CVE-2026-000${id}`, `pkg-${id}`, 'HIGH', {
    fixState: 'fixed',
    summary: 'a "quoted" \u2028 line',
  });
  return {
    id,
    digest: digestOf(id),
    vulnerability_id: finding.id,
    purl: finding.package.purl,
    package_name: finding.package.name,
    package_version: finding.package.version,
    ecosystem: finding.package.ecosystem ?? null,
    severity: finding.severity,
    severity_rank: 1,
    fix_state: finding.fixState,
    fix_available: 1,
    kev: 0,
    state,
    first_seen: t(0),
    last_seen: t(5),
    resolved_at: null,
    suppress_reason: null,
    suppressed_by: null,
    suppressed_until: null,
    finding: JSON.stringify(finding),
    ...extra,
  } as unknown as FindingTable;
}

/** what the route's response schema would serialise: the bodies, as JSON */
const schemaJson = (page: FindingPage) =>
  JSON.parse(JSON.stringify({ findings: page.findings.map(toFindingBody), ...(page.next && { next: page.next }) }));

describe('findingsPageJson', () => {
  const fromRows: StoredFinding[] = [
    toStoredFinding(row(1, 'open') as never),
    toStoredFinding(row(2, 'resolved', { resolved_at: t(9) }) as never),
    toStoredFinding(row(3, 'suppressed', { suppress_reason: 'accepted', suppressed_by: 'bob' }) as never),
    toStoredFinding(
      row(4, 'suppressed', { suppress_reason: 'r', suppressed_by: 'a', suppressed_until: t(60) }) as never,
    ),
  ];
  // built in memory, not read from a row: no stored JSON to copy
  const built: StoredFinding = {
    ...fromRows[0],
    id: 5,
    finding: aFinding('CVE-2026-0005'),
  } as StoredFinding;

  it.each([
    { name: 'findings read from rows, with a next cursor', page: { findings: fromRows, next: 'WzEsNV0' } },
    { name: 'a finding built in memory', page: { findings: [built] } },
    { name: 'an empty page', page: { findings: [] } },
  ])('writes what the schema serializer writes: $name', ({ page }) => {
    const json = findingsPageJson(page);
    expect(JSON.parse(json)).toEqual(schemaJson(page));
  });

  it('writes any text a row holds as the schema serializer does', () => {
    // hostile ids, purls, reasons: quotes, backslashes, control characters, lone surrogates
    const text = fc.string({ unit: 'binary', maxLength: 40 });
    fc.assert(
      fc.property(
        fc.record({ id: fc.nat(), vulnerability: text, purl: text, reason: text, by: text, suppressed: fc.boolean() }),
        ({ id, vulnerability, purl, reason, by, suppressed }) => {
          const r = row(1, suppressed ? 'suppressed' : 'resolved', {
            id,
            vulnerability_id: vulnerability,
            purl,
            ...(suppressed ? { suppress_reason: reason, suppressed_by: by } : { resolved_at: t(3) }),
          } as unknown as Partial<FindingTable>);
          const page = { findings: [toStoredFinding(r as never), toStoredFinding(row(2, 'open') as never)] };
          expect(JSON.parse(findingsPageJson(page))).toEqual(schemaJson(page));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('copies the stored JSON without parsing it', () => {
    const stored = row(1, 'open');
    const [finding] = [toStoredFinding(stored as never)];
    expect(findingsPageJson({ findings: [finding as StoredFinding] })).toContain(`"finding":${stored.finding}}`);
  });
});
