import { randomUUID } from 'node:crypto';
import { matchInventory } from '../../match/index.ts';
import type { PackageKey } from '../store/types.ts';
import type { RuntimeContext } from './context.ts';
import { subjectResolver } from './image-subject.ts';
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
 * Each image's result is applied in its own transaction (last_scanned = the re-match time) and its
 * events go to the notifier in one dispatch. Incomplete data re-matches too, so new findings are
 * still raised, but resolves nothing. No DB at all: nothing is touched, and last_scanned stays, so
 * the scan-age check keeps telling.
 */
export async function reevaluate(ctx: RuntimeContext, options: ReevaluateOptions = {}): Promise<ReevaluateResult> {
  const runId = randomUUID();
  const reader = ctx.vulnDb.reader();
  const empty = { runId, images: 0, newFindings: 0, resolvedFindings: 0 };
  if (reader === undefined) return { ...empty, complete: false, skipped: 'no vulnerability database' };
  const { complete, reason } = ctx.vulnDb.completeness(reader, ctx.now(), ctx.staleAfterMs);
  if (!complete) ctx.logger?.warn({ runId, reason }, 're-match on incomplete data: nothing resolves');
  const subjectOf = subjectResolver(ctx);
  let images = 0;
  let newFindings = 0;
  let resolvedFindings = 0;

  const rematch = async (digest: string) => {
    const stored = await ctx.store.getInventory(digest);
    if (stored === undefined) return;
    const now = ctx.now();
    const { findings } = matchInventory(stored.inventory, reader, { now });
    const events = await ctx.store.applyMatchResult(digest, findings, { complete, now });
    images++;
    newFindings += events.filter((e) => e.type === 'finding.new').length;
    resolvedFindings += events.filter((e) => e.type === 'finding.resolved').length;
    if (events.length === 0) return;
    const subject = await subjectOf(digest, `${runId}:${digest}`);
    if (subject !== undefined) await dispatch(ctx, events, subject);
  };

  if (options.changedPackages !== undefined) {
    if (options.changedPackages.length > 0) {
      await eachWithLimit(await ctx.store.imagesAffectedBy(options.changedPackages), rematch, options.signal);
    }
  } else {
    let after: string | undefined;
    for (;;) {
      const page = await ctx.queries.inventoriedDigests(after, PAGE);
      await eachWithLimit(page, rematch, options.signal);
      if (page.length < PAGE) break;
      after = page.at(-1);
    }
  }
  return { runId, images, newFindings, resolvedFindings, complete };
}

/**
 * Images re-matched at once: on PostgreSQL each image is a few round trips (inventory, findings,
 * the transaction), which overlap over the pool; on SQLite the transactions queue on the one
 * connection while the next image is matched. Four keeps memory to four inventories at a time.
 */
const REMATCH_CONCURRENCY = 4;

async function eachWithLimit(
  digests: readonly string[],
  work: (digest: string) => Promise<void>,
  signal: AbortSignal | undefined,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < digests.length) {
      signal?.throwIfAborted();
      await work(digests[next++] as string);
    }
  };
  await Promise.all(Array.from({ length: Math.min(REMATCH_CONCURRENCY, digests.length) }, worker));
}
