import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import { VigilError } from '../../core/errors.ts';
import { isUniqueViolation, isUuid, type StoreContext, toFlag } from './context.ts';
import type { RegistryTable, ScanConfigTable } from './schema.ts';
import type { EcrScanConfig, Registry, RegistryInput, ScanConfig, ScanConfigInput } from './types.ts';

export const DEFAULT_SCHEDULE = '0 0 * * *';
export const DEFAULT_TIME_ZONE = 'UTC';

function registryRow(input: Partial<RegistryInput>) {
  return {
    ...(input.name !== undefined && { name: input.name }),
    ...(input.url !== undefined && { url: input.url }),
    ...(input.kind !== undefined && { kind: input.kind }),
    ...('region' in input && { region: input.region ?? null }),
    ...('awsAccountId' in input && { aws_account_id: input.awsAccountId ?? null }),
    ...('awsRoleArn' in input && { aws_role_arn: input.awsRoleArn ?? null }),
    ...(input.production !== undefined && { production: toFlag(input.production) }),
    ...('credentials' in input && { credentials: input.credentials ?? null }),
  };
}

/** registry names are unique: the API answers a taken one with a 4xx, not a 500 */
const nameTaken =
  (name: string | undefined) =>
  (err: unknown): never => {
    if (isUniqueViolation(err)) {
      throw new VigilError(
        'VIGIL_USAGE',
        `a registry named ${JSON.stringify(name)} already exists`,
        {},
        { cause: err },
      );
    }
    throw err;
  };

