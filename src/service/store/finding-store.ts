import type { Kysely, Selectable } from 'kysely';
import { VigilError } from '../../core/errors.ts';
import { defineLazy } from '../../core/lazy-property.ts';
import { type Finding, type Severity, severities } from '../../core/types.ts';
import { chunks, type StoreContext, toFlag } from './context.ts';
import { insertEvents, type NewEvent, recordPendingDispatches } from './event-store.ts';
import { frozenLastSeenSql, lastSeenSql } from './last-seen.ts';
import { forgetLiveImages } from './live-images.ts';
import type { Database, FindingState, FindingTable } from './schema.ts';
import type { ApplyOptions, MatchApplication, StoredFinding, StoreEvent } from './types.ts';

export const severityRank = (severity: Severity): number => {
  const rank = severities.indexOf(severity);
  return rank === -1 ? severities.indexOf('UNKNOWN') : rank;
};

/** the columns a StoredFinding is read from (pages select these, not every column) */
export const storedFindingColumns = [
  'id',
  'digest',
  'vulnerability_id',
  'purl',
  'severity',
  'fix_state',
  'state',
  'first_seen',
  'last_seen',
  'resolved_at',
  'suppress_reason',
  'suppressed_by',
  'suppressed_until',
  'finding',
] as const;

export function toStoredFinding(
  row: Pick<Selectable<FindingTable>, (typeof storedFindingColumns)[number]>,
): StoredFinding {
  // parsed when first read (the ECR-style feed reads it; the API's pages write rows), through defineLazy's
  // shared getter: a closure per finding kept each page's rows alive until a full collection
  const stored = defineLazy(
    {
      id: row.id,
      digest: row.digest,
      vulnerabilityId: row.vulnerability_id,
      purl: row.purl,
      severity: row.severity as Severity,
      fixState: row.fix_state as Finding['fixState'],
      state: row.state,
      firstSeen: new Date(row.first_seen),
      lastSeen: new Date(row.last_seen),
      ...(row.resolved_at !== null && { resolvedAt: new Date(row.resolved_at) }),
      ...(row.state === 'suppressed' && {
        suppression: {
          reason: row.suppress_reason ?? '',
          by: row.suppressed_by ?? '',
          ...(row.suppressed_until !== null && { until: new Date(row.suppressed_until) }),
        },
      }),
    },
    'finding',
    () => JSON.parse(row.finding) as Finding,
  );
  return stored as StoredFinding;
}

/** the columns derived from a Finding; rewritten whenever the match says something new about it */
function findingColumns(finding: Finding) {
  return {
    package_name: finding.package.name,
    package_version: finding.package.version,
    ecosystem: finding.package.ecosystem,
    severity: finding.severity,
    severity_rank: severityRank(finding.severity),
    fix_state: finding.fixState,
    fix_available: toFlag(finding.fixState === 'fixed'),
    kev: toFlag(finding.kev !== undefined),
    finding: JSON.stringify(finding),
  };
}

/** a partial match's purls up to this many are filtered in the query (one index range each) */
const SCOPE_IN_SQL = 100;

const identity = (vulnerabilityId: string, purl: string) => `${vulnerabilityId}\u0000${purl}`;

const about = (finding: Finding) => ({
  vulnerabilityId: finding.id,
  purl: finding.package.purl,
  severity: finding.severity,
});

/** the columns of an open finding with no resolve or suppression on it */
const reopened = {
  state: 'open',
  resolved_at: null,
  suppress_reason: null,
  suppressed_by: null,
  suppressed_until: null,
  unseen: 0,
} as const;

/** finding_totals changes not yet written: "state severity" -> change */
export type TotalsDelta = Map<string, { state: FindingState; severity: string; change: number }>;

/**
 * Recomputes the image's rows in image_finding_counts from its findings and moves finding_totals by
 * the difference; called in the transaction of every change to a digest's findings, so neither is
 * ever out of step. With `pending`, the totals' change is added there for the caller to write once
 * for many images (`writeTotals`); without, it is written here.
 */
