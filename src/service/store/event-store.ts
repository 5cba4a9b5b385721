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
