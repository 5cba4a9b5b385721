import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { VigilError } from '../../core/errors.ts';
import {
  type ChannelConfig,
  type DeliveryAttempt,
  type DeliveryLog,
  type DeliveryRecord,
  type DeliveryStatus,
  type NewDelivery,
  parseChannelConfig,
  redactChannelConfig,
} from '../notify/index.ts';
import type { SecretBox } from '../secrets.ts';
import { isUniqueViolation, isUuid, type StoreContext, toFlag } from './context.ts';
import type { Database } from './schema.ts';
import type { ChannelInput, DeliveryFilter, Store, StoredChannel } from './types.ts';

/**
 * Notification channels and the delivery log (migration 0003-channels). The tables are typed here
 * rather than in schema.ts so that this module owns them whole.
 */

interface ChannelTable {
  id: string;
  name: string;
  type: ChannelInput['type'];
  config: string;
  secrets: Uint8Array | null;
  filters: string | null;
  digest: number;
  created_at: number;
  updated_at: number;
  disabled_at: number | null;
}

interface DeliveryTable {
  id: string;
  channel_id: string;
  channel_type: string;
  notification_type: string;
  notification_id: string;
  event_ids: string;
  /** the prepared message: channel content and the redacted request */
  message: string;
  attempts: string;
  state: DeliveryStatus;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
  last_error: string | null;
}

type ChannelDatabase = Database & { channels: ChannelTable; deliveries: DeliveryTable };

const tablesOf = (db: Kysely<Database> | Transaction<Database>): Kysely<ChannelDatabase> =>
  db.withTables<{ channels: ChannelTable; deliveries: DeliveryTable }>();

/** the purpose sealed into every channel's secrets (see secrets.ts) */
export const CHANNEL_SECRETS_PURPOSE = 'channel-secrets';

const nameTaken =
  (name: string | undefined) =>
  (err: unknown): never => {
    if (isUniqueViolation(err)) {
      throw new VigilError('VIGIL_USAGE', `a channel named ${JSON.stringify(name)} already exists`, {}, { cause: err });
    }
    throw err;
  };

function channelRow(input: Partial<ChannelInput>) {
  return {
    ...(input.name !== undefined && { name: input.name }),
    ...(input.type !== undefined && { type: input.type }),
    ...(input.config !== undefined && { config: JSON.stringify(input.config) }),
    ...('secrets' in input && { secrets: input.secrets ?? null }),
    ...('filters' in input && { filters: input.filters === undefined ? null : JSON.stringify(input.filters) }),
    ...(input.digest !== undefined && { digest: toFlag(input.digest) }),
  };
}

function toChannel(row: ChannelTable): StoredChannel {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    config: JSON.parse(row.config) as Record<string, unknown>,
    // both drivers hand back a Buffer; a plain Uint8Array keeps callers off Buffer-only methods
    ...(row.secrets !== null && { secrets: new Uint8Array(row.secrets) }),
    ...(row.filters !== null && { filters: JSON.parse(row.filters) as Record<string, unknown> }),
    digest: row.digest === 1,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    ...(row.disabled_at !== null && { disabledAt: new Date(row.disabled_at) }),
  };
}

export async function createChannel(ctx: StoreContext, input: ChannelInput, now: Date): Promise<StoredChannel> {
  const row: ChannelTable = {
    id: randomUUID(),
    name: input.name,
    type: input.type,
    config: JSON.stringify(input.config),
    secrets: input.secrets ?? null,
    filters: input.filters === undefined ? null : JSON.stringify(input.filters),
    digest: toFlag(input.digest),
    created_at: now.getTime(),
    updated_at: now.getTime(),
    disabled_at: input.disabled === true ? now.getTime() : null,
  };
  await ctx.write((trx) => tablesOf(trx).insertInto('channels').values(row).execute()).catch(nameTaken(input.name));
  return toChannel(row);
}

export async function getChannel(ctx: StoreContext, id: string): Promise<StoredChannel | undefined> {
  if (!isUuid(id)) return undefined;
  const row = await tablesOf(ctx.db).selectFrom('channels').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toChannel(row);
}

export async function listChannels(ctx: StoreContext): Promise<StoredChannel[]> {
  const rows = await tablesOf(ctx.db).selectFrom('channels').selectAll().orderBy('name').execute();
  return rows.map(toChannel);
}

