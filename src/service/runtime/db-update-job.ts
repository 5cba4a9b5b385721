import { type Transport, type UpdateResult, updateDatabase, type VulnSource } from '../../vulndb/index.ts';
import type { RuntimeContext } from './context.ts';
import type { DbWatch } from './db-watch.ts';
import type { ReevaluateResult } from './reevaluate.ts';

export interface DbUpdateJobOptions {
  readonly sources: readonly VulnSource[];
  readonly transport: Transport;
  readonly signal?: AbortSignal;
}

export interface DbUpdateJobResult {
  readonly update: UpdateResult;
  /** how many (ecosystem, package) pairs changed; undefined when everything was re-matched */
  readonly changedPackages?: number;
  readonly rematch: ReevaluateResult;
}

/**
 * The scheduled `db update`: update the vulnerability DB file in place (build beside, swap), then
 * re-match only the images holding a package whose advisories changed. The watch re-matches: first
 * any change made beside the service since its last check (so that its link is the file this
 * update starts from), then this update's.
 */
export async function runDbUpdate(
  ctx: RuntimeContext,
  watch: DbWatch,
  options: DbUpdateJobOptions,
): Promise<DbUpdateJobResult> {
  await watch.check(options.signal);
  const update = await updateDatabase({
    dbPath: ctx.vulnDb.path,
    sources: options.sources,
    transport: options.transport,
    now: ctx.now,
    ...(options.signal !== undefined && { signal: options.signal }),
  });
  const changed = await watch.check(options.signal);
  const rematch = changed?.rematch ?? {
    runId: '',
    images: 0,
    newFindings: 0,
    resolvedFindings: 0,
    complete: true,
    skipped: 'the vulnerability DB file did not change',
  };
  const changedPackages = changed === undefined ? [] : changed.changedPackages;
  ctx.logger?.info(
    { changedPackages: changedPackages?.length ?? 'all', images: rematch.images, runId: rematch.runId },
    'vulnerability data updated and re-matched',
  );
  return { update, ...(changedPackages !== undefined && { changedPackages: changedPackages.length }), rematch };
}
