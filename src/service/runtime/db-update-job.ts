import { type Transport, type UpdateResult, updateDatabase, type VulnSource } from '../../vulndb/index.ts';
import type { RuntimeContext } from './context.ts';
import { withDbDelta } from './db-delta.ts';
import { type ReevaluateResult, reevaluate } from './reevaluate.ts';

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
 * re-match only the images holding a package whose advisories changed.
 */
export async function runDbUpdate(ctx: RuntimeContext, options: DbUpdateJobOptions): Promise<DbUpdateJobResult> {
  const { result, changedPackages } = await withDbDelta(ctx.vulnDb.path, () =>
    updateDatabase({
      dbPath: ctx.vulnDb.path,
      sources: options.sources,
      transport: options.transport,
      now: ctx.now,
      ...(options.signal !== undefined && { signal: options.signal }),
    }),
  );
  const rematch = await reevaluate(ctx, {
    ...(changedPackages !== undefined && { changedPackages }),
    ...(options.signal !== undefined && { signal: options.signal }),
  });
  ctx.logger?.info(
    { changedPackages: changedPackages?.length ?? 'all', images: rematch.images, runId: rematch.runId },
    'vulnerability data updated and re-matched',
  );
  return { update: result, ...(changedPackages !== undefined && { changedPackages: changedPackages.length }), rematch };
}
