import { randomUUID } from 'node:crypto';
import { type Selectable, sql } from 'kysely';
import type { Inventory } from '../../core/types.ts';
import { chunks, type StoreContext, toDate } from './context.ts';
import { refreshCounts } from './finding-store.ts';
import { indexKey, packageIndexKeys } from './package-index.ts';
import type { FindingState, ImageTable } from './schema.ts';
import type { Image, ImageInput, PackageKey, TagHistoryEntry, TagRef } from './types.ts';

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
  return ctx.write(async (trx) => {
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

/** The inventory and its package index are replaced together, so a re-index never leaves stale keys. */
export async function saveInventory(
  ctx: StoreContext,
  digest: string,
  inventory: Inventory,
  extractorKey: string,
  now: Date,
): Promise<void> {
  const keys = packageIndexKeys(inventory);
  await ctx.write(async (trx) => {
    const row = { extractor_key: extractorKey, inventory: JSON.stringify(inventory), created_at: now.getTime() };
    await trx
      .insertInto('inventories')
      .values({ digest, ...row })
      .onConflict((oc) => oc.column('digest').doUpdateSet(row))
      .execute();
    await trx.deleteFrom('inventory_packages').where('digest', '=', digest).execute();
    for (const part of chunks(keys)) {
      await trx
        .insertInto('inventory_packages')
        .values(part.map((k) => ({ digest, ecosystem: k.ecosystem, name: k.name })))
        .execute();
    }
    await trx
      .updateTable('images')
      .set({ last_indexed: now.getTime(), extractor_key: extractorKey })
      .where('digest', '=', digest)
      .execute();
  });
}

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

/** names per IN list */
const LOOKUP_CHUNK = 500;

export async function imagesAffectedBy(ctx: StoreContext, packages: readonly PackageKey[]): Promise<string[]> {
  // grouped by ecosystem so each query is `ecosystem = ? and name in (...)`: one index range per name
  const byEcosystem = new Map<string, Set<string>>();
  for (const key of packages.map(indexKey)) {
    const names = byEcosystem.get(key.ecosystem) ?? new Set<string>();
    names.add(key.name);
    byEcosystem.set(key.ecosystem, names);
  }
  const digests = new Set<string>();
  for (const [ecosystem, names] of byEcosystem) {
    for (const part of chunks([...names], LOOKUP_CHUNK)) {
      const rows = await ctx.db
        .selectFrom('inventory_packages as p')
        .select('p.digest')
        .distinct()
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
      for (const r of rows) digests.add(r.digest);
    }
  }
  return [...digests].sort();
}