export async function refreshCounts(trx: Kysely<Database>, digest: string, pending?: TotalsDelta): Promise<void> {
  const delta: TotalsDelta = new Map();
  await refreshCountsOf(trx, [digest], delta);
  if (pending === undefined) await writeTotals(trx, delta);
  else for (const d of delta.values()) addTo(pending, { ...d, count: d.change }, 1);
}

/** `refreshCounts` for many digests in four statements, the totals' change added to `pending`. */
async function refreshCountsOf(trx: Kysely<Database>, digests: readonly string[], pending: TotalsDelta): Promise<void> {
  for (const part of chunks(digests, DIGESTS_PER_QUERY)) {
    const before = await trx
      .selectFrom('image_finding_counts')
      .select(['digest', 'state', 'severity', 'count'])
      .where('digest', 'in', part)
      .execute();
    const after = await trx
      .selectFrom('findings')
      .select(['digest', 'state', 'severity', (eb) => eb.fn.countAll<number>().as('count')])
      .where('digest', 'in', part)
      .groupBy(['digest', 'state', 'severity'])
      .execute();
    const perDigest = new Map<string, TotalsDelta>();
    const deltaOf = (digest: string) => {
      const delta = perDigest.get(digest) ?? new Map();
      perDigest.set(digest, delta);
      return delta;
    };
    for (const r of before) addTo(deltaOf(r.digest), r, -1);
    for (const r of after) addTo(deltaOf(r.digest), r, 1);
    const moved = new Set<string>();
    for (const [digest, delta] of perDigest) {
      if (![...delta.values()].some((d) => d.change !== 0)) continue;
      moved.add(digest);
      for (const d of delta.values()) addTo(pending, { ...d, count: d.change }, 1);
    }
    if (moved.size === 0) continue;
    await trx
      .deleteFrom('image_finding_counts')
      .where('digest', 'in', [...moved])
      .execute();
    const rows = after
      .filter((r) => moved.has(r.digest))
      .map((r) => ({ digest: r.digest, state: r.state, severity: r.severity, count: Number(r.count) }));
    for (const values of chunks(rows)) await trx.insertInto('image_finding_counts').values(values).execute();
  }
}

function addTo(
  delta: TotalsDelta,
  r: { state: FindingState; severity: string; count: number | string | bigint },
  sign: number,
): void {
  const key = `${r.state} ${r.severity}`;
  const entry = delta.get(key) ?? { state: r.state, severity: r.severity, change: 0 };
  entry.change += sign * Number(r.count);
  delta.set(key, entry);
}

/**
 * Moves finding_totals by `delta`, in (state, severity) order so that two PostgreSQL transactions
 * cannot deadlock on its rows.
 */
export async function writeTotals(trx: Kysely<Database>, delta: TotalsDelta): Promise<void> {
  const changes = [...delta.entries()].filter(([, d]) => d.change !== 0).sort(([a], [b]) => (a < b ? -1 : 1));
  for (const [, d] of changes) {
    await trx
      .updateTable('finding_totals')
      .set((eb) => ({ count: eb('count', '+', d.change) }))
      .where('state', '=', d.state)
      .where('severity', '=', d.severity)
      .execute();
  }
}

/**
 * The findings lifecycle for one image digest, in one transaction:
 * - a finding not seen before is inserted open (finding.new);
 * - a resolved finding that is back is reopened (finding.new, reopened: true);
 * - an open or suppressed finding still present is seen again: it reads as last seen at its
 *   digest's last match, which moves to now (a suppression past its expiry returns to open);
 * - an open finding missing from the result is resolved (finding.resolved) only when the result is
 *   complete: incomplete data must never look like a fix;
 * - archived findings are left alone.
 * Re-applying the same result moves last_scanned only: no new rows, no new events.
 * Returns [] without writing for a digest whose every image row is archived.
 */
export async function applyMatchResult(
  ctx: StoreContext,
  digest: string,
  findings: readonly Finding[],
  options: ApplyOptions,
): Promise<StoreEvent[]> {
  return ctx.write(async (trx) => {
    const totals: TotalsDelta = new Map();
    const [events] = await applyBatch(ctx, trx, [{ digest, findings, options }], totals);
    if (events === undefined) {
      throw new VigilError('VIGIL_IMAGE_NOT_FOUND', `no image with digest ${digest} is stored`, { digest });
    }
    await writeTotals(trx, totals);
    return events;
  });
}

