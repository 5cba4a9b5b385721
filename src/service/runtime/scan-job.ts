import { isVigilError, VigilError } from '../../core/errors.ts';
import type { Finding, Inventory } from '../../core/types.ts';
import { extractors } from '../../extract/registry.ts';
import { matchInventory } from '../../match/index.ts';
import { extractorsKey } from '../../scan/extractor-key.ts';
import { inventoryImage } from '../../scan/index.ts';
import type { ConfigOwner } from '../notify/types.ts';
import type { ScanJobRow } from '../store/scan-queue.ts';
import type { Image, Registry, SeverityCounts, StoreEvent } from '../store/types.ts';
import { configOwnerResolver } from './config-owner.ts';
import type { RuntimeContext } from './context.ts';
import { type EventSubject, toNotifyEvents, zeroCounts } from './notify-events.ts';
import { type RegistryAccess, registryAccess } from './registry-access.ts';

/** A scan asked for directly (discovery, a push, a test): where the image is. */
export interface ScanRequest {
  readonly registryId: string;
  readonly repository: string;
  /** the manifest digest; when absent, `tag` is resolved to one first */
  readonly digest?: string;
  readonly tag?: string;
  readonly configId?: string;
  /** re-index even when the stored inventory came from the current extractors */
  readonly force?: boolean;
}

export interface ScanOutcome {
  readonly scanId: string;
  readonly digest: string;
  readonly status: 'completed' | 'failed';
  /** false when the vulnerability data was missing, partial or stale: nothing was resolved */
  readonly complete: boolean;
  readonly counts?: SeverityCounts;
  readonly error?: string;
  /** every stored event of the scan, in id order (what was dispatched) */
  readonly events: readonly StoreEvent[];
}

const LEASE_MS = 5 * 60_000;

/** Creates the scan row and runs it here and now (not through a queue). */
export async function runScan(ctx: RuntimeContext, request: ScanRequest, owner = 'direct'): Promise<ScanOutcome> {
  const registry = await requireRegistry(ctx, request.registryId);
  const digest = request.digest ?? (await resolveTag(ctx, registry, request.repository, request.tag));
  const scan = await ctx.store.createScan(
    { digest, ...(request.configId !== undefined && { configId: request.configId }) },
    ctx.now(),
  );
  await ctx.jobs.saveDetails(scan.id, {
    registryId: request.registryId,
    repository: request.repository,
    ...(request.tag !== undefined && { tag: request.tag }),
    ...(request.force !== undefined && { force: request.force }),
  });
  const job = await ctx.jobs.begin(scan.id, owner, ctx.now(), LEASE_MS);
  if (job === undefined) throw new VigilError('VIGIL_INTERNAL', `scan ${scan.id} vanished before it started`, {});
  return executeScan(ctx, job);
}

/**
 * Runs a claimed scan (its row running, its lease held) to the end: resolve the image, inventory it
 * unless the stored inventory came from the current extractors, match, apply the result, finish
 * the scan row, and dispatch its events once. Every store write is one transaction and re-applying
 * a result changes nothing, so a re-run after a crash writes no second finding, event or history
 * row; the events the crashed attempt stored are found again through the watermark and
 * dispatched with their stored ids.
 *
 * A `signal` abort (shutdown) is thrown as it is: the caller hands the job back to the queue.
 */