export async function updateChannel(
  ctx: StoreContext,
  id: string,
  patch: Partial<ChannelInput>,
  now: Date,
): Promise<StoredChannel | undefined> {
  if (!isUuid(id)) return undefined;
  return ctx
    .write(async (trx) => {
      const db = tablesOf(trx);
      const current = await db.selectFrom('channels').selectAll().where('id', '=', id).executeTakeFirst();
      if (current === undefined) return undefined;
      const disabled =
        patch.disabled === undefined
          ? {}
          : { disabled_at: patch.disabled ? (current.disabled_at ?? now.getTime()) : null };
      const row = await db
        .updateTable('channels')
        .set({ ...channelRow(patch), ...disabled, updated_at: now.getTime() })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      return toChannel(row);
    })
    .catch(nameTaken(patch.name));
}

export async function deleteChannel(ctx: StoreContext, id: string): Promise<boolean> {
  if (!isUuid(id)) return false;
  const result = await ctx.write((trx) => tablesOf(trx).deleteFrom('channels').where('id', '=', id).executeTakeFirst());
  return result.numDeletedRows > 0n;
}

const millis = (iso: string): number => new Date(iso).getTime();

function toDelivery(row: DeliveryTable): DeliveryRecord {
  return {
    id: row.id,
    channelId: row.channel_id,
    channelType: row.channel_type,
    notificationType: row.notification_type as DeliveryRecord['notificationType'],
    notificationId: row.notification_id,
    eventIds: JSON.parse(row.event_ids) as string[],
    createdAt: new Date(row.created_at).toISOString(),
    message: JSON.parse(row.message) as DeliveryRecord['message'],
    status: row.state,
    attempts: JSON.parse(row.attempts) as DeliveryAttempt[],
    ...(row.last_error !== null && { lastError: row.last_error }),
    ...(row.finished_at !== null && { finishedAt: new Date(row.finished_at).toISOString() }),
  };
}

export async function createDelivery(ctx: StoreContext, delivery: NewDelivery): Promise<void> {
  await ctx.write((trx) =>
    tablesOf(trx)
      .insertInto('deliveries')
      .values({
        id: delivery.id,
        channel_id: delivery.channelId,
        channel_type: delivery.channelType,
        notification_type: delivery.notificationType,
        notification_id: delivery.notificationId,
        event_ids: JSON.stringify(delivery.eventIds),
        message: JSON.stringify(delivery.message),
        attempts: '[]',
        state: 'pending',
        created_at: millis(delivery.createdAt),
        updated_at: millis(delivery.createdAt),
        finished_at: null,
        last_error: null,
      })
      .execute(),
  );
}

const noDelivery = (id: string) => new VigilError('VIGIL_USAGE', `no delivery ${id}`, { deliveryId: id });

export async function recordDeliveryAttempt(ctx: StoreContext, id: string, attempt: DeliveryAttempt): Promise<void> {
  await ctx.write(async (trx) => {
    const db = tablesOf(trx);
    // attempts of one delivery come one after another; the row lock keeps a concurrent replay's in order
    let query = db.selectFrom('deliveries').select('attempts').where('id', '=', id);
    if (ctx.dialect === 'postgres') query = query.forUpdate();
    const row = await query.executeTakeFirst();
    if (row === undefined) throw noDelivery(id);
    const attempts = [...(JSON.parse(row.attempts) as DeliveryAttempt[]), attempt];
    await db
      .updateTable('deliveries')
      .set({ attempts: JSON.stringify(attempts), updated_at: millis(attempt.at) })
      .where('id', '=', id)
      .execute();
  });
}

export async function finishDelivery(
  ctx: StoreContext,
  id: string,
  status: 'delivered' | 'failed',
  at: string,
  error?: string,
): Promise<void> {
  const result = await ctx.write((trx) =>
    tablesOf(trx)
      .updateTable('deliveries')
      .set({
        state: status,
        finished_at: millis(at),
        updated_at: millis(at),
        last_error: status === 'failed' ? (error ?? null) : null,
      })
      .where('id', '=', id)
      .executeTakeFirst(),
  );
  if (result.numUpdatedRows === 0n) throw noDelivery(id);
}

export async function getDelivery(ctx: StoreContext, id: string): Promise<DeliveryRecord | undefined> {
  const row = await tablesOf(ctx.db).selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toDelivery(row);
}

const encodeCursor = (row: { created_at: number; id: string }): string =>
  Buffer.from(JSON.stringify([row.created_at, row.id])).toString('base64url');

function decodeCursor(cursor: string): [number, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && typeof value[0] === 'number' && typeof value[1] === 'string') {
      return [value[0], value[1]];
    }
  } catch {
    // falls through to the usage error
  }
  throw new VigilError('VIGIL_USAGE', 'cursor is not one this server handed out', {});
}

