import { randomUUID } from 'node:crypto';
import { type Selectable, sql } from 'kysely';
import { VigilError } from '../../core/errors.ts';
import type { Inventory } from '../../core/types.ts';
import { hasUbuntuProPackages } from '../../match/distro.ts';
import { listRegistries, registryOfReference } from './config-store.ts';
import { chunks, type StoreContext, toDate, toFlag } from './context.ts';
import { refreshCounts } from './finding-store.ts';
import { forgetLiveImages } from './live-images.ts';
import { changedIndex, packageIndexEntries } from './package-index.ts';
import type { FindingState, ImageTable } from './schema.ts';
import type { Image, ImageInput, PackageKey, ScanConfig, TagHistoryEntry, TagRef } from './types.ts';

export function toImage(row: Selectable<ImageTable>): Image {
  const at = (millis: number | null) => toDate(millis);
  return {
    id: row.id,
    registryId: row.registry_id,
    repository: row.repository,
    digest: row.digest,
    ...(row.pushed_at !== null && { pushedAt: at(row.pushed_at) }),
    firstSeen: new Date(row.first_seen),
    ...(row.last_scanned !== null && { lastScanned: at(row.last_scanned) }),
    ...(row.last_indexed !== null && { lastIndexed: at(row.last_indexed) }),
    ...(row.extractor_key !== null && { extractorKey: row.extractor_key }),
    ...(row.archived_at !== null && { archivedAt: at(row.archived_at) }),
  };
}

/**
 * Inserts the image or refreshes its push time. An archived image seen again (re-pushed after a
 * delete) comes back to life, and so do its archived findings: they were never resolved, so they
 * return to open (or suppressed, when they were) without new events.
 */
export async function upsertImage(ctx: StoreContext, input: ImageInput, now: Date): Promise<Image> {
  const image = await ctx.write(async (trx) => {
    const row = await trx
      .insertInto('images')
      .values({
        id: randomUUID(),
        registry_id: input.registryId,
        repository: input.repository,
        digest: input.digest,
        pushed_at: input.pushedAt?.getTime() ?? null,
        first_seen: now.getTime(),
        last_scanned: null,
        last_indexed: null,
        extractor_key: null,
        archived_at: null,
      })
      .onConflict((oc) =>
        oc.columns(['registry_id', 'repository', 'digest']).doUpdateSet((eb) => ({
          pushed_at: eb.fn.coalesce('excluded.pushed_at', 'images.pushed_at'),
          archived_at: null,
        })),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    const revived = await trx
      .updateTable('findings')
      .set((eb) => ({
        state: eb
          .case()
          .when('suppress_reason', 'is not', null)
          .then(sql.lit<FindingState>('suppressed'))
          .else(sql.lit<FindingState>('open'))
          .end(),
      }))
      .where('digest', '=', input.digest)
      .where('state', '=', 'archived')
      .executeTakeFirst();
    if (revived.numUpdatedRows > 0n) await refreshCounts(trx, input.digest);
    return toImage(row);
  });
  // a new or revived image moves the live count summary() reports
  forgetLiveImages(ctx);
  return image;
}

/** `getImages` for many digests in one query per 500; a digest with no row maps to []. */
export async function getImagesOf(ctx: StoreContext, digests: readonly string[]): Promise<Map<string, Image[]>> {
  const out = new Map<string, Image[]>(digests.map((d) => [d, []]));
  for (const part of chunks([...new Set(digests)], LOOKUP_CHUNK)) {
    const rows = await ctx.db
      .selectFrom('images')
      .selectAll()
      .where('digest', 'in', part)
      .orderBy('first_seen')
      .orderBy('id')
      .execute();
    for (const row of rows) out.get(row.digest)?.push(toImage(row));
  }
  return out;
}

export async function getImages(ctx: StoreContext, digest: string): Promise<Image[]> {
  const rows = await ctx.db
    .selectFrom('images')
    .selectAll()
    .where('digest', '=', digest)
    .orderBy('first_seen')
    .orderBy('id')
    .execute();
  return rows.map(toImage);
}

/**
 * Live images (or every image with `includeArchived`), newest first seen first, a page at a time;
 * the cursor is the last row's (first_seen, id).
 */
export async function listImages(
  ctx: StoreContext,
  filter: { repository?: string; registryId?: string; includeArchived?: boolean },
  cursor: string | undefined,
  limit: number,
): Promise<{ images: Image[]; next?: string }> {
  const size = Math.min(Math.max(Math.trunc(limit), 1), 500);
  let query = ctx.db.selectFrom('images').selectAll();
  if (filter.includeArchived !== true) query = query.where('archived_at', 'is', null);
  if (filter.repository !== undefined) query = query.where('repository', '=', filter.repository);
  if (filter.registryId !== undefined) query = query.where('registry_id', '=', filter.registryId);
  if (cursor !== undefined) {
    const [firstSeen, id] = decodeImageCursor(cursor);
    // descending keyset: rows strictly before (first_seen, id)
    query = query.where((eb) => eb(eb.refTuple('first_seen', 'id'), '<', eb.tuple(firstSeen, id)));
  }
  const rows = await query
    .orderBy('first_seen', 'desc')
    .orderBy('id', 'desc')
    .limit(size + 1)
    .execute();
  const page = rows.slice(0, size);
  const last = page.at(-1);
  return {
    images: page.map(toImage),
    ...(rows.length > size &&
      last !== undefined && {
        next: Buffer.from(JSON.stringify([last.first_seen, last.id])).toString('base64url'),
      }),
  };
}

function decodeImageCursor(cursor: string): [number, string] {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && Number.isSafeInteger(value[0]) && typeof value[1] === 'string') {
      return value as [number, string];
    }
  } catch {
    // fall through to the usage error
  }
  throw new VigilError('VIGIL_USAGE', 'the page cursor is not one this server handed out', {});
}