export async function executeScan(ctx: RuntimeContext, job: ScanJobRow, signal?: AbortSignal): Promise<ScanOutcome> {
  const watermark = await ctx.jobs.markEventWatermark(job.scanId);
  let subject: EventSubject = {
    scanId: job.scanId,
    image: { registry: '', repository: job.repository ?? '', digest: job.digest },
  };
  let complete = false;
  try {
    const image = await locate(ctx, job);
    const registry = await requireRegistry(ctx, image.registryId);
    const access = registryAccess(ctx, registry);
    subject = await subjectOf(ctx, job, access.host, image);
    const inventory = await inventoryOf(ctx, job, image, access, signal);
    const reader = ctx.vulnDb.reader();
    if (reader === undefined) {
      throw new VigilError(
        'VIGIL_DB_MISSING',
        `no vulnerability database at ${ctx.vulnDb.path}; run vigil db update`,
        {},
      );
    }
    const now = ctx.now();
    const data = ctx.vulnDb.completeness(reader, now, ctx.staleAfterMs);
    complete = data.complete;
    if (!data.complete)
      ctx.logger?.warn({ scanId: job.scanId, reason: data.reason }, 'incomplete data: nothing resolves');
    const { findings } = matchInventory(inventory, reader, { now });
    await ctx.store.applyMatchResult(job.digest, findings, { complete, now });
    const counts = (await ctx.store.countsByImage([job.digest])).get(job.digest) ?? zeroCounts();
    const finished = await ctx.store.completeScan(job.scanId, counts, ctx.now());
    const events = await eventsOfScan(ctx, job, watermark, finished);
    await dispatch(ctx, events, subject);
    await ctx.jobs.markDispatched(job.scanId);
    return { scanId: job.scanId, digest: job.digest, status: 'completed', complete, counts, events };
  } catch (err) {
    if (signal?.aborted === true) throw err;
    const error = isVigilError(err) ? `${err.code}: ${err.message}` : `VIGIL_INTERNAL: ${(err as Error).message}`;
    ctx.logger?.error({ scanId: job.scanId, digest: job.digest, error }, 'scan failed');
    const failed = await ctx.store.failScan(job.scanId, error, ctx.now());
    const events = await eventsOfScan(ctx, job, watermark, failed);
    await dispatch(ctx, events, subject);
    await ctx.jobs.markDispatched(job.scanId);
    return { scanId: job.scanId, digest: job.digest, status: 'failed', complete, error, events };
  }
}

/**
 * A scan that took its worker down on every attempt (a poison image, an out-of-memory layer) is
 * failed rather than tried forever; its event still goes to the notifier, so the outage is seen.
 */
export async function giveUp(ctx: RuntimeContext, job: ScanJobRow, attempts: number): Promise<void> {
  const watermark = await ctx.jobs.markEventWatermark(job.scanId);
  const failed = await ctx.store.failScan(
    job.scanId,
    `VIGIL_INTERNAL: the scan stopped its worker ${attempts} times; not tried again`,
    ctx.now(),
  );
  const events = await eventsOfScan(ctx, job, watermark, failed);
  await dispatch(ctx, events, await subjectOrBare(ctx, job));
  await ctx.jobs.markDispatched(job.scanId);
}

/**
 * Scans that finished but whose events never reached the notifier (the process died between the
 * two) are dispatched now, with the stored event ids, so receivers that saw them can drop them.
 * Run when a queue recovers expired leases.
 */
export async function redispatchPending(ctx: RuntimeContext, limit = 100): Promise<number> {
  const pending = await ctx.jobs.undispatched(ctx.now(), limit);
  for (const job of pending) {
    const watermark = job.eventWatermark ?? 0;
    const finished = await ctx.jobs.finishEvent(job.scanId, job.digest, watermark);
    await dispatch(ctx, await eventsOfScan(ctx, job, watermark, finished), await subjectOrBare(ctx, job));
    await ctx.jobs.markDispatched(job.scanId);
  }
  return pending.length;
}

/** the scan's image as events name it; bare (digest only) when its registry row is gone */
async function subjectOrBare(ctx: RuntimeContext, job: ScanJobRow): Promise<EventSubject> {
  try {
    const image = await locateStored(ctx, job);
    const registry = await requireRegistry(ctx, image.registryId);
    return await subjectOf(ctx, job, registryAccess(ctx, registry).host, image);
  } catch {
    return { scanId: job.scanId, image: { registry: '', repository: job.repository ?? '', digest: job.digest } };
  }
}

/** the image row of a scan without writing anything: the job's repository, else the first live row */
async function locateStored(ctx: RuntimeContext, job: ScanJobRow): Promise<Image> {
  const images = await ctx.store.getImages(job.digest);
  const image =
    images.find((i) => i.registryId === job.registryId && i.repository === job.repository) ??
    images.find((i) => i.archivedAt === undefined) ??
    images[0];
  if (image === undefined) throw new VigilError('VIGIL_IMAGE_NOT_FOUND', `no image ${job.digest}`, {});
  return image;
}

/**
 * The scan's events: the finding events stored for its digest since the first attempt began, and
 * the scan.completed/failed event. None when the scan row had already finished (a duplicate
 * delivery of a job that was done): its events went out with the run that finished it.
 */
