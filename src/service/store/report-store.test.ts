import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isVigilError } from '../../core/errors.ts';
import { type Severity, severities } from '../../core/types.ts';
import { scanWindowCutoff } from './report-store.ts';
import { aFinding, dialects, digestOf, type TestDatabase } from './testing.ts';
import type { FindingFilter, FindingState, Store, StoredFinding } from './types.ts';

const day = (d: string, hour = 12) => new Date(`${d}T${String(hour).padStart(2, '0')}:00:00Z`);

describe.each(dialects)('history, pages and summaries on $name', (dialect) => {
  describe.skipIf(dialect.skipReason !== undefined)(dialect.skipReason ?? 'report queries', () => {
    let db: TestDatabase;
    let store: Store;
    let registryId: string;
    beforeEach(async () => {
      db = await dialect.open();
      store = db.store;
      registryId = (
        await store.createRegistry(
          { name: 'r', url: 'https://r.test', kind: 'oci', production: true },
          day('2026-10-01'),
        )
      ).id;
    });
    afterEach(async () => db.cleanup());

    const image = (n: number, repository = 'app', pushedAt?: Date) =>
      store.upsertImage(
        { registryId, repository, digest: digestOf(n), ...(pushedAt && { pushedAt }) },
        day('2026-10-01'),
      );

    it('answers "which images had a High or Critical open on a day" from the daily rollup', async () => {
      for (const n of [1, 2, 3, 4]) await image(n);
      const complete = (d: string) => ({ complete: true, now: day(d) });
      await store.applyMatchResult(digestOf(1), [aFinding('CVE-1', 'a', 'CRITICAL')], complete('2026-10-31'));
      await store.applyMatchResult(digestOf(2), [aFinding('CVE-2', 'b', 'MEDIUM')], complete('2026-10-31'));
      // open on 11-01, resolved on 11-02: the rollup of 11-01, written later, still counts it open
      await store.applyMatchResult(digestOf(3), [aFinding('CVE-3', 'c', 'HIGH')], complete('2026-10-31'));
      await store.applyMatchResult(digestOf(3), [], complete('2026-11-02'));
      // first seen after the day
      await store.applyMatchResult(digestOf(4), [aFinding('CVE-4', 'd', 'HIGH')], complete('2026-11-03'));

      await store.rollupDaily('2026-11-01');
      await store.rollupDaily('2026-11-01');
      await store.rollupDaily('2026-11-02');
      const cases: Array<{ d: string; min: Severity; state?: 'resolved'; expected: number[] }> = [
        { d: '2026-11-01', min: 'HIGH', expected: [1, 3] },
        { d: '2026-11-01', min: 'CRITICAL', expected: [1] },
        { d: '2026-11-01', min: 'MEDIUM', expected: [1, 2, 3] },
        { d: '2026-11-02', min: 'HIGH', expected: [1] },
        { d: '2026-11-02', min: 'LOW', state: 'resolved', expected: [3] },
        { d: '2026-11-03', min: 'HIGH', expected: [] },
      ];
      for (const c of cases) {
        expect(await store.imagesWithFinding(c.d, c.min, c.state), JSON.stringify(c)).toEqual(c.expected.map(digestOf));
      }
    });

    it('rejects a day that is not YYYY-MM-DD', async () => {
      const error = await store.rollupDaily('01/11/2026').catch((e) => e);
      expect(isVigilError(error, 'VIGIL_USAGE')).toBe(true);
    });

    it('lists live images outside the scan window, counting unscanned ones from push or first sight', async () => {
      await image(1);
      await image(2, 'app', day('2026-11-20'));
      await image(3);
      await image(4);
      await store.applyMatchResult(digestOf(3), [], { complete: true, now: day('2026-11-25') });
      await store.applyMatchResult(digestOf(4), [], { complete: true, now: day('2026-10-02') });
      await store.archiveImage(digestOf(4), day('2026-11-01'));
      const cutoff = scanWindowCutoff(day('2026-12-01'));
      expect(cutoff).toEqual(day('2026-11-01'));
      expect((await store.imagesNotScannedSince(cutoff)).map((i) => i.digest)).toEqual([digestOf(1)]);
      expect((await store.imagesNotScannedSince(cutoff, { productionOnly: true })).map((i) => i.digest)).toEqual([
        digestOf(1),
      ]);
      const other = await store.createRegistry(
        { name: 'dev', url: 'https://dev.test', kind: 'oci' },
        day('2026-10-01'),
      );
      await store.upsertImage({ registryId: other.id, repository: 'dev', digest: digestOf(9) }, day('2026-10-01'));
      expect((await store.imagesNotScannedSince(cutoff)).map((i) => i.digest)).toEqual([digestOf(1), digestOf(9)]);
      expect((await store.imagesNotScannedSince(cutoff, { productionOnly: true })).map((i) => i.digest)).toEqual([
        digestOf(1),
      ]);
    });

    it('counts findings by state and severity across images', async () => {
      for (const n of [1, 2]) await image(n);
      const now = day('2026-11-01');
      await store.applyMatchResult(digestOf(1), [aFinding('CVE-1', 'a', 'HIGH'), aFinding('CVE-2', 'b', 'LOW')], {
        complete: true,
        now,
      });
      await store.applyMatchResult(digestOf(2), [aFinding('CVE-1', 'a', 'HIGH')], { complete: true, now });
      await store.applyMatchResult(digestOf(1), [aFinding('CVE-1', 'a', 'HIGH')], { complete: true, now });
      const summary = await store.summary();
      expect(summary.images).toBe(2);
      // the live count is remembered, and forgotten by this store's own image writes
      await image(3);
      expect((await store.summary()).images).toBe(3);
      await store.archiveImage(digestOf(3), now);
      expect((await store.summary()).images).toBe(2);
      expect(summary.counts.open).toEqual({ CRITICAL: 0, HIGH: 2, MEDIUM: 0, LOW: 0, NONE: 0, UNKNOWN: 0 });
      expect(summary.counts.resolved.LOW).toBe(1);
      expect(Object.values(summary.counts.archived).every((n) => n === 0)).toBe(true);
      const zero = { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, NONE: 0, UNKNOWN: 0 };
      expect(await store.countsByImage([digestOf(1), digestOf(2), digestOf(7)])).toEqual(
        new Map([
          [digestOf(1), { ...zero, HIGH: 1 }],
          [digestOf(2), { ...zero, HIGH: 1 }],
          [digestOf(7), zero],
        ]),
      );
      expect((await store.countsByImage([digestOf(1)], 'resolved')).get(digestOf(1))).toEqual({ ...zero, LOW: 1 });
    });

    describe('keyset pagination', () => {
      // 3 images x 12 findings over every severity; some fixed, some in KEV, one image in another repository
      async function seed(): Promise<void> {
        for (const n of [1, 2, 3]) await image(n, n === 3 ? 'other' : 'app');
        for (const n of [1, 2, 3]) {
          const findings = Array.from({ length: 12 }, (_, i) =>
            aFinding(
              `CVE-2026-${n}${String(i).padStart(3, '0')}`,
              `pkg${i}`,
              severities[i % severities.length] as Severity,
              {
                fixState: i % 3 === 0 ? 'fixed' : 'not-fixed',
                ...(i % 4 === 0 && { kev: { dateAdded: '2026-01-01' } }),
              },
            ),
          );
          await store.applyMatchResult(digestOf(n), findings, { complete: true, now: day('2026-11-01') });
        }
        await store.applyMatchResult(digestOf(1), [], { complete: true, now: day('2026-11-02') });
      }

      async function everyPage(filter: FindingFilter, size: number): Promise<StoredFinding[]> {
        const out: StoredFinding[] = [];
        let cursor: string | undefined;
        for (let pages = 0; pages < 100; pages++) {
          const page = await store.findingsPage(filter, cursor, size);
          expect(page.findings.length).toBeLessThanOrEqual(size);
          out.push(...page.findings);
          if (page.next === undefined) return out;
          cursor = page.next;
        }
        throw new Error('pagination did not end');
      }

      const filters: Array<{
        name: string;
        filter: FindingFilter;
        expected: (f: StoredFinding, repo: string) => boolean;
      }> = [
        { name: 'everything', filter: {}, expected: () => true },
        { name: 'open', filter: { state: 'open' }, expected: (f) => f.state === 'open' },
        { name: 'resolved', filter: { state: 'resolved' }, expected: (f) => f.state === 'resolved' },
        {
          name: 'critical or high',
          filter: { severity: ['CRITICAL', 'HIGH'] },
          expected: (f) => f.severity === 'CRITICAL' || f.severity === 'HIGH',
        },
        { name: 'fix available', filter: { fixAvailable: true }, expected: (f) => f.fixState === 'fixed' },
        { name: 'no fix', filter: { fixAvailable: false }, expected: (f) => f.fixState !== 'fixed' },
        { name: 'KEV', filter: { kev: true }, expected: (f) => f.finding.kev !== undefined },
        { name: 'repository', filter: { repository: 'other' }, expected: (_, repo) => repo === 'other' },
        {
          name: 'one image, open and fixed',
          filter: { digest: digestOf(2), state: 'open', fixAvailable: true },
          expected: (f) => f.digest === digestOf(2) && f.state === 'open' && f.fixState === 'fixed',
        },
        {
          name: 'open KEV with a fix in app',
          filter: { state: 'open', kev: true, fixAvailable: true, repository: 'app' },
          expected: (f, repo) =>
            f.state === 'open' && f.finding.kev !== undefined && f.fixState === 'fixed' && repo === 'app',
        },
      ];

      it.each(filters)('walks every page of "$name" once, most severe first', async ({ filter, expected }) => {
        await seed();
        const all = (await everyPage({}, 1000)).filter((f) => expected(f, f.digest === digestOf(3) ? 'other' : 'app'));
        expect(all.length).toBeGreaterThan(0);
        const walked = await everyPage(filter, 5);
        expect(walked.map((f) => f.id)).toEqual(all.map((f) => f.id));
        expect(new Set(walked.map((f) => f.id)).size).toBe(walked.length);
        const ranks = walked.map((f) => severities.indexOf(f.severity));
        expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
      });

      it('binds each filter its own values where one compiled query serves a shape', async () => {
        await seed();
        const all = await everyPage({}, 1000);
        const repoOf = (f: StoredFinding) => (f.digest === digestOf(3) ? 'other' : 'app');
        // pairs of one shape, asked in turn on one store, then a list given with repeats
        const cases: Array<[FindingFilter, (f: StoredFinding) => boolean]> = [
          [{ severity: ['CRITICAL', 'HIGH'] }, (f) => f.severity === 'CRITICAL' || f.severity === 'HIGH'],
          [{ severity: ['LOW', 'MEDIUM'] }, (f) => f.severity === 'LOW' || f.severity === 'MEDIUM'],
          [{ repository: 'app', fixAvailable: true }, (f) => repoOf(f) === 'app' && f.fixState === 'fixed'],
          [{ repository: 'other', fixAvailable: false }, (f) => repoOf(f) === 'other' && f.fixState !== 'fixed'],
          [{ digest: digestOf(1), state: 'resolved' }, (f) => f.digest === digestOf(1) && f.state === 'resolved'],
          [{ digest: digestOf(2), state: 'open' }, (f) => f.digest === digestOf(2) && f.state === 'open'],
          [{ kev: true }, (f) => f.finding.kev !== undefined],
          [{ kev: false }, (f) => f.finding.kev === undefined],
          [{ state: ['open', 'open', 'resolved', 'open'] }, (f) => f.state === 'open' || f.state === 'resolved'],
          [{ severity: ['HIGH', 'CRITICAL'] }, (f) => f.severity === 'CRITICAL' || f.severity === 'HIGH'],
          // a state no finding can have matches nothing, beside one that matches
          [{ state: ['no-such-state' as FindingState, 'open'] }, (f) => f.state === 'open'],
        ];
        for (const [filter, expected] of cases) {
          const want = all.filter(expected).map((f) => f.id);
          expect(want.length).toBeGreaterThan(0);
          expect((await everyPage(filter, 4)).map((f) => f.id)).toEqual(want);
        }
      });

      it('answers an empty page for states no finding can have', async () => {
        await seed();
        const page = await store.findingsPage({ state: ['no-such-state' as FindingState] }, undefined, 10);
        expect(page).toEqual({ findings: [] });
      });

      it('does not shift a page boundary when findings arrive between pages', async () => {
        await seed();
        const first = await store.findingsPage({}, undefined, 10);
        await image(4);
        await store.applyMatchResult(digestOf(4), [aFinding('CVE-2026-9999', 'late', 'CRITICAL')], {
          complete: true,
          now: day('2026-11-03'),
        });
        const second = await store.findingsPage({}, first.next, 10);
        const seen = new Set(first.findings.map((f) => f.id));
        expect(second.findings.some((f) => seen.has(f.id))).toBe(false);
        expect(second.findings.some((f) => f.vulnerabilityId === 'CVE-2026-9999')).toBe(false);
      });

      it('rejects a cursor it did not hand out', async () => {
        const error = await store.findingsPage({}, 'bm90LWEtY3Vyc29y', 10).catch((e) => e);
        expect(isVigilError(error, 'VIGIL_USAGE')).toBe(true);
      });
    });
  });
});
