import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import { VigilError } from '../../core/errors.ts';
import { isUuid, type StoreContext, toDate } from './context.ts';
import { insertEvents } from './event-store.ts';
import type { ApiTokenTable, ScanStatus, ScanTable, TokenRole } from './schema.ts';
import type { ApiToken, Scan, SeverityCounts, StoreEvent } from './types.ts';

function toScan(row: Selectable<ScanTable>): Scan {
  return {
    id: row.id,
    digest: row.digest,
    ...(row.config_id !== null && { configId: row.config_id }),
    status: row.status,
    queuedAt: new Date(row.queued_at),
    ...(row.started_at !== null && { startedAt: toDate(row.started_at) }),
    ...(row.finished_at !== null && { finishedAt: toDate(row.finished_at) }),
    ...(row.counts !== null && { counts: JSON.parse(row.counts) as SeverityCounts }),
    ...(row.error !== null && { error: row.error }),
  };
}

export async function createScan(
  ctx: StoreContext,
  input: { digest: string; configId?: string },
  now: Date,
): Promise<Scan> {
  const row: Selectable<ScanTable> = {
    id: randomUUID(),
    digest: input.digest,
    config_id: input.configId ?? null,
    status: 'queued',
    queued_at: now.getTime(),
    started_at: null,
    finished_at: null,
    counts: null,
    error: null,
  };
  await ctx.write((trx) => trx.insertInto('scans').values(row).execute());
  return toScan(row);
}

/** queued -> running; a scan re-run after a crash (running, never finished) may start again */
export async function startScan(ctx: StoreContext, id: string, now: Date): Promise<Scan | undefined> {
  if (!isUuid(id)) return undefined;
  const row = await ctx.write((trx) =>
    trx
      .updateTable('scans')
      .set({ status: 'running', started_at: now.getTime() })
      .where('id', '=', id)
      .where('status', 'in', ['queued', 'running'])
      .returningAll()
      .executeTakeFirst(),
  );
  return row === undefined ? undefined : toScan(row);
}

/**
 * Finishes a scan and writes its event in the same transaction. Only a queued or running scan can
 * finish, so a job that runs twice (a retry after a crash) cannot write a second event.
 */
async function finishScan(
  ctx: StoreContext,
  id: string,
  outcome: { status: Extract<ScanStatus, 'completed' | 'failed'>; counts?: SeverityCounts; error?: string },
  now: Date,
): Promise<StoreEvent | undefined> {
  if (!isUuid(id)) return undefined;
  return ctx.write(async (trx) => {
    const row = await trx
      .updateTable('scans')
      .set({
        status: outcome.status,
        finished_at: now.getTime(),
        counts: outcome.counts === undefined ? null : JSON.stringify(outcome.counts),
        error: outcome.error ?? null,
      })
      .where('id', '=', id)
      .where('status', 'in', ['queued', 'running'])
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) return undefined;
    const type = outcome.status === 'completed' ? 'scan.completed' : 'scan.failed';
    const payload = {
      scanId: row.id,
      ...(row.config_id !== null && { configId: row.config_id }),
      ...(outcome.counts !== undefined && { counts: outcome.counts }),
      ...(outcome.error !== undefined && { error: outcome.error }),
    };
    const [event] = await insertEvents(trx, [{ type, digest: row.digest, payload }], now);
    return event;
  });
}

export const completeScan = (ctx: StoreContext, id: string, counts: SeverityCounts, now: Date) =>
  finishScan(ctx, id, { status: 'completed', counts }, now);

export const failScan = (ctx: StoreContext, id: string, error: string, now: Date) =>
  finishScan(ctx, id, { status: 'failed', error }, now);

export async function getScan(ctx: StoreContext, id: string): Promise<Scan | undefined> {
  if (!isUuid(id)) return undefined;
  const row = await ctx.db.selectFrom('scans').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toScan(row);
}

/** newest first */
export async function listScans(
  ctx: StoreContext,
  filter: { digest?: string; status?: ScanStatus; limit?: number },
): Promise<Scan[]> {
  let query = ctx.db.selectFrom('scans').selectAll();
  if (filter.digest !== undefined) query = query.where('digest', '=', filter.digest);
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  const rows = await query
    .orderBy('queued_at', 'desc')
    .orderBy('id')
    .limit(Math.min(Math.max(filter.limit ?? 100, 1), 1000))
    .execute();
  return rows.map(toScan);
}

function toToken(row: Omit<Selectable<ApiTokenTable>, 'token_hash'>): ApiToken {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    createdAt: new Date(row.created_at),
    ...(row.last_used_at !== null && { lastUsedAt: toDate(row.last_used_at) }),
    ...(row.revoked_at !== null && { revokedAt: toDate(row.revoked_at) }),
  };
}

const sha256Hex = /^[0-9a-f]{64}$/;
const tokenColumns = ['id', 'name', 'role', 'created_at', 'last_used_at', 'revoked_at'] as const;

export async function createApiToken(
  ctx: StoreContext,
  input: { name: string; role: TokenRole; tokenHash: string },
  now: Date,
): Promise<ApiToken> {
  // the plaintext token must never reach the store: only its lowercase hex SHA-256 is accepted
  if (!sha256Hex.test(input.tokenHash)) {
    throw new VigilError('VIGIL_USAGE', 'tokenHash must be a lowercase hex SHA-256', {});
  }
  const row = {
    id: randomUUID(),
    name: input.name,
    role: input.role,
    token_hash: input.tokenHash,
    created_at: now.getTime(),
    last_used_at: null,
    revoked_at: null,
  };
  await ctx.write((trx) => trx.insertInto('api_tokens').values(row).execute());
  return toToken(row);
}

/**
 * last_used_at is refreshed at most once a minute: every API request looks its token up, and a
 * write per request would queue every reader behind SQLite's single writer.
 */
const LAST_USED_RESOLUTION_MS = 60_000;

export async function findApiTokenByHash(
  ctx: StoreContext,
  tokenHash: string,
  now: Date,
): Promise<ApiToken | undefined> {
  if (!sha256Hex.test(tokenHash)) return undefined;
  const row = await ctx.db
    .selectFrom('api_tokens')
    .select(tokenColumns)
    .where('token_hash', '=', tokenHash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  const at = now.getTime();
  if (row.last_used_at !== null && at - row.last_used_at < LAST_USED_RESOLUTION_MS) return toToken(row);
  await ctx.write((trx) => trx.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', row.id).execute());
  return toToken({ ...row, last_used_at: at });
}

export async function revokeApiToken(ctx: StoreContext, id: string, now: Date): Promise<boolean> {
  if (!isUuid(id)) return false;
  const result = await ctx.write((trx) =>
    trx
      .updateTable('api_tokens')
      .set({ revoked_at: now.getTime() })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst(),
  );
  return result.numUpdatedRows > 0n;
}

export async function listApiTokens(ctx: StoreContext): Promise<ApiToken[]> {
  const rows = await ctx.db.selectFrom('api_tokens').select(tokenColumns).orderBy('created_at').orderBy('id').execute();
  return rows.map(toToken);
}