/**
 * The tags a scan config covers, with the last re-match of the image each points at: in the
 * registry it reads (registryOfReference, as discovery finds it), its repository, its tag list
 * (null: every tag). Pattern-only configs cover no fixed tag list and return [].
 */
export async function tagsForConfig(
  ctx: StoreContext,
  config: ScanConfig,
): Promise<Array<{ tag: string; digest: string; lastScanned?: Date }>> {
  if (config.repository === undefined) return [];
  if (config.tags !== null && config.tags.length === 0) return [];
  const registry = registryOfReference(await listRegistries(ctx), config);
  if (registry === undefined) return [];
  let query = ctx.db
    .selectFrom('tags as t')
    .select(['t.tag', 't.digest'])
    .select((eb) =>
      eb
        .selectFrom('images as i')
        .select((e) => e.fn.max('i.last_scanned').as('m'))
        .whereRef('i.digest', '=', 't.digest')
        .whereRef('i.registry_id', '=', 't.registry_id')
        .whereRef('i.repository', '=', 't.repository')
        .as('last_scanned'),
    )
    .where('t.repository', '=', config.repository)
    .where('t.registry_id', '=', registry.id);
  if (config.tags !== null) query = query.where('t.tag', 'in', [...config.tags]);
  const rows = await query.orderBy('t.tag').execute();
  return rows.map((r) => ({
    tag: r.tag,
    digest: r.digest,
    ...(r.last_scanned != null && { lastScanned: new Date(Number(r.last_scanned)) }),
  }));
}

export async function recordTag(
  ctx: StoreContext,
  ref: TagRef,
  digest: string,
  now: Date,
): Promise<{ moved: boolean; previousDigest?: string }> {
  return ctx.write(async (trx) => {
    const current = await trx
      .selectFrom('tags')
      .select('digest')
      .where('registry_id', '=', ref.registryId)
      .where('repository', '=', ref.repository)
      .where('tag', '=', ref.tag)
      .executeTakeFirst();
    if (current?.digest === digest) return { moved: false };
    const at = now.getTime();
    const key = { registry_id: ref.registryId, repository: ref.repository, tag: ref.tag };
    if (current === undefined) {
      await trx
        .insertInto('tags')
        .values({ ...key, digest, updated_at: at })
        .execute();
    } else {
      await trx
        .updateTable('tags')
        .set({ digest, updated_at: at })
        .where('registry_id', '=', ref.registryId)
        .where('repository', '=', ref.repository)
        .where('tag', '=', ref.tag)
        .execute();
      await trx
        .updateTable('tag_history')
        .set({ replaced_at: at })
        .where('registry_id', '=', ref.registryId)
        .where('repository', '=', ref.repository)
        .where('tag', '=', ref.tag)
        .where('replaced_at', 'is', null)
        .execute();
    }
    await trx
      .insertInto('tag_history')
      .values({ ...key, digest, seen_at: at, replaced_at: null })
      .execute();
    return current === undefined ? { moved: false } : { moved: true, previousDigest: current.digest };
  });
}

/** oldest first */
export async function tagHistory(ctx: StoreContext, ref: TagRef): Promise<TagHistoryEntry[]> {
  const rows = await ctx.db
    .selectFrom('tag_history')
    .select(['digest', 'seen_at', 'replaced_at'])
    .where('registry_id', '=', ref.registryId)
    .where('repository', '=', ref.repository)
    .where('tag', '=', ref.tag)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    digest: r.digest,
    seenAt: new Date(r.seen_at),
    ...(r.replaced_at !== null && { replacedAt: new Date(r.replaced_at) }),
  }));
}

/**
 * The inventory, its package index (each key with the packages under it) and its header are
 * replaced together, so a re-index never leaves stale keys.
 */