/**
 * `applyMatchResult` for many images in one transaction: a re-match writes a few rows per image,
 * and one commit and a handful of statements for a batch cost what they cost for one image. A
 * digest with no image row gets [] (a re-match takes its digests from the stored inventories, so
 * this only happens to a row deleted meanwhile).
 */
export async function applyMatchResults(
  ctx: StoreContext,
  results: readonly MatchApplication[],
  options: { readonly dispatchRun?: string } = {},
): Promise<StoreEvent[][]> {
  if (results.length === 0) return [];
  return ctx.write(async (trx) => {
    const totals: TotalsDelta = new Map();
    const out: StoreEvent[][] = [];
    // a digest given twice is applied in turn, each application seeing the one before
    const distinct = new Set(results.map((r) => r.digest)).size === results.length;
    const parts = distinct ? [results] : results.map((r) => [r]);
    for (const part of parts) {
      for (const events of await applyBatch(ctx, trx, part, totals)) out.push(events ?? []);
    }
    // the totals move once, at the end: rows every image touches, written in one order
    await writeTotals(trx, totals);
    if (options.dispatchRun !== undefined) await recordPendingDispatches(trx, options.dispatchRun, results, out);
    return out;
  });
}

/**
 * Open or suppressed findings a batch's matches missed without resolving them, and unseen ones
 * they found again: only these change how their last sighting is read (last-seen.ts).
 */
interface Sightings {
  readonly missed: number[];
  readonly reseen: number[];
}

type ExistingRow = Pick<
  Selectable<FindingTable>,
  'id' | 'digest' | 'vulnerability_id' | 'purl' | 'state' | 'suppressed_until' | 'finding' | 'severity' | 'unseen'
>;

/**
 * The lifecycle above for distinct digests inside `trx`: per result its events, or undefined when
 * no image row has the digest. The image rows and the findings are read for the whole batch at
 * once; the finding_totals change is added to `totals` for the caller to write.
 */
