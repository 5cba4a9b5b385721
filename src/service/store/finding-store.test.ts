import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isVigilError } from '../../core/errors.ts';
import type { Finding } from '../../core/types.ts';
import { toStoredFinding } from './finding-store.ts';
import { aFinding, dialects, digestOf, type TestDatabase } from './testing.ts';
import type { FindingState, Store } from './types.ts';

const t0 = Date.parse('2026-11-01T10:00:00Z');
const at = (minutes: number) => new Date(t0 + minutes * 60_000);

const A = aFinding('CVE-2026-0001', 'openssl', 'CRITICAL');
const B = aFinding('CVE-2026-0002', 'zlib', 'HIGH');
const C = aFinding('CVE-2026-0003', 'curl', 'LOW');

interface Step {
  readonly found: readonly Finding[];
  readonly complete: boolean;
  /** events written by this step, as "type id" (+ " reopened") */
  readonly events: readonly string[];
  readonly states: Readonly<Record<string, FindingState>>;
}

const describeEvent = (e: { type: string; payload: Record<string, unknown> }) =>
  `${e.type} ${String(e.payload.vulnerabilityId)}${e.payload.reopened === true ? ' reopened' : ''}`;

async function statesOf(store: Store, digest: string): Promise<Record<string, FindingState>> {
  const page = await store.findingsPage({ digest }, undefined, 500);
  return Object.fromEntries(page.findings.map((f) => [f.vulnerabilityId, f.state]));
}