export async function listDeliveries(
  ctx: StoreContext,
  filter: DeliveryFilter,
  cursor?: string,
  limit?: number,
): Promise<{ deliveries: DeliveryRecord[]; next?: string }> {
  let query = tablesOf(ctx.db).selectFrom('deliveries').selectAll().orderBy('created_at').orderBy('id');
  if (filter.state !== undefined) query = query.where('state', '=', filter.state);
  if (filter.channelId !== undefined) query = query.where('channel_id', '=', filter.channelId);
  if (cursor !== undefined) {
    const [created, id] = decodeCursor(cursor);
    query = query.where((eb) =>
      eb.or([eb('created_at', '>', created), eb.and([eb('created_at', '=', created), eb('id', '>', id)])]),
    );
  }
  if (limit !== undefined) query = query.limit(limit + 1);
  const rows = await query.execute();
  const more = limit !== undefined && rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  const last = page.at(-1);
  return { deliveries: page.map(toDelivery), ...(more && last !== undefined && { next: encodeCursor(last) }) };
}

/** notify's DeliveryLog over the store: failed deliveries outlive the process and can be replayed */
export function storeDeliveryLog(store: Store): DeliveryLog {
  return {
    create: (delivery) => store.createDelivery(delivery),
    recordAttempt: (id, attempt) => store.recordDeliveryAttempt(id, attempt),
    markDelivered: (id, at) => store.finishDelivery(id, 'delivered', at),
    markFailed: (id, at, error) => store.finishDelivery(id, 'failed', at, error),
    listFailed: async (options = {}) =>
      (
        await store.listDeliveries(
          { state: 'failed', ...(options.channelId !== undefined && { channelId: options.channelId }) },
          undefined,
          options.limit,
        )
      ).deliveries,
    get: (id) => store.getDelivery(id),
  };
}

type SecretPath = readonly (string | number)[];

/** the paths where the redacted config differs from the real one, with the real values */
function secretValues(real: unknown, redacted: unknown, path: SecretPath = []): Array<[SecretPath, unknown]> {
  if (typeof real === 'object' && real !== null && typeof redacted === 'object' && redacted !== null) {
    return Object.keys(real).flatMap((key) =>
      secretValues((real as Record<string, unknown>)[key], (redacted as Record<string, unknown>)[key], [...path, key]),
    );
  }
  return real === redacted ? [] : [[path, real]];
}

/**
 * A validated channel config as the store keeps it: every secret (found by notify's own
 * `redactChannelConfig`, so a new channel kind needs nothing here) sealed into `secrets`, the rest
 * as JSON with the secret values reading "[redacted]". Sealing needs the box only when there is a
 * secret to seal.
 */
export function sealChannelConfig(
  config: ChannelConfig,
  box: SecretBox | undefined,
): Pick<ChannelInput, 'type' | 'config' | 'secrets' | 'filters' | 'digest'> {
  const redacted = redactChannelConfig(config);
  const secrets = secretValues(config, redacted);
  if (secrets.length > 0 && box === undefined) {
    throw new VigilError('VIGIL_USAGE', 'channel secrets cannot be stored: VIGIL_SECRET_KEY is not set on the server');
  }
  const { id: _id, type, filter, ...rest } = redacted;
  return {
    type,
    config: rest,
    secrets: secrets.length === 0 ? undefined : box?.seal(JSON.stringify(secrets), CHANNEL_SECRETS_PURPOSE),
    filters: filter,
    digest: config.digest !== undefined,
  };
}

/** The stored channel as the notifier takes it (id = the channel's uuid), secrets opened. */
export function openChannelConfig(channel: StoredChannel, box: SecretBox | undefined): ChannelConfig {
  const config: Record<string, unknown> = structuredClone({
    ...channel.config,
    id: channel.id,
    type: channel.type,
    ...(channel.filters !== undefined && { filter: channel.filters }),
  });
  if (channel.secrets !== undefined) {
    if (box === undefined) {
      throw new VigilError('VIGIL_USAGE', `channel ${channel.name} has secrets but VIGIL_SECRET_KEY is not set`, {});
    }
    for (const [path, value] of JSON.parse(box.open(channel.secrets, CHANNEL_SECRETS_PURPOSE)) as Array<
      [SecretPath, unknown]
    >) {
      let target = config as Record<string | number, unknown>;
      for (const key of path.slice(0, -1)) target = target[key] as Record<string | number, unknown>;
      target[path.at(-1) as string | number] = value;
    }
  }
  return parseChannelConfig(config);
}
