import { extractors } from '../../extract/registry.ts';
import { extractorsKey } from '../../scan/extractor-key.ts';
import type { RuntimeContext } from './context.ts';
import type { JobQueue } from './queue.ts';

/** scans queued per pass: an upgrade re-indexes the fleet over several passes, not in one burst */
const DEFAULT_BATCH = 500;

/**
 * After an upgrade that changed an extractor's version (and so the extractors key), stored
 * inventories no longer say what the current extractors would find: each such image gets one
 * queued scan, which re-reads it (the scan job re-indexes when the keys differ). Images with a scan
 * already queued or running are left to it. Returns how many scans were queued.
 */
export async function queueReindex(ctx: RuntimeContext, queue: JobQueue, batch = DEFAULT_BATCH): Promise<number> {
  const digests = await ctx.queries.outdatedInventories(extractorsKey(extractors), batch);
  for (const digest of digests) {
    const scan = await ctx.store.createScan({ digest }, ctx.now());
    await queue.enqueue({ scanId: scan.id, digest, requestedBy: 'reindex' });
  }
  return digests.length;
}
