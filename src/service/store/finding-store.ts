import type { Kysely, Selectable } from 'kysely';
import { VigilError } from '../../core/errors.ts';
import { type Finding, type Severity, severities } from '../../core/types.ts';
import { chunks, type StoreContext, toFlag } from './context.ts';
import { insertEvents, type NewEvent } from './event-store.ts';
import type { Database, FindingState, FindingTable } from './schema.ts';
import type { ApplyOptions, StoredFinding, StoreEvent } from './types.ts';

export const severityRank = (severity: Severity): number => {
  const rank = severities.indexOf(severity);
  return rank === -1 ? severities.indexOf('UNKNOWN') : rank;
};

export function toStoredFinding(row: Selectable<FindingTable>): StoredFinding {
  return {
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
    finding: JSON.parse(row.finding),
  };
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
} as const;

/**
 * Recomputes the image's rows in image_finding_counts from its findings and moves finding_totals by
 * the difference; called in the transaction of every change to a digest's findings, so neither is
 * ever out of step. A re-match that changed no state writes nothing here. Totals are updated in
 * (state, severity) order so that two PostgreSQL transactions cannot deadlock on them.
 */
export async function refreshCounts(trx: Kysely<Database>, digest: string): Promise<void> {
  const before = await trx
    .selectFrom('image_finding_counts')
    .select(['state', 'severity', 'count'])
    .where('digest', '=', digest)
    .execute();
  const after = await trx
    .selectFrom('findings')
    .select(['state', 'severity', (eb) => eb.fn.countAll<number>().as('count')])
    .where('digest', '=', digest)
    .groupBy(['state', 'severity'])
    .execute();
  const delta = new Map<string, { state: FindingState; severity: string; change: number }>();
  const move = (r: { state: FindingState; severity: string; count: number }, sign: number) => {
    const key = `${r.state} ${r.severity}`;
    const entry = delta.get(key) ?? { state: r.state, severity: r.severity, change: 0 };
    entry.change += sign * Number(r.count);
    delta.set(key, entry);
  };
  for (const r of before) move(r, -1);
  for (const r of after) move(r, 1);
  const changes = [...delta.entries()].filter(([, d]) => d.change !== 0).sort(([a], [b]) => (a < b ? -1 : 1));
  if (changes.length === 0) return;
  await trx.deleteFrom('image_finding_counts').where('digest', '=', digest).execute();
  if (after.length > 0) {
    await trx
      .insertInto('image_finding_counts')
      .values(after.map((r) => ({ digest, state: r.state, severity: r.severity, count: Number(r.count) })))
      .execute();
  }
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
 * - an open or suppressed finding still present gets last_seen = now (a suppression past its
 *   expiry returns to open);
 * - an open finding missing from the result is resolved (finding.resolved) only when the result is
 *   complete: incomplete data must never look like a fix;
 * - archived findings are left alone.
 * Re-applying the same result changes last_seen only: no new rows, no new events.
 * Returns [] without writing for a digest whose every image row is archived.
 */
export async function applyMatchResult(
  ctx: StoreContext,
  digest: string,
  findings: readonly Finding[],
  options: ApplyOptions,
): Promise<StoreEvent[]> {
  const now = options.now.getTime();
  // One row per (vulnerability, package): the matcher can report the same purl at two locations;
  // the first one stands for both.
  const incoming = new Map<string, Finding>();
  for (const f of findings) {
    const key = identity(f.id, f.package.purl);
    if (!incoming.has(key)) incoming.set(key, f);
  }
  return ctx.write(async (trx) => {
    let images = trx.selectFrom('images').select(['id', 'archived_at']).where('digest', '=', digest);
    // PostgreSQL: two workers re-matching one digest take turns; SQLite's BEGIN IMMEDIATE already
    // serialises every writer
    if (ctx.dialect === 'postgres') images = images.forUpdate();
    const rows = await images.execute();
    if (rows.length === 0) {
      throw new VigilError('VIGIL_IMAGE_NOT_FOUND', `no image with digest ${digest} is stored`, { digest });
    }
    if (rows.every((r) => r.archived_at !== null)) return [];

    const existing = await trx
      .selectFrom('findings')
      .select(['id', 'vulnerability_id', 'purl', 'state', 'suppressed_until', 'finding', 'severity'])
      .where('digest', '=', digest)
      .execute();
    const byIdentity = new Map(existing.map((r) => [identity(r.vulnerability_id, r.purl), r]));
    const events: NewEvent[] = [];
    const touched: number[] = [];

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
      if (row.state === 'resolved' || expired) {
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
          .set({ ...columns, last_seen: now })
          .where('id', '=', row.id)
          .execute();
      } else {
        touched.push(row.id);
      }
    }
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
    for (const ids of chunks(touched)) {
      await trx.updateTable('findings').set({ last_seen: now }).where('id', 'in', ids).execute();
    }

    if (options.complete) {
      const gone = existing.filter((r) => r.state === 'open' && !incoming.has(identity(r.vulnerability_id, r.purl)));
      for (const ids of chunks(gone.map((r) => r.id))) {
        await trx.updateTable('findings').set({ state: 'resolved', resolved_at: now }).where('id', 'in', ids).execute();
      }
      for (const r of gone) {
        events.push({
          type: 'finding.resolved',
          digest,
          payload: { findingId: r.id, vulnerabilityId: r.vulnerability_id, purl: r.purl, severity: r.severity },
        });
      }
    }
    await trx
      .updateTable('images')
      .set({ last_scanned: now })
      .where('digest', '=', digest)
      .where('archived_at', 'is', null)
      .execute();
    await refreshCounts(trx, digest);
    return insertEvents(trx, events, options.now);
  });
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
      .set({ state: 'archived' })
      .where('digest', '=', digest)
      .where('state', 'in', ['open', 'suppressed'])
      .execute();
    await refreshCounts(trx, digest);
  });
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
      .returningAll()
      .executeTakeFirst();
    if (updated !== undefined) await refreshCounts(trx, updated.digest);
    return updated;
  });
  return row === undefined ? undefined : toStoredFinding(row);
}

export async function getFinding(ctx: StoreContext, id: number): Promise<StoredFinding | undefined> {
  if (!Number.isSafeInteger(id)) return undefined;
  const row = await ctx.db.selectFrom('findings').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toStoredFinding(row);
}