async function applyBatch(
  ctx: StoreContext,
  trx: Kysely<Database>,
  results: readonly MatchApplication[],
  totals: TotalsDelta,
): Promise<Array<StoreEvent[] | undefined>> {
  const digests = results.map((r) => r.digest).sort();
  const known = new Set<string>();
  const live = new Set<string>();
  for (const part of chunks(digests, DIGESTS_PER_QUERY)) {
    let images = trx.selectFrom('images').select(['digest', 'archived_at']).where('digest', 'in', part);
    // PostgreSQL: two workers re-matching one digest take turns (rows locked in digest order);
    // SQLite's BEGIN IMMEDIATE already serialises every writer
    if (ctx.dialect === 'postgres') images = images.orderBy('digest').forUpdate();
    for (const r of await images.execute()) {
      known.add(r.digest);
      if (r.archived_at === null) live.add(r.digest);
    }
  }
  const existingByDigest = await existingFindings(trx, results, live);

  const out: Array<StoreEvent[] | undefined> = [];
  // by match time: the findings resolved, and the images matched
  const resolved = new Map<number, number[]>();
  const sightings: Sightings = { missed: [], reseen: [] };
  const scanned = new Map<number, string[]>();
  // images whose counts moved, and each result's events, written once for the batch below
  const moved: string[] = [];
  const newEvents: Array<{ events: NewEvent[]; at: Date }> = [];
  for (const { digest, findings, options } of results) {
    if (!known.has(digest)) {
      out.push(undefined);
      continue;
    }
    if (!live.has(digest)) {
      out.push([]);
      continue;
    }
    const now = options.now.getTime();
    const scope = options.scope;
    const rows = existingByDigest.get(digest) ?? [];
    const existing = scope === undefined ? rows : rows.filter((r) => scope.has(r.purl));
    const resolving = resolved.get(now) ?? [];
    resolved.set(now, resolving);
    const { events, countsMoved } = await applyOne(trx, digest, findings, existing, options, resolving, sightings);
    const matched = scanned.get(now) ?? [];
    scanned.set(now, matched);
    matched.push(digest);
    if (countsMoved) moved.push(digest);
    newEvents.push({ events, at: options.now });
    out.push([]);
  }
  for (const [now, ids] of resolved) {
    for (const part of chunks(ids)) {
      // last_seen frozen at the last match that found it, before this batch moves matched_at (last-seen.ts)
      await trx
        .updateTable('findings')
        .set({ state: 'resolved', resolved_at: now, last_seen: frozenLastSeenSql(ctx.dialect) })
        .where('id', 'in', part)
        .execute();
    }
  }
  // before matched_at moves below: a missed finding's last sighting is the match before this one
  for (const ids of chunks(sightings.missed)) {
    await trx
      .updateTable('findings')
      .set({ unseen: 1, last_seen: frozenLastSeenSql(ctx.dialect) })
      .where('id', 'in', ids)
      .execute();
  }
  for (const ids of chunks(sightings.reseen)) {
    await trx.updateTable('findings').set({ unseen: 0 }).where('id', 'in', ids).execute();
  }
  await refreshCountsOf(trx, moved, totals);
  // the events, in one insert per match time, back to their results by digest (distinct here)
  const byTime = new Map<number, { at: Date; events: NewEvent[] }>();
  for (const { events, at } of newEvents) {
    const group = byTime.get(at.getTime()) ?? { at, events: [] };
    group.events.push(...events);
    byTime.set(at.getTime(), group);
  }
  const stored = new Map<string, StoreEvent[]>();
  for (const { at, events } of byTime.values()) {
    for (const event of await insertEvents(trx, events, at)) {
      const digest = event.digest as string;
      const list = stored.get(digest) ?? [];
      stored.set(digest, list);
      list.push(event);
    }
  }
  for (const [at, r] of results.entries()) {
    if (out[at] !== undefined) out[at] = stored.get(r.digest) ?? [];
  }
  // last_scanned of the images and matched_at of their digests, once for the batch: matched_at is
  // also when their open findings were last seen (last-seen.ts), so those found again unchanged
  // are not written at all
  for (const [now, scannedDigests] of scanned) {
    for (const part of chunks(scannedDigests, DIGESTS_PER_QUERY)) {
      await trx
        .updateTable('images')
        .set({ last_scanned: now })
        .where('digest', 'in', part)
        .where('archived_at', 'is', null)
        .execute();
      await trx
        .insertInto('digest_matches')
        .values(part.map((digest) => ({ digest, matched_at: now })))
        .onConflict((oc) => oc.column('digest').doUpdateSet((eb) => ({ matched_at: eb.ref('excluded.matched_at') })))
        .execute();
    }
  }
  return out;
}

/** digests per IN list */
const DIGESTS_PER_QUERY = 500;

/**
 * The stored findings of the live digests, by digest: for partial matches only those of the
 * scoped purls (filtered in the query while the purls are few).
 */
async function existingFindings(
  trx: Kysely<Database>,
  results: readonly MatchApplication[],
  live: ReadonlySet<string>,
): Promise<Map<string, ExistingRow[]>> {
  const byDigest = new Map<string, ExistingRow[]>();
  const digests = results.map((r) => r.digest).filter((d) => live.has(d));
  let purls: Set<string> | undefined;
  if (results.every((r) => r.options.scope !== undefined)) {
    purls = new Set(results.flatMap((r) => [...(r.options.scope as ReadonlySet<string>)]));
    if (purls.size === 0) return byDigest;
    if (purls.size > SCOPE_IN_SQL) purls = undefined;
  }
  for (const part of chunks(digests, DIGESTS_PER_QUERY)) {
    const rows = await trx
      .selectFrom('findings')
      .select([
        'id',
        'digest',
        'vulnerability_id',
        'purl',
        'state',
        'suppressed_until',
        'finding',
        'severity',
        'unseen',
      ])
      .where('digest', 'in', part)
      .$if(purls !== undefined, (q) => q.where('purl', 'in', [...(purls as Set<string>)]))
      .execute();
    for (const r of rows) {
      const list = byDigest.get(r.digest);
      if (list === undefined) byDigest.set(r.digest, [r]);
      else list.push(r);
    }
  }
  return byDigest;
}