async function eventsOfScan(
  ctx: RuntimeContext,
  job: ScanJobRow,
  watermark: number,
  finished: StoreEvent | undefined,
): Promise<StoreEvent[]> {
  if (finished === undefined) return [];
  const findings = await ctx.jobs.findingEvents(job.digest, watermark, finished.id);
  return [...findings, finished];
}

export async function dispatch(
  ctx: RuntimeContext,
  events: readonly StoreEvent[],
  subject: EventSubject,
  /** the findings the events name, when the caller read them already (a re-match, per batch) */
  findings?: ReadonlyMap<number, Finding>,
) {
  if (ctx.notifier === undefined || events.length === 0) return;
  try {
    await ctx.notifier.dispatch(await toNotifyEvents(ctx.store, events, subject, findings));
  } catch (err) {
    // the events are stored; a notifier that throws must not turn a finished scan into a failed one
    ctx.logger?.error({ scanId: subject.scanId, error: (err as Error).message }, 'notification dispatch failed');
  }
}

async function requireRegistry(ctx: RuntimeContext, registryId: string): Promise<Registry> {
  const registry = await ctx.store.getRegistry(registryId);
  if (registry === undefined) {
    throw new VigilError('VIGIL_USAGE', `registry ${registryId} is not configured`, { registryId });
  }
  return registry;
}

async function resolveTag(ctx: RuntimeContext, registry: Registry, repository: string, tag = 'latest') {
  return registryAccess(ctx, registry).client().manifestDigest(repository, tag);
}

/**
 * The image row the scan reads: the one the job names, else the digest's first live row (an
 * on-demand scan from the API names only the digest).
 */
async function locate(ctx: RuntimeContext, job: ScanJobRow): Promise<Image> {
  if (job.registryId !== undefined && job.repository !== undefined) {
    const image = await ctx.store.upsertImage(
      { registryId: job.registryId, repository: job.repository, digest: job.digest },
      ctx.now(),
    );
    if (job.tag !== undefined) {
      await ctx.store.recordTag(
        { registryId: job.registryId, repository: job.repository, tag: job.tag },
        job.digest,
        ctx.now(),
      );
    }
    return image;
  }
  const images = await ctx.store.getImages(job.digest);
  const image = images.find((i) => i.archivedAt === undefined) ?? images[0];
  if (image === undefined) {
    throw new VigilError('VIGIL_IMAGE_NOT_FOUND', `no image with digest ${job.digest} is stored`, {
      digest: job.digest,
    });
  }
  return image;
}

/**
 * The scan's image as events name it, and its config: the one whose discovery queued it, else (a
 * push, a scan asked for through the API) the config the image falls under (config-owner.ts).
 */
async function subjectOf(ctx: RuntimeContext, job: ScanJobRow, host: string, image: Image): Promise<EventSubject> {
  const { repository } = image;
  let config: ConfigOwner | undefined;
  if (job.configId !== undefined) {
    const row = await ctx.store.getConfig(job.configId);
    config = { configId: job.configId, ...(row?.owner !== undefined && { owner: row.owner }) };
  } else {
    config = await configOwnerResolver(ctx)(image.registryId, repository);
  }
  return {
    scanId: job.scanId,
    image: { registry: host, repository, digest: job.digest, ...(job.tag !== undefined && { tag: job.tag }) },
    ...(config !== undefined && { config }),
  };
}

/** The stored inventory when the current extractors made it and no re-index was asked; else read. */
async function inventoryOf(
  ctx: RuntimeContext,
  job: ScanJobRow,
  image: Image,
  access: RegistryAccess,
  signal: AbortSignal | undefined,
): Promise<Inventory> {
  const key = extractorsKey(extractors);
  const stored = await ctx.store.getInventory(job.digest);
  if (stored !== undefined && stored.extractorKey === key && !job.force) return stored.inventory;
  const result = await inventoryImage(`${access.host}/${image.repository}@${job.digest}`, {
    cacheDir: ctx.cacheDir,
    // asked to re-index: the layer cache would hand back what the last reading found
    useCache: !job.force,
    source: access.options,
    now: ctx.now,
    ...(signal !== undefined && { signal }),
  });
  await ctx.store.saveInventory(job.digest, result.inventory, key, ctx.now());
  return result.inventory;
}
