import type { Kysely, Selectable } from 'kysely';
import { chunks, type StoreContext } from './context.ts';
import type { Database, EventTable, EventType } from './schema.ts';
import type { StoreEvent } from './types.ts';

export interface NewEvent {
  readonly type: EventType;
  readonly digest?: string;
  readonly payload: Record<string, unknown>;
}

export function toEvent(row: Selectable<EventTable>): StoreEvent {
  return {
    id: row.id,
    type: row.type,
    ...(row.digest !== null && { digest: row.digest }),
    payload: JSON.parse(row.payload),
    createdAt: new Date(row.created_at),
  };
}

/** Written inside the caller's transaction: an event exists exactly when its state change does. */
export async function insertEvents(
  trx: Kysely<Database>,
  events: readonly NewEvent[],
  now: Date,
): Promise<StoreEvent[]> {
  const out: StoreEvent[] = [];
  for (const part of chunks(events, 100)) {
    const rows = await trx
      .insertInto('events')
      .values(
        part.map((event) => ({
          type: event.type,
          digest: event.digest ?? null,
          payload: JSON.stringify(event.payload),
          created_at: now.getTime(),
        })),
      )
      .returningAll()
      .execute();
    out.push(...rows.map(toEvent));
  }
  return out.sort((a, b) => a.id - b.id);
}

export async function insertEvent(
  ctx: StoreContext,
  type: EventType,
  payload: Record<string, unknown>,
  now: Date,
  digest?: string,
): Promise<StoreEvent> {
  const [event] = await ctx.write((trx) =>
    insertEvents(trx, [{ type, payload, ...(digest !== undefined && { digest }) }], now),
  );
  return event as StoreEvent;
}

export async function listEvents(
  ctx: StoreContext,
  filter: { afterId?: number; type?: EventType; limit?: number },
): Promise<StoreEvent[]> {
  let query = ctx.db.selectFrom('events').selectAll();
  if (filter.afterId !== undefined) query = query.where('id', '>', filter.afterId);
  if (filter.type !== undefined) query = query.where('type', '=', filter.type);
  const rows = await query
    .orderBy('id')
    .limit(Math.min(Math.max(filter.limit ?? 100, 1), 1000))
    .execute();
  return rows.map(toEvent);
}

/**
 * A re-match's outbox: per image with events, a row naming them, written in the transaction that
 * made them (`applyMatchResults` with `dispatchRun`) and cleared after their dispatch.
 */
export async function recordPendingDispatches(
  trx: Kysely<Database>,
  runId: string,
  results: ReadonlyArray<{ readonly digest: string; readonly options: { readonly now: Date } }>,
  events: ReadonlyArray<readonly StoreEvent[]>,
): Promise<void> {
  const rows = results
    .map((r, at) => ({ r, ids: (events[at] ?? []).map((e) => e.id) }))
    .filter(({ ids }) => ids.length > 0)
    .map(({ r, ids }) => ({
      run_id: runId,
      digest: r.digest,
      event_ids: JSON.stringify(ids),
      created_at: r.options.now.getTime(),
    }));
  for (const part of chunks(rows, 100)) await trx.insertInto('rematch_dispatches').values(part).execute();
}

export async function clearPendingDispatches(
  ctx: StoreContext,
  runId: string,
  digests: readonly string[],
): Promise<void> {
  for (const part of chunks(digests)) {
    await ctx.write((trx) =>
      trx.deleteFrom('rematch_dispatches').where('run_id', '=', runId).where('digest', 'in', part).execute(),
    );
  }
}

/** Re-match dispatches recorded before `before` and never cleared, oldest first, with their events. */
export async function pendingDispatches(
  ctx: StoreContext,
  before: Date,
  limit: number,
): Promise<Array<{ runId: string; digest: string; events: StoreEvent[] }>> {
  const rows = await ctx.db
    .selectFrom('rematch_dispatches')
    .select(['run_id', 'digest', 'event_ids'])
    .where('created_at', '<', before.getTime())
    .orderBy('created_at')
    .orderBy('id')
    .limit(limit)
    .execute();
  const out: Array<{ runId: string; digest: string; events: StoreEvent[] }> = [];
  for (const r of rows) {
    const ids = JSON.parse(r.event_ids) as number[];
    const events: StoreEvent[] = [];
    for (const part of chunks(ids)) {
      const found = await ctx.db.selectFrom('events').selectAll().where('id', 'in', part).orderBy('id').execute();
      events.push(...found.map(toEvent));
    }
    out.push({ runId: r.run_id, digest: r.digest, events });
  }
  return out;
}
