import { scanWindowCutoff } from '../store/index.ts';
import type { RuntimeContext } from './context.ts';
import { subjectResolver } from './image-subject.ts';
import { dispatch } from './scan-job.ts';

export interface ScanAgeOptions {
  /** the scan window (FedRAMP: 30 days) */
  readonly windowDays?: number;
  /** only registries marked production */
  readonly productionOnly?: boolean;
}

/**
 * Raises image.scan-expired for every live image not scanned (re-matched) within the window, once
 * per image per lapse: an event written after the image's last scan means it was already told. A
 * re-scan moves the last scan past that event, so the next lapse is told again.
 */
/** Returns how many images were newly told about. */
export async function checkScanAge(ctx: RuntimeContext, options: ScanAgeOptions = {}): Promise<number> {
  const windowDays = options.windowDays ?? 30;
  const now = ctx.now();
  const expired = await ctx.store.imagesNotScannedSince(scanWindowCutoff(now, windowDays), {
    ...(options.productionOnly !== undefined && { productionOnly: options.productionOnly }),
  });
  const subjectOf = subjectResolver(ctx);
  const told = new Set<string>();
  let raised = 0;
  for (const image of expired) {
    if (told.has(image.digest)) continue;
    told.add(image.digest);
    const basis = image.lastScanned ?? image.pushedAt ?? image.firstSeen;
    if (await ctx.queries.hasEventSince('image.scan-expired', image.digest, basis)) continue;
    const event = await ctx.store.insertEvent(
      'image.scan-expired',
      {
        lastScannedAt: image.lastScanned?.toISOString() ?? null,
        windowDays,
        registryId: image.registryId,
        repository: image.repository,
      },
      now,
      image.digest,
    );
    const subject = await subjectOf(image.digest, `scan-age:${image.digest}`, image);
    if (subject !== undefined) await dispatch(ctx, [event], subject);
    raised++;
  }
  return raised;
}
