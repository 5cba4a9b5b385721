import { randomUUID } from 'node:crypto';
import type { Inventory, Package } from '../../core/types.ts';
import { hasUbuntuProPackages } from '../../match/distro.ts';
import { matchInventory } from '../../match/index.ts';
import { type ChangedIndex, changedIndex, packagesHitBy } from '../store/package-index.ts';
import type { Image, MatchApplication, PackageKey } from '../store/types.ts';
import type { RuntimeContext } from './context.ts';
import { subjectResolver } from './image-subject.ts';
import { findingIdsOf, findingsOf } from './notify-events.ts';
import { dispatch } from './scan-job.ts';

export interface ReevaluateOptions {
  /**
   * the (ecosystem, name) pairs a DB update touched: only images holding one are re-matched.
   * Absent: every stored inventory (the daily full re-match, or an update whose delta is unknown).
   */
  readonly changedPackages?: readonly PackageKey[];
  readonly signal?: AbortSignal;
}

export interface ReevaluateResult {
  /** a short id naming this run in events (the notifier folds a run's findings per image) */
  readonly runId: string;
  readonly images: number;
  readonly newFindings: number;
  readonly resolvedFindings: number;
  readonly complete: boolean;
  /** set when nothing was re-matched, with why */
  readonly skipped?: string;
}

const PAGE = 200;

/**
 * Re-matches stored inventories against the current vulnerability DB without pulling anything.
 * Images go in batches of BATCH: their inventories are read in one query and their results applied
 * in one transaction (last_scanned = the re-match time), then each image's events go to the
 * notifier in one dispatch. A DB delta (`changedPackages`) re-evaluates, in each image it reaches,
 * only the packages a changed advisory can hit. Incomplete data re-matches too, so new findings
 * are still raised, but resolves nothing. No DB at all: nothing is touched, and last_scanned
 * stays, so the scan-age check keeps telling.
 */
export async function reevaluate(ctx: RuntimeContext, options: ReevaluateOptions = {}): Promise<ReevaluateResult> {
  const runId = randomUUID();
  const reader = ctx.vulnDb.reader();
  const empty = { runId, images: 0, newFindings: 0, resolvedFindings: 0 };
  if (reader === undefined) return { ...empty, complete: false, skipped: 'no vulnerability database' };
  const { complete, reason } = ctx.vulnDb.completeness(reader, ctx.now(), ctx.staleAfterMs);
  if (!complete) ctx.logger?.warn({ runId, reason }, 're-match on incomplete data: nothing resolves');
  const subjectOf = subjectResolver(ctx);
  const changed = options.changedPackages === undefined ? undefined : changedIndex(options.changedPackages);
  let images = 0;
  let newFindings = 0;
  let resolvedFindings = 0;

  const apply = async (results: MatchApplication[]) => {
    // the events are also recorded as pending dispatch in the same transaction, and cleared once
    // dispatched: a process that dies in between leaves them for redispatchRematches
    const applied = await ctx.store.applyMatchResults(results, { dispatchRun: runId });
    images += results.length;
    const dispatched: string[] = [];
    // the image rows events name, for every image with events in one query
    const told = results.filter((_, at) => (applied[at]?.length ?? 0) > 0).map((r) => r.digest);
    const rows = told.length === 0 ? new Map<string, Image[]>() : await ctx.store.getImagesOf(told);
    // and the findings they name, for every image in one query per 500 (one query per image made
    // a delta's 5,000 dispatches 5,000 round trips)
    const findings =
      ctx.notifier === undefined ? undefined : await findingsOf(ctx.store, applied.flatMap(findingIdsOf));
    for (const [at, events] of applied.entries()) {
      newFindings += events.filter((e) => e.type === 'finding.new').length;
      resolvedFindings += events.filter((e) => e.type === 'finding.resolved').length;
      if (events.length === 0) continue;
      const digest = (results[at] as MatchApplication).digest;
      const live = rows.get(digest)?.find((i) => i.archivedAt === undefined);
      const subject = await subjectOf(digest, `${runId}:${digest}`, live);
      if (subject !== undefined) await dispatch(ctx, events, subject, findings);
      dispatched.push(digest);
    }
    if (dispatched.length > 0) await ctx.store.clearPendingDispatches(runId, dispatched);
  };

  if (changed === undefined) {
    const rematchAll = async (digests: readonly string[]) => {
      const now = ctx.now();
      const results: MatchApplication[] = [];
      for (const [digest, { inventory }] of await ctx.store.getInventories(digests)) {
        const { findings } = matchInventory(inventory, reader, { now });
        results.push({ digest, findings, options: { complete, now } });
      }
      await apply(results);
    };
    let after: string | undefined;
    for (;;) {
      const page = await ctx.queries.inventoriedDigests(after, PAGE);
      await eachBatch(page, rematchAll, options.signal);
      if (page.length < PAGE) break;
      after = page.at(-1);
    }
  } else if (changed.size > 0) {
    // A delta: in each image holding a changed package, only the packages a changed advisory can hit
    // are matched again (read from the package index, not the whole inventory); the findings of the
    // rest stand, since nothing they were matched against changed.
    const affected = await ctx.store.affectedPackages(options.changedPackages ?? []);
    const rematchHit = async (digests: readonly string[]) => {
      const headers = await ctx.store.inventoryHeaders(digests);
      const indexedBefore = digests.filter((d) => affected.get(d) === null || !headers.has(d));
      const whole = indexedBefore.length === 0 ? new Map() : await ctx.store.getInventories(indexedBefore);
      const now = ctx.now();
      const results: MatchApplication[] = [];
      for (const digest of digests) {
        const hit = hitInventory(affected.get(digest), headers.get(digest), whole.get(digest)?.inventory, changed);
        if (hit === undefined) continue;
        const { inventory, ubuntuPro } = hit;
        const { findings } = matchInventory(inventory, reader, { now, ubuntuPro });
        const scope = new Set(inventory.packages.map((p) => p.purl));
        results.push({ digest, findings, options: { complete, now, scope } });
      }
      await apply(results);
    };
    await eachBatch([...affected.keys()].sort(), rematchHit, options.signal, DELTA_BATCH);
  }
  return { runId, images, newFindings, resolvedFindings, complete };
}