export async function saveInventory(
  ctx: StoreContext,
  digest: string,
  inventory: Inventory,
  extractorKey: string,
  now: Date,
): Promise<void> {
  const entries = packageIndexEntries(inventory);
  const header = {
    header: JSON.stringify({ ...inventory, packages: [] }),
    ubuntu_pro: toFlag(hasUbuntuProPackages(inventory.packages)),
  };
  await ctx.write(async (trx) => {
    const row = { extractor_key: extractorKey, inventory: JSON.stringify(inventory), created_at: now.getTime() };
    await trx
      .insertInto('inventories')
      .values({ digest, ...row })
      .onConflict((oc) => oc.column('digest').doUpdateSet(row))
      .execute();
    await trx
      .insertInto('inventory_headers')
      .values({ digest, ...header })
      .onConflict((oc) => oc.column('digest').doUpdateSet(header))
      .execute();
    await trx.deleteFrom('inventory_packages').where('digest', '=', digest).execute();
    for (const part of chunks(entries, INDEX_ROWS_PER_INSERT)) {
      await trx
        .insertInto('inventory_packages')
        .values(
          part.map((e) => ({
            digest,
            ecosystem: e.key.ecosystem,
            name: e.key.name,
            packages: JSON.stringify(e.packages),
          })),
        )
        .execute();
    }
    await trx
      .updateTable('images')
      .set({ last_indexed: now.getTime(), extractor_key: extractorKey })
      .where('digest', '=', digest)
      .execute();
  });
}

/** 4 parameters a row: well under SQLite's 32,766 and PostgreSQL's 65,535 */
const INDEX_ROWS_PER_INSERT = 500;

export async function getInventory(
  ctx: StoreContext,
  digest: string,
): Promise<{ inventory: Inventory; extractorKey: string } | undefined> {
  const row = await ctx.db
    .selectFrom('inventories')
    .select(['inventory', 'extractor_key'])
    .where('digest', '=', digest)
    .executeTakeFirst();
  return row === undefined ? undefined : { inventory: JSON.parse(row.inventory), extractorKey: row.extractor_key };
}

/** The inventories of many digests in one query; a digest with none stored is absent from the map. */
export async function getInventories(
  ctx: StoreContext,
  digests: readonly string[],
): Promise<Map<string, { inventory: Inventory; extractorKey: string }>> {
  const out = new Map<string, { inventory: Inventory; extractorKey: string }>();
  for (const part of chunks(digests, LOOKUP_CHUNK)) {
    const rows = await ctx.db
      .selectFrom('inventories')
      .select(['digest', 'inventory', 'extractor_key'])
      .where('digest', 'in', part)
      .execute();
    for (const r of rows) out.set(r.digest, { inventory: JSON.parse(r.inventory), extractorKey: r.extractor_key });
  }
  return out;
}

/** names per IN list */
const LOOKUP_CHUNK = 500;

export async function imagesAffectedBy(ctx: StoreContext, packages: readonly PackageKey[]): Promise<string[]> {
  return [...(await affectedPackages(ctx, packages)).keys()].sort();
}

/**
 * What a DB delta has to re-match: each live image holding one of `packages`, with the packages it
 * holds under those keys (JSON arrays as stored, one per key hit; a package keyed by binary and
 * source name can be in two), or null for an image indexed before the index carried packages, whose
 * whole inventory must then be read.
 */
export async function affectedPackages(
  ctx: StoreContext,
  packages: readonly PackageKey[],
): Promise<Map<string, string[] | null>> {
  const affected = new Map<string, string[] | null>();
  // grouped by ecosystem so each query is `ecosystem = ? and name in (...)`: one index range per name
  for (const [ecosystem, names] of changedIndex(packages)) {
    for (const part of chunks([...names], LOOKUP_CHUNK)) {
      const rows = await ctx.db
        .selectFrom('inventory_packages as p')
        .select(['p.digest', 'p.packages'])
        .where('p.ecosystem', '=', ecosystem)
        .where('p.name', 'in', part)
        .where((eb) =>
          eb.exists(
            eb
              .selectFrom('images as i')
              .select('i.id')
              .whereRef('i.digest', '=', 'p.digest')
              .where('i.archived_at', 'is', null),
          ),
        )
        .execute();
      for (const r of rows) {
        const held = affected.get(r.digest);
        if (r.packages === null || held === null) affected.set(r.digest, null);
        else if (held === undefined) affected.set(r.digest, [r.packages]);
        else held.push(r.packages);
      }
    }
  }
  return affected;
}

/** The inventories' headers (no packages) and Ubuntu Pro flags; digests stored before 0004 are absent. */
export async function inventoryHeaders(
  ctx: StoreContext,
  digests: readonly string[],
): Promise<Map<string, { header: Inventory; ubuntuPro: boolean }>> {
  const out = new Map<string, { header: Inventory; ubuntuPro: boolean }>();
  for (const part of chunks(digests, LOOKUP_CHUNK)) {
    const rows = await ctx.db
      .selectFrom('inventory_headers')
      .select(['digest', 'header', 'ubuntu_pro'])
      .where('digest', 'in', part)
      .execute();
    for (const r of rows) out.set(r.digest, { header: JSON.parse(r.header), ubuntuPro: r.ubuntu_pro === 1 });
  }
  return out;
}