describe.each(dialects)('findings lifecycle on $name', (dialect) => {
  describe.skipIf(dialect.skipReason !== undefined)(dialect.skipReason ?? 'applyMatchResult', () => {
    let db: TestDatabase;
    let store: Store;
    const digest = digestOf(1);

    beforeEach(async () => {
      db = await dialect.open();
      store = db.store;
      const registry = await store.createRegistry({ name: 'test', url: 'https://registry.test', kind: 'oci' }, at(0));
      await store.upsertImage({ registryId: registry.id, repository: 'app', digest }, at(0));
    });
    afterEach(async () => db.cleanup());

    const scenarios: Array<{ name: string; steps: Step[] }> = [
      {
        name: 'new, then resolved, then reopened',
        steps: [
          {
            found: [A, B],
            complete: true,
            events: ['finding.new CVE-2026-0001', 'finding.new CVE-2026-0002'],
            states: { 'CVE-2026-0001': 'open', 'CVE-2026-0002': 'open' },
          },
          {
            found: [A],
            complete: true,
            events: ['finding.resolved CVE-2026-0002'],
            states: { 'CVE-2026-0001': 'open', 'CVE-2026-0002': 'resolved' },
          },
          {
            found: [A, B],
            complete: true,
            events: ['finding.new CVE-2026-0002 reopened'],
            states: { 'CVE-2026-0001': 'open', 'CVE-2026-0002': 'open' },
          },
        ],
      },
      {
        name: 'incomplete data resolves nothing, empty or partial',
        steps: [
          {
            found: [A, B, C],
            complete: true,
            events: ['finding.new CVE-2026-0001', 'finding.new CVE-2026-0002', 'finding.new CVE-2026-0003'],
            states: { 'CVE-2026-0001': 'open', 'CVE-2026-0002': 'open', 'CVE-2026-0003': 'open' },
          },
          {
            found: [],
            complete: false,
            events: [],
            states: { 'CVE-2026-0001': 'open', 'CVE-2026-0002': 'open', 'CVE-2026-0003': 'open' },
          },
          {
            found: [B],
            complete: false,
            events: [],
            states: { 'CVE-2026-0001': 'open', 'CVE-2026-0002': 'open', 'CVE-2026-0003': 'open' },
          },
          {
            found: [B],
            complete: true,
            events: ['finding.resolved CVE-2026-0001', 'finding.resolved CVE-2026-0003'],
            states: { 'CVE-2026-0001': 'resolved', 'CVE-2026-0002': 'open', 'CVE-2026-0003': 'resolved' },
          },
        ],
      },
      {
        name: 'incomplete data still reports what is new',
        steps: [
          {
            found: [A],
            complete: false,
            events: ['finding.new CVE-2026-0001'],
            states: { 'CVE-2026-0001': 'open' },
          },
          {
            found: [],
            complete: true,
            events: ['finding.resolved CVE-2026-0001'],
            states: { 'CVE-2026-0001': 'resolved' },
          },
        ],
      },
      {
        name: 'the same result twice writes no second row or event',
        steps: [
          { found: [A, A], complete: true, events: ['finding.new CVE-2026-0001'], states: { 'CVE-2026-0001': 'open' } },
          { found: [A], complete: true, events: [], states: { 'CVE-2026-0001': 'open' } },
          { found: [A], complete: true, events: [], states: { 'CVE-2026-0001': 'open' } },
        ],
      },
    ];

    it.each(scenarios)('$name', async ({ steps }) => {
      for (const [i, step] of steps.entries()) {
        const events = await store.applyMatchResult(digest, step.found, { complete: step.complete, now: at(i + 1) });
        expect(events.map(describeEvent).sort(), `step ${i}`).toEqual([...step.events].sort());
        expect(await statesOf(store, digest), `step ${i}`).toEqual(step.states);
      }
      const all = await store.listEvents({ limit: 1000 });
      expect(all.map(describeEvent).sort()).toEqual(steps.flatMap((s) => s.events).sort());
    });

    it('keeps first_seen, moves last_seen, and stamps resolved_at and the image last_scanned', async () => {
      await store.applyMatchResult(digest, [A, B], { complete: true, now: at(1) });
      await store.applyMatchResult(digest, [A], { complete: true, now: at(2) });
      const page = await store.findingsPage({ digest }, undefined, 10);
      const a = page.findings.find((f) => f.vulnerabilityId === A.id);
      const b = page.findings.find((f) => f.vulnerabilityId === B.id);
      expect(a).toMatchObject({ firstSeen: at(1), lastSeen: at(2), state: 'open' });
      expect(a?.resolvedAt).toBeUndefined();
      expect(b).toMatchObject({ firstSeen: at(1), lastSeen: at(1), resolvedAt: at(2), state: 'resolved' });
      expect((await store.getImages(digest))[0]?.lastScanned).toEqual(at(2));
    });

    it('a finding reads as last seen at the last match that found it, in every state and every read', async () => {
      await store.applyMatchResult(digest, [A, B, C], { complete: true, now: at(1) });
      await store.applyMatchResult(digest, [A, B], { complete: true, now: at(2) });
      const ids = Object.fromEntries(
        (await store.findingsPage({ digest }, undefined, 10)).findings.map((f) => [f.vulnerabilityId, f.id]),
      );
      const b = await store.suppressFinding(ids[B.id] ?? -1, { reason: 'accepted risk', by: 'bob' });
      expect(b?.lastSeen).toEqual(at(2));
      await store.applyMatchResult(digest, [A, B], { complete: true, now: at(3) });
      const seen = async () => {
        const page = (await store.findingsPage({ digest }, undefined, 10)).findings;
        const byId = await store.getFindings(page.map((f) => f.id));
        for (const f of page) expect((await store.getFinding(f.id))?.lastSeen).toEqual(f.lastSeen);
        for (const f of page) expect(byId.get(f.id)?.lastSeen).toEqual(f.lastSeen);
        return Object.fromEntries(page.map((f) => [f.vulnerabilityId, `${f.state} ${f.lastSeen.getTime()}`]));
      };
      // what seen() reads when A, B and C are in these states, last seen at these minutes
      type Sighting = [state: string, minute: number];
      const sightings = (...[a, b, c]: [Sighting, Sighting, Sighting]) => ({
        [A.id]: `${a[0]} ${at(a[1]).getTime()}`,
        [B.id]: `${b[0]} ${at(b[1]).getTime()}`,
        [C.id]: `${c[0]} ${at(c[1]).getTime()}`,
      });
      // C was resolved at 2: last seen at 1; A and B (suppressed) were found at 3
      expect(await seen()).toEqual(sightings(['open', 3], ['suppressed', 3], ['resolved', 1]));
      // archived at 5, after the last match at 3: A and B keep 3, and so they do once revived at 6
      await store.archiveImage(digest, at(5));
      expect(await seen()).toEqual(sightings(['archived', 3], ['archived', 3], ['resolved', 1]));
      const [image] = await store.getImages(digest);
      await store.upsertImage({ registryId: image?.registryId ?? '', repository: 'app', digest }, at(6));
      expect(await seen()).toEqual(sightings(['open', 3], ['suppressed', 3], ['resolved', 1]));
      // the next match finds A only: B is suppressed, so it stays, last seen at 3, not at 7
      await store.applyMatchResult(digest, [A], { complete: true, now: at(7) });
      expect(await seen()).toEqual(sightings(['open', 7], ['suppressed', 3], ['resolved', 1]));
      // found again at 8, B follows the matches again; missed on incomplete data at 9, A stays open,
      // last seen at 8, and at 10 (complete) it resolves still last seen at 8
      await store.applyMatchResult(digest, [A, B], { complete: true, now: at(8) });
      await store.applyMatchResult(digest, [B], { complete: false, now: at(9) });
      expect(await seen()).toEqual(sightings(['open', 8], ['suppressed', 9], ['resolved', 1]));
      await store.applyMatchResult(digest, [B], { complete: true, now: at(10) });
      expect(await seen()).toEqual(sightings(['resolved', 8], ['suppressed', 10], ['resolved', 1]));
      // back at 11: reopened, seen at 11
      await store.applyMatchResult(digest, [A, B], { complete: true, now: at(11) });
      expect((await seen())[A.id]).toBe(`open ${at(11).getTime()}`);
    });

    it('rewrites a finding whose facts changed (severity, fix) without an event', async () => {
      await store.applyMatchResult(digest, [A], { complete: true, now: at(1) });
      const rescored = aFinding(A.id, 'openssl', 'MEDIUM', { fixState: 'fixed' });
      expect(await store.applyMatchResult(digest, [rescored], { complete: true, now: at(2) })).toEqual([]);
      const [stored] = (await store.findingsPage({ digest }, undefined, 10)).findings;
      expect(stored).toMatchObject({ severity: 'MEDIUM', fixState: 'fixed', lastSeen: at(2) });
      expect(stored?.finding.fixedVersions).toEqual(['1.0-2']);
    });

    it('keeps a suppressed finding out of resolves until its suppression expires', async () => {
      await store.applyMatchResult(digest, [A, B], { complete: true, now: at(1) });
      const b = (await store.findingsPage({ digest, severity: 'HIGH' }, undefined, 10)).findings[0];
      const suppressed = await store.suppressFinding(b?.id ?? -1, {
        reason: 'not reachable',
        by: 'alice',
        until: at(10),
      });
      expect(suppressed).toMatchObject({ state: 'suppressed', suppression: { reason: 'not reachable', by: 'alice' } });

      expect(await store.applyMatchResult(digest, [A], { complete: true, now: at(2) })).toEqual([]);
      expect(await statesOf(store, digest)).toEqual({ [A.id]: 'open', [B.id]: 'suppressed' });
      await store.applyMatchResult(digest, [A, B], { complete: true, now: at(11) });
      expect(await statesOf(store, digest)).toEqual({ [A.id]: 'open', [B.id]: 'open' });
    });

    it('archives a deleted image without resolve events and revives it when pushed again', async () => {
      await store.applyMatchResult(digest, [A, B], { complete: true, now: at(1) });
      const before = (await store.listEvents({})).length;
      await store.archiveImage(digest, at(2));
      expect(await statesOf(store, digest)).toEqual({ [A.id]: 'archived', [B.id]: 'archived' });
      expect(await store.applyMatchResult(digest, [], { complete: true, now: at(3) })).toEqual([]);
      expect(await statesOf(store, digest)).toEqual({ [A.id]: 'archived', [B.id]: 'archived' });
      expect((await store.listEvents({})).length).toBe(before);
      expect((await store.getImages(digest))[0]?.archivedAt).toEqual(at(2));

      const [image] = await store.getImages(digest);
      await store.upsertImage({ registryId: image?.registryId ?? '', repository: 'app', digest }, at(4));
      expect(await statesOf(store, digest)).toEqual({ [A.id]: 'open', [B.id]: 'open' });
      expect((await store.getImages(digest))[0]?.archivedAt).toBeUndefined();
    });

    it('archives findings only when no live repository still holds the digest', async () => {
      const [image] = await store.getImages(digest);
      const registryId = image?.registryId ?? '';
      await store.upsertImage({ registryId, repository: 'mirror', digest }, at(0));
      await store.applyMatchResult(digest, [A], { complete: true, now: at(1) });
      await store.archiveImage(digest, at(2), { registryId, repository: 'app' });
      expect(await statesOf(store, digest)).toEqual({ [A.id]: 'open' });
      await store.archiveImage(digest, at(3), { registryId, repository: 'mirror' });
      expect(await statesOf(store, digest)).toEqual({ [A.id]: 'archived' });
    });

    it('keeps summary() in step with the findings through every transition', async () => {
      const expectSummaryMatches = async (step: string) => {
        const findings = (await store.findingsPage({}, undefined, 500)).findings;
        const counted: Record<string, number> = {};
        for (const f of findings) counted[`${f.state} ${f.severity}`] = (counted[`${f.state} ${f.severity}`] ?? 0) + 1;
        const summary = await store.summary();
        const reported: Record<string, number> = {};
        for (const [state, bySeverity] of Object.entries(summary.counts)) {
          for (const [severity, n] of Object.entries(bySeverity)) if (n > 0) reported[`${state} ${severity}`] = n;
        }
        expect(reported, step).toEqual(counted);
      };
      await store.applyMatchResult(digest, [A, B, C], { complete: true, now: at(1) });
      await expectSummaryMatches('applied');
      await store.applyMatchResult(digest, [A, B], { complete: true, now: at(2) });
      await expectSummaryMatches('resolved');
      const b = (await store.findingsPage({ digest, severity: 'HIGH' }, undefined, 1)).findings[0];
      await store.suppressFinding(b?.id ?? -1, { reason: 'accepted risk', by: 'bob' });
      await expectSummaryMatches('suppressed');
      await store.archiveImage(digest, at(3));
      await expectSummaryMatches('archived');
      const [image] = await store.getImages(digest);
      await store.upsertImage({ registryId: image?.registryId ?? '', repository: 'app', digest }, at(4));
      await expectSummaryMatches('revived');
      expect(await statesOf(store, digest)).toEqual({ [A.id]: 'open', [B.id]: 'suppressed', [C.id]: 'resolved' });
    });

    it('with a scope, resolves only the findings of the scoped packages; the rest stand as of the re-match', async () => {
      await store.applyMatchResult(digest, [A, B, C], { complete: true, now: at(1) });
      // a delta that could hit openssl and zlib: A is still found, B is gone; curl (C) was not looked at
      const scope = new Set([A.package.purl, B.package.purl]);
      const events = await store.applyMatchResult(digest, [A], { complete: true, now: at(2), scope });
      expect(events.map(describeEvent)).toEqual(['finding.resolved CVE-2026-0002']);
      expect(await statesOf(store, digest)).toEqual({ [A.id]: 'open', [B.id]: 'resolved', [C.id]: 'open' });
      const page = (await store.findingsPage({ digest }, undefined, 10)).findings;
      const lastSeen = Object.fromEntries(page.map((f) => [f.vulnerabilityId, f.lastSeen.getTime()]));
      // C was not matched again, but nothing it was matched against changed: like the image's
      // last_scanned, its last sighting is this re-match (B's stays the last match that found it)
      expect(lastSeen).toEqual({ [A.id]: at(2).getTime(), [B.id]: at(1).getTime(), [C.id]: at(2).getTime() });
      expect((await store.getImages(digest))[0]?.lastScanned).toEqual(at(2));
      // an empty scope: nothing to look at, the image still counts as re-matched
      expect(await store.applyMatchResult(digest, [], { complete: true, now: at(3), scope: new Set() })).toEqual([]);
      expect(await statesOf(store, digest)).toEqual({ [A.id]: 'open', [B.id]: 'resolved', [C.id]: 'open' });
      expect((await store.getImages(digest))[0]?.lastScanned).toEqual(at(3));
    });

    it('applies a batch as the same results one by one would, in one transaction', async () => {
      const [image] = await store.getImages(digest);
      const registryId = image?.registryId ?? '';
      const [one, two, archived] = [digestOf(201), digestOf(202), digestOf(203)];
      for (const d of [one, two, archived])
        await store.upsertImage({ registryId, repository: 'app', digest: d }, at(0));
      await store.applyMatchResult(two, [A, B], { complete: true, now: at(1) });
      await store.archiveImage(archived, at(1));
      const results = await store.applyMatchResults([
        { digest: one, findings: [A, C], options: { complete: true, now: at(2) } },
        { digest: two, findings: [A], options: { complete: true, now: at(2) } },
        { digest: archived, findings: [A], options: { complete: true, now: at(2) } },
        { digest: digestOf(299), findings: [A], options: { complete: true, now: at(2) } },
        // the same digest twice: the second sees the first
        { digest: one, findings: [C], options: { complete: true, now: at(3) } },
      ]);
      expect(results.map((events) => events.map(describeEvent).sort())).toEqual([
        ['finding.new CVE-2026-0001', 'finding.new CVE-2026-0003'],
        ['finding.resolved CVE-2026-0002'],
        [],
        [],
        ['finding.resolved CVE-2026-0001'],
      ]);
      expect(await statesOf(store, one)).toEqual({ [A.id]: 'resolved', [C.id]: 'open' });
      expect(await statesOf(store, two)).toEqual({ [A.id]: 'open', [B.id]: 'resolved' });
      expect(await statesOf(store, archived)).toEqual({});
      const summary = await store.summary();
      expect(summary.counts.open).toMatchObject({ CRITICAL: 1, LOW: 1 });
      expect(summary.counts.resolved).toMatchObject({ CRITICAL: 1, HIGH: 1 });
      const scanned = Object.fromEntries(
        await Promise.all([one, two].map(async (d) => [d, (await store.getImages(d))[0]?.lastScanned?.getTime()])),
      );
      expect(scanned).toEqual({ [one]: at(3).getTime(), [two]: at(2).getTime() });
      expect(await store.applyMatchResults([])).toEqual([]);
    });

    it('reads many findings by id at once', async () => {
      await store.applyMatchResult(digest, [A, B, C], { complete: true, now: at(1) });
      const page = (await store.findingsPage({ digest }, undefined, 10)).findings;
      const ids = page.map((f) => f.id);
      const found = await store.getFindings([...ids, ids[0] as number, 999_999, -1, 1.5]);
      expect([...found.keys()].sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
      expect(found.get(ids[0] as number)?.finding).toEqual(page[0]?.finding);
      expect((await store.getFindings([])).size).toBe(0);
    });

    it('refuses a digest it has never stored', async () => {
      const error = await store.applyMatchResult(digestOf(99), [A], { complete: true, now: at(1) }).catch((e) => e);
      expect(isVigilError(error, 'VIGIL_IMAGE_NOT_FOUND')).toBe(true);
    });

    it('lets two stores on one database apply results for different images at once', async () => {
      const other = await db.reopen();
      const [image] = await store.getImages(digest);
      const digests = Array.from({ length: 8 }, (_, i) => digestOf(100 + i));
      for (const d of digests)
        await store.upsertImage({ registryId: image?.registryId ?? '', repository: 'app', digest: d }, at(0));
      const results = await Promise.all(
        digests.map((d, i) =>
          (i % 2 === 0 ? store : other).applyMatchResult(d, [A, B, C], { complete: true, now: at(1) }),
        ),
      );
      expect(results.map((events) => events.length)).toEqual(digests.map(() => 3));
      const summary = await other.summary();
      expect(summary.counts.open).toMatchObject({ CRITICAL: 8, HIGH: 8, LOW: 8 });
      expect((await store.listEvents({ type: 'finding.new', limit: 1000 })).length).toBe(24);
    });

    it('serialises two stores re-applying the same result for one image: one set of rows and events', async () => {
      const other = await db.reopen();
      await Promise.all([
        store.applyMatchResult(digest, [A, B], { complete: true, now: at(1) }),
        other.applyMatchResult(digest, [A, B], { complete: true, now: at(1) }),
      ]);
      expect((await store.findingsPage({ digest }, undefined, 100)).findings).toHaveLength(2);
      expect((await store.listEvents({ limit: 100 })).map(describeEvent).sort()).toEqual([
        'finding.new CVE-2026-0001',
        'finding.new CVE-2026-0002',
      ]);
    });
  });
});

describe('toStoredFinding', () => {
  const row = (id: number, finding: Finding) => ({
    id,
    digest: digestOf(id),
    vulnerability_id: finding.id,
    purl: finding.package.purl,
    severity: finding.severity,
    fix_state: finding.fixState,
    state: 'open' as const,
    first_seen: t0,
    last_seen: t0,
    resolved_at: null,
    suppress_reason: null,
    suppressed_by: null,
    suppressed_until: null,
    finding: JSON.stringify(finding),
  });

  it('parses the stored finding when first read, once, as an enumerable property', () => {
    const stored = toStoredFinding(row(1, A));
    expect(Object.keys(stored)).toContain('finding');
    expect(stored.finding).toEqual(A);
    expect(stored.finding).toBe(stored.finding);
    expect({ ...stored }.finding).toEqual(A);
  });

  // A getter closure per finding puts each in V8's dictionary mode, and its old-generation accessor
  // pair keeps the row alive past young-generation collections (see toStoredFinding).
  it('reads every finding through one shared getter', () => {
    const getter = (f: object) => Object.getOwnPropertyDescriptor(f, 'finding')?.get;
    const a = toStoredFinding(row(1, A));
    const b = toStoredFinding(row(2, B));
    expect(getter(a)).toBeTypeOf('function');
    expect(getter(a)).toBe(getter(b));
    expect([a.finding.id, b.finding.id]).toEqual([A.id, B.id]);
  });
});