/**
 * One image's changes: inserts, reopens and content updates are written here; the ids of findings
 * resolved go to `resolved`, and those missed or found again after a miss to `sightings`, for one
 * update each per batch. A finding seen again unchanged is not written: its last sighting is its
 * digest's last match (last-seen.ts).
 */
async function applyOne(
  trx: Kysely<Database>,
  digest: string,
  findings: readonly Finding[],
  existing: readonly ExistingRow[],
  options: ApplyOptions,
  resolved: number[],
  sightings: Sightings,
): Promise<{ events: NewEvent[]; countsMoved: boolean }> {
  const now = options.now.getTime();
  // One row per (vulnerability, package): the matcher can report the same purl at two locations;
  // the first one stands for both.
  const incoming = new Map<string, Finding>();
  for (const f of findings) {
    const key = identity(f.id, f.package.purl);
    if (!incoming.has(key)) incoming.set(key, f);
  }
  const byIdentity = new Map(existing.map((r) => [identity(r.vulnerability_id, r.purl), r]));
  const events: NewEvent[] = [];
  // whether a state or severity moved: only then do the image's counts need recomputing
  let countsMoved = false;

  const fresh: Finding[] = [];
  for (const [key, finding] of incoming) {
    const row = byIdentity.get(key);
    if (row === undefined) {
      fresh.push(finding);
      continue;
    }
    if (row.state === 'archived') continue;
    const columns = findingColumns(finding);
    const expired = row.state === 'suppressed' && row.suppressed_until !== null && row.suppressed_until <= now;
    if (row.severity !== finding.severity) countsMoved = true;
    if (row.state === 'resolved' || expired) {
      countsMoved = true;
      await trx
        .updateTable('findings')
        .set({ ...columns, ...reopened, last_seen: now })
        .where('id', '=', row.id)
        .execute();
      if (row.state === 'resolved') {
        events.push({
          type: 'finding.new',
          digest,
          payload: { findingId: row.id, ...about(finding), reopened: true },
        });
      }
    } else if (row.finding !== columns.finding) {
      await trx
        .updateTable('findings')
        .set({ ...columns, last_seen: now, unseen: 0 })
        .where('id', '=', row.id)
        .execute();
    } else if (row.unseen === 1) {
      sightings.reseen.push(row.id);
    }
  }
  if (fresh.length > 0) countsMoved = true;
  for (const part of chunks(fresh, 100)) {
    const inserted = await trx
      .insertInto('findings')
      .values(
        part.map((finding) => ({
          digest,
          vulnerability_id: finding.id,
          purl: finding.package.purl,
          ...findingColumns(finding),
          ...reopened,
          first_seen: now,
          last_seen: now,
        })),
      )
      .returning(['id', 'vulnerability_id', 'purl'])
      .execute();
    // RETURNING order is not promised by either database: match rows back by identity
    const ids = new Map(inserted.map((r) => [identity(r.vulnerability_id, r.purl), r.id]));
    for (const finding of part) {
      const findingId = ids.get(identity(finding.id, finding.package.purl));
      events.push({ type: 'finding.new', digest, payload: { findingId, ...about(finding), reopened: false } });
    }
  }

  const absent = existing.filter((r) => !incoming.has(identity(r.vulnerability_id, r.purl)));
  // missed without resolving (incomplete data, a suppression): its last sighting stops moving
  for (const r of absent) {
    const resolves = options.complete && r.state === 'open';
    if (!resolves && (r.state === 'open' || r.state === 'suppressed') && r.unseen === 0) sightings.missed.push(r.id);
  }
  if (options.complete) {
    const gone = absent.filter((r) => r.state === 'open');
    if (gone.length > 0) countsMoved = true;
    for (const r of gone) {
      resolved.push(r.id);
      events.push({
        type: 'finding.resolved',
        digest,
        payload: { findingId: r.id, vulnerabilityId: r.vulnerability_id, purl: r.purl, severity: r.severity },
      });
    }
  }
  return { events, countsMoved };
}