/**
 * A re-match's dispatches that a process never finished (it died between a batch's transaction and
 * its dispatch): each image's events go to the notifier now, with their stored ids, so receivers
 * that saw them can drop them. Rows younger than `graceMs` may belong to a run still going.
 */
export async function redispatchRematches(ctx: RuntimeContext, graceMs = REDISPATCH_GRACE_MS, limit = 100) {
  const pending = await ctx.store.pendingDispatches(new Date(ctx.now().getTime() - graceMs), limit);
  const subjectOf = subjectResolver(ctx);
  for (const { runId, digest, events } of pending) {
    const subject = await subjectOf(digest, `${runId}:${digest}`);
    if (subject !== undefined && events.length > 0) await dispatch(ctx, events, subject);
    await ctx.store.clearPendingDispatches(runId, [digest]);
  }
  return pending.length;
}

/** a batch dispatches within seconds of its transaction; a row this old was left by a dead process */
const REDISPATCH_GRACE_MS = 10 * 60_000;

/**
 * Images per batch: one inventory query and one write transaction each. Larger batches commit
 * less often but hold SQLite's write lock longer (a scan job's write waits for it).
 */
const BATCH = 25;

/**
 * Images per batch of a delta: each carries only the few packages a changed advisory can hit, so a
 * batch of 250 writes about what 25 whole images do, in a tenth of the round trips. Run on
 * PostgreSQL (bench:service, 10,000 images reached): 11.1–11.8 s in batches of 25, 9.3 s of 100,
 * 8.2 s of 250.
 */
const DELTA_BATCH = 250;

/**
 * Batches in flight at once: on PostgreSQL a batch is round trips in turn, which overlap over the
 * pool; on SQLite one batch's transaction queues on the one connection while the next is matched.
 */
const CONCURRENCY = 2;

async function eachBatch(
  digests: readonly string[],
  work: (batch: readonly string[]) => Promise<void>,
  signal: AbortSignal | undefined,
  size = BATCH,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < digests.length) {
      signal?.throwIfAborted();
      const batch = digests.slice(next, next + size);
      next += size;
      await work(batch);
    }
  };
  const batches = Math.ceil(digests.length / size);
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, batches) }, worker));
}

/**
 * The inventory a delta matches for one image: its header with the packages the index gave for the
 * changed keys (each package once), or, for an image indexed before the index carried packages,
 * the whole inventory filtered to them. Ubuntu Pro is decided on the whole inventory, as a full
 * match decides it. Undefined when the inventory is gone.
 */
function hitInventory(
  indexed: readonly string[] | null | undefined,
  header: { header: Inventory; ubuntuPro: boolean } | undefined,
  whole: Inventory | undefined,
  changed: ChangedIndex,
): { inventory: Inventory; ubuntuPro: boolean } | undefined {
  if (whole !== undefined) {
    const packages = packagesHitBy(whole, changed);
    return { inventory: { ...whole, packages }, ubuntuPro: hasUbuntuProPackages(whole.packages) };
  }
  if (indexed === undefined || indexed === null || header === undefined) return undefined;
  let packages = indexed.flatMap((json) => JSON.parse(json) as Package[]);
  if (indexed.length > 1) {
    // a package under both its binary and its source name comes twice
    const seen = new Set<string>();
    packages = packages.filter((pkg) => {
      const identity = JSON.stringify(pkg);
      return !seen.has(identity) && seen.add(identity) !== undefined;
    });
  }
  return { inventory: { ...header.header, packages }, ubuntuPro: header.ubuntuPro };
}