function toRegistry(row: Selectable<RegistryTable>): Registry {
  return {
    id: row.id,
    name: row.name,
    url: row.url,
    kind: row.kind,
    ...(row.region !== null && { region: row.region }),
    ...(row.aws_account_id !== null && { awsAccountId: row.aws_account_id }),
    ...(row.aws_role_arn !== null && { awsRoleArn: row.aws_role_arn }),
    production: row.production === 1,
    // both drivers hand back a Buffer; a plain Uint8Array keeps callers off Buffer-only methods
    ...(row.credentials !== null && { credentials: new Uint8Array(row.credentials) }),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

export async function createRegistry(ctx: StoreContext, input: RegistryInput, now: Date): Promise<Registry> {
  const row = {
    id: randomUUID(),
    name: input.name,
    url: input.url,
    kind: input.kind,
    region: input.region ?? null,
    aws_account_id: input.awsAccountId ?? null,
    aws_role_arn: input.awsRoleArn ?? null,
    production: toFlag(input.production),
    credentials: input.credentials ?? null,
    created_at: now.getTime(),
    updated_at: now.getTime(),
  };
  await ctx.write((trx) => trx.insertInto('registries').values(row).execute()).catch(nameTaken(input.name));
  return toRegistry(row);
}

export async function getRegistry(ctx: StoreContext, id: string): Promise<Registry | undefined> {
  if (!isUuid(id)) return undefined;
  const row = await ctx.db.selectFrom('registries').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toRegistry(row);
}

export async function listRegistries(ctx: StoreContext): Promise<Registry[]> {
  const rows = await ctx.db.selectFrom('registries').selectAll().orderBy('name').execute();
  return rows.map(toRegistry);
}

export async function updateRegistry(
  ctx: StoreContext,
  id: string,
  patch: Partial<RegistryInput>,
  now: Date,
): Promise<Registry | undefined> {
  if (!isUuid(id)) return undefined;
  const row = await ctx
    .write((trx) =>
      trx
        .updateTable('registries')
        .set({ ...registryRow(patch), updated_at: now.getTime() })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst(),
    )
    .catch(nameTaken(patch.name));
  return row === undefined ? undefined : toRegistry(row);
}

export async function deleteRegistry(ctx: StoreContext, id: string): Promise<boolean> {
  if (!isUuid(id)) return false;
  const result = await ctx.write((trx) => trx.deleteFrom('registries').where('id', '=', id).executeTakeFirst());
  return result.numDeletedRows > 0n;
}

/**
 * A config names what to watch either the ECR way (region + registry account id) or by registry
 * URL, and one repository or a pattern; anything else could never be scanned.
 */
export function checkConfig(input: ScanConfigInput): void {
  const ecr = input.region !== undefined || input.registry !== undefined;
  if (ecr && (input.region === undefined || input.registry === undefined)) {
    throw new VigilError('VIGIL_USAGE', 'an ECR scan config needs both region and registry', {});
  }
  if (!ecr && input.registryUrl === undefined && input.registryId === undefined) {
    throw new VigilError('VIGIL_USAGE', 'a scan config needs region and registry, registry_url or a registry id', {});
  }
  if (input.repository === undefined && input.repositoryPattern === undefined) {
    throw new VigilError('VIGIL_USAGE', 'a scan config needs a repository or a repository pattern', {});
  }
  if (input.tags !== undefined && input.tags !== null && !input.tags.every((t) => typeof t === 'string')) {
    throw new VigilError('VIGIL_USAGE', 'tags must be strings', {});
  }
}

function configRow(input: Partial<ScanConfigInput>) {
  const text = (v: string | undefined) => v ?? null;
  return {
    ...('region' in input && { region: text(input.region) }),
    ...('registry' in input && { registry: text(input.registry) }),
    ...('registryUrl' in input && { registry_url: text(input.registryUrl) }),
    ...('registryId' in input && { registry_id: text(input.registryId) }),
    ...('repository' in input && { repository: text(input.repository) }),
    ...('repositoryPattern' in input && { repository_pattern: text(input.repositoryPattern) }),
    ...('tags' in input && { tags: input.tags == null ? null : JSON.stringify(input.tags) }),
    ...('tagFilter' in input && { tag_filter: text(input.tagFilter) }),
    ...('owner' in input && { owner: text(input.owner) }),
    ...(input.schedule !== undefined && { schedule: input.schedule }),
    ...(input.timeZone !== undefined && { time_zone: input.timeZone }),
  };
}

function toConfig(row: Selectable<ScanConfigTable>): ScanConfig {
  return {
    id: row.id,
    createdAt: new Date(row.created_at),
    ...(row.region !== null && { region: row.region }),
    ...(row.registry !== null && { registry: row.registry }),
    ...(row.registry_url !== null && { registryUrl: row.registry_url }),
    ...(row.registry_id !== null && { registryId: row.registry_id }),
    ...(row.repository !== null && { repository: row.repository }),
    ...(row.repository_pattern !== null && { repositoryPattern: row.repository_pattern }),
    tags: row.tags === null ? null : (JSON.parse(row.tags) as string[]),
    ...(row.tag_filter !== null && { tagFilter: row.tag_filter }),
    ...(row.owner !== null && { owner: row.owner }),
    schedule: row.schedule,
    timeZone: row.time_zone,
  };
}

export function toEcrConfig(config: ScanConfig): EcrScanConfig {
  return {
    id: config.id,
    created: String(Math.floor(config.createdAt.getTime() / 1000)),
    region: config.region ?? null,
    registry: config.registry ?? null,
    repository: config.repository ?? null,
    tags: config.tags === null ? null : [...config.tags],
  };
}

export async function createConfig(ctx: StoreContext, input: ScanConfigInput, now: Date): Promise<ScanConfig> {
  checkConfig(input);
  const row: Selectable<ScanConfigTable> = {
    id: randomUUID(),
    // ECR reports `created` in whole seconds; keeping the stored time whole keeps both views equal
    created_at: Math.floor(now.getTime() / 1000) * 1000,
    region: null,
    registry: null,
    registry_url: null,
    registry_id: null,
    repository: null,
    repository_pattern: null,
    tags: null,
    tag_filter: null,
    owner: null,
    schedule: DEFAULT_SCHEDULE,
    time_zone: DEFAULT_TIME_ZONE,
    ...configRow(input),
    deleted: 0,
    deleted_at: null,
  };
  await ctx.write((trx) => trx.insertInto('scan_configs').values(row).execute());
  return toConfig(row);
}

export async function getConfig(ctx: StoreContext, id: string): Promise<ScanConfig | undefined> {
  if (!isUuid(id)) return undefined;
  const row = await ctx.db
    .selectFrom('scan_configs')
    .selectAll()
    .where('id', '=', id)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  return row === undefined ? undefined : toConfig(row);
}

export async function listConfigs(ctx: StoreContext): Promise<ScanConfig[]> {
  const rows = await ctx.db
    .selectFrom('scan_configs')
    .selectAll()
    .where('deleted', '=', 0)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(toConfig);
}

export async function updateConfig(
  ctx: StoreContext,
  id: string,
  patch: Partial<ScanConfigInput>,
): Promise<ScanConfig | undefined> {
  if (!isUuid(id)) return undefined;
  return ctx.write(async (trx) => {
    const current = await trx
      .selectFrom('scan_configs')
      .selectAll()
      .where('id', '=', id)
      .where('deleted', '=', 0)
      .executeTakeFirst();
    if (current === undefined) return undefined;
    const merged = { ...current, ...configRow(patch) };
    checkConfig(toConfig(merged));
    await trx.updateTable('scan_configs').set(configRow(patch)).where('id', '=', id).execute();
    return toConfig(merged);
  });
}

export async function deleteConfig(ctx: StoreContext, id: string, now: Date): Promise<boolean> {
  if (!isUuid(id)) return false;
  const result = await ctx.write((trx) =>
    trx
      .updateTable('scan_configs')
      .set({ deleted: 1, deleted_at: now.getTime() })
      .where('id', '=', id)
      .where('deleted', '=', 0)
      .executeTakeFirst(),
  );
  return result.numUpdatedRows > 0n;
}

/** what names a config's registry: its id, else its URL, else the ECR account and region */
export type RegistryReference = Pick<ScanConfigInput, 'registryId' | 'registryUrl' | 'registry' | 'region'>;

/**
 * The registry a config reads, among `registries`: by id, else by URL (case and trailing slashes
 * aside), else the `ecr` registry of the account, in the region when one is named.
 */
export function registryOfReference(
  registries: readonly Registry[],
  reference: RegistryReference,
): Registry | undefined {
  const byId = reference.registryId === undefined ? undefined : registries.find((r) => r.id === reference.registryId);
  if (byId !== undefined) return byId;
  const url = reference.registryUrl;
  if (url !== undefined) return registries.find((r) => sameUrl(r.url, url));
  if (reference.registry === undefined) return undefined;
  return registries.find(
    (r) =>
      r.kind === 'ecr' &&
      r.awsAccountId === reference.registry &&
      (reference.region === undefined || r.region === reference.region),
  );
}

const sameUrl = (a: string, b: string) => a.replace(/\/+$/, '').toLowerCase() === b.replace(/\/+$/, '').toLowerCase();