/**
 * The image was deleted from its registry. Its findings become archived (not resolved: nothing was
 * fixed, so no resolve events) once no live image row shares the digest. `scope` limits the
 * deletion to one registry repository; without it every row with the digest is archived.
 */
export async function archiveImage(
  ctx: StoreContext,
  digest: string,
  now: Date,
  scope?: { registryId: string; repository: string },
): Promise<void> {
  await ctx.write(async (trx) => {
    let archive = trx
      .updateTable('images')
      .set({ archived_at: now.getTime() })
      .where('digest', '=', digest)
      .where('archived_at', 'is', null);
    if (scope !== undefined) {
      archive = archive.where('registry_id', '=', scope.registryId).where('repository', '=', scope.repository);
    }
    await archive.execute();
    const live = await trx
      .selectFrom('images')
      .select('id')
      .where('digest', '=', digest)
      .where('archived_at', 'is', null)
      .executeTakeFirst();
    if (live !== undefined) return;
    await trx
      .updateTable('findings')
      .set({ state: 'archived', last_seen: frozenLastSeenSql(ctx.dialect) })
      .where('digest', '=', digest)
      .where('state', 'in', ['open', 'suppressed'])
      .execute();
    await refreshCounts(trx, digest);
  });
  // fewer live images for summary() to report
  forgetLiveImages(ctx);
}

export async function suppressFinding(
  ctx: StoreContext,
  id: number,
  suppression: { reason: string; by: string; until?: Date },
): Promise<StoredFinding | undefined> {
  if (suppression.reason.trim() === '' || suppression.by.trim() === '') {
    throw new VigilError('VIGIL_USAGE', 'a suppression needs a reason and who made it', {});
  }
  const row = await ctx.write(async (trx) => {
    const updated = await trx
      .updateTable('findings')
      .set({
        state: 'suppressed',
        suppress_reason: suppression.reason,
        suppressed_by: suppression.by,
        suppressed_until: suppression.until?.getTime() ?? null,
      })
      .where('id', '=', id)
      .where('state', 'in', ['open', 'suppressed'])
      .returning('digest')
      .executeTakeFirst();
    if (updated === undefined) return undefined;
    await refreshCounts(trx, updated.digest);
    return selectStoredFindings(ctx.dialect, trx).where('f.id', '=', id).executeTakeFirstOrThrow();
  });
  return row === undefined ? undefined : toStoredFinding(row);
}

/** Many findings by id in one query per 500; ids not stored are absent from the map. */
export async function getFindings(ctx: StoreContext, ids: readonly number[]): Promise<Map<number, StoredFinding>> {
  const out = new Map<number, StoredFinding>();
  const valid = [...new Set(ids)].filter((id) => Number.isSafeInteger(id));
  for (const part of chunks(valid)) {
    const rows = await selectStoredFindings(ctx.dialect, ctx.db).where('f.id', 'in', part).execute();
    for (const row of rows) out.set(Number(row.id), toStoredFinding(row));
  }
  return out;
}

export async function getFinding(ctx: StoreContext, id: number): Promise<StoredFinding | undefined> {
  if (!Number.isSafeInteger(id)) return undefined;
  const row = await selectStoredFindings(ctx.dialect, ctx.db).where('f.id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toStoredFinding(row);
}

/** the columns toStoredFinding reads but last_seen, which is derived (last-seen.ts) */
export const ownFindingColumns = storedFindingColumns.filter(
  (c): c is Exclude<(typeof storedFindingColumns)[number], 'last_seen'> => c !== 'last_seen',
);

/** what toStoredFinding reads, from `findings as f` */
function selectStoredFindings(dialect: StoreContext['dialect'], db: Kysely<Database>) {
  return db
    .selectFrom('findings as f')
    .leftJoin('digest_matches as m', 'm.digest', 'f.digest')
    .select([...ownFindingColumns.map((c) => `f.${c}` as const), lastSeenSql(dialect).as('last_seen')]);
}
