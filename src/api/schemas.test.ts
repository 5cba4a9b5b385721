import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toStoredFinding } from '../service/store/finding-store.ts';
import type { FindingTable } from '../service/store/schema.ts';
import { aFinding, digestOf } from '../service/store/testing.ts';
import type { FindingRow, FindingRowPage } from '../service/store/types.ts';
import { findingRowsJson, toFindingBody } from './schemas.ts';

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

/** what the route's response schema would serialise for the rows' StoredFindings, as JSON */
const schemaJson = (page: FindingRowPage) =>
  JSON.parse(
    JSON.stringify({
      findings: page.rows.map((r) => toFindingBody(toStoredFinding(r as never))),
      ...(page.next && { next: page.next }),
    }),
  );

describe('findingRowsJson', () => {
  const rows = [
    row(1, 'open'),
    row(2, 'resolved', { resolved_at: t(9) }),
    row(3, 'suppressed', { suppress_reason: 'accepted', suppressed_by: 'bob' }),
    row(4, 'suppressed', { suppress_reason: 'r', suppressed_by: 'a', suppressed_until: t(60) }),
    // a time outside the years isoTime writes itself, and one with few milliseconds
    row(5, 'resolved', { first_seen: Date.UTC(10_000, 0, 1), last_seen: t(0) + 7, resolved_at: -1 }),
  ] as unknown as FindingRow[];

  it.each([
    { name: 'rows of every state, with a next cursor', page: { rows, next: 'WzEsNV0' } },
    { name: 'an empty page', page: { rows: [] } },
  ])('writes what the schema serializer writes: $name', ({ page }) => {
    const json = findingRowsJson(page);
    expect(JSON.parse(json)).toEqual(schemaJson(page));
  });

  it('writes any text a row holds as the schema serializer does', () => {
    // hostile ids, purls, reasons: quotes, backslashes, control characters, lone surrogates
    const text = fc.string({ unit: 'binary', maxLength: 40 });
    fc.assert(
      fc.property(
        fc.record({
          id: fc.nat(),
          vulnerability: text,
          purl: text,
          reason: text,
          by: text,
          suppressed: fc.boolean(),
          time: fc.integer({ min: -8.64e15, max: 8.64e15 }),
        }),
        ({ id, vulnerability, purl, reason, by, suppressed, time }) => {
          const r = row(1, suppressed ? 'suppressed' : 'resolved', {
            id,
            vulnerability_id: vulnerability,
            purl,
            first_seen: time,
            ...(suppressed ? { suppress_reason: reason, suppressed_by: by } : { resolved_at: t(3) }),
          } as unknown as Partial<FindingTable>);
          const page = { rows: [r, row(2, 'open')] as unknown as FindingRow[] };
          expect(JSON.parse(findingRowsJson(page))).toEqual(schemaJson(page));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('copies the stored JSON without parsing it', () => {
    const stored = row(1, 'open');
    expect(findingRowsJson({ rows: [stored as unknown as FindingRow] })).toContain(`"finding":${stored.finding}}`);
  });
});
