import type { StoreContext } from './context.ts';

/**
 * Live images per store, remembered for LIVE_IMAGES_MS: counting them is a scan of the images
 * table (2.5 ms at 10,000 images on PostgreSQL, most of what a summary request cost), while the
 * count moves only when discovery adds or archives an image. This store's own writes forget it at
 * once (`forgetLiveImages`); another node's show within LIVE_IMAGES_MS.
 */
const liveImages = new WeakMap<StoreContext, { count: number; until: number }>();
const LIVE_IMAGES_MS = 5_000;

export function forgetLiveImages(ctx: StoreContext): void {
  liveImages.delete(ctx);
}

export async function liveImageCount(ctx: StoreContext): Promise<number> {
  const cached = liveImages.get(ctx);
  if (cached !== undefined && cached.until > Date.now()) return cached.count;
  const row = await ctx.db
    .selectFrom('images')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('archived_at', 'is', null)
    .executeTakeFirstOrThrow();
  const count = Number(row.count);
  liveImages.set(ctx, { count, until: Date.now() + LIVE_IMAGES_MS });
  return count;
}
