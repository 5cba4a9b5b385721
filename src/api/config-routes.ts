import { Cron } from 'croner';
import type { FastifyInstance } from 'fastify';
import { VigilError } from '../core/errors.ts';
import { checkConfig, type RegistryReference, registryOfReference } from '../service/store/index.ts';
import type { ScanConfigInput, Store } from '../service/store/types.ts';
import { notFound } from './errors.ts';
import { configSchema, errorResponses, toConfigBody, uuidParam } from './schemas.ts';

/** Scan configs in full: repository patterns, tag filters, owner, a cron schedule in a time zone. */
interface Deps {
  readonly store: Store;
  readonly now: () => Date;
}

const short = { type: 'string', minLength: 1, maxLength: 256 } as const;
const configProperties = {
  region: { type: 'string', pattern: '^[a-z]{2}(-[a-z]+)+-[0-9]+$' },
  registry: { type: 'string', pattern: '^[0-9]{12}$' },
  registryUrl: { type: 'string', pattern: '^https?://', maxLength: 2048 },
  registryId: short,
  repository: short,
  repositoryPattern: { ...short, description: 'glob over repository names: * and ? within a segment, ** across' },
  tags: { type: 'array', items: short, minItems: 1, maxItems: 1000, nullable: true, description: 'null: every tag' },
  tagFilter: { ...short, description: 'glob (or /regex/) over tag names' },
  owner: { ...short, description: 'who is told about findings: a team or a person' },
  schedule: { ...short, description: 'cron expression, default "0 0 * * *" (daily)' },
  timeZone: { ...short, description: 'IANA time zone of the schedule, default UTC' },
} as const;

/** a schedule the scheduler could not run, stored now, would only fail at midnight */
function checkSchedule(input: Partial<ScanConfigInput>): void {
  if (input.timeZone !== undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: input.timeZone });
    } catch {
      throw new VigilError('VIGIL_USAGE', `timeZone ${JSON.stringify(input.timeZone)} is not an IANA time zone`);
    }
  }
  if (input.schedule !== undefined) {
    try {
      new Cron(input.schedule, { paused: true, ...(input.timeZone !== undefined && { timezone: input.timeZone }) });
    } catch (err) {
      throw new VigilError(
        'VIGIL_USAGE',
        `schedule ${JSON.stringify(input.schedule)} is not a cron expression: ${(err as Error).message}`,
      );
    }
  }
}

/**
 * A config whose registry is not configured would be stored and then never scanned, and pushes to
 * it ignored: refused, saying how to add the registry (an admin's step, as registries hold
 * credentials and name where Vigil connects). Callers run the store's `checkConfig` first, which
 * says what a config lacks.
 */
export async function requireRegistry(store: Store, reference: RegistryReference): Promise<void> {
  const { registryId, registryUrl, registry, region } = reference;
  const named =
    registryId !== undefined
      ? `registry id ${registryId}`
      : registryUrl !== undefined
        ? `registry URL ${registryUrl}`
        : registry !== undefined && region !== undefined
          ? `ECR registry ${registry} in ${region}`
          : undefined;
  if (named === undefined || registryOfReference(await store.listRegistries(), reference) !== undefined) return;
  throw new VigilError(
    'VIGIL_USAGE',
    `${named} is not a configured registry: an admin adds it first with POST /api/v1/registries (name, url, kind${
      registryUrl === undefined && registryId === undefined ? ' "ecr", region and awsAccountId' : ''
    })`,
  );
}

export function configRoutes(app: FastifyInstance, { store, now }: Deps): void {
  app.get(
    '/api/v1/configs',
    {
      config: { role: 'viewer' },
      schema: { tags: ['configs'], response: { 200: { type: 'array', items: configSchema }, ...errorResponses } },
    },
    async () => (await store.listConfigs()).map(toConfigBody),
  );

  app.post<{ Body: ScanConfigInput }>(
    '/api/v1/configs',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['configs'],
        body: { type: 'object', additionalProperties: false, properties: configProperties },
        response: { 201: configSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      checkSchedule(request.body);
      checkConfig(request.body);
      await requireRegistry(store, request.body);
      const config = await store.createConfig(request.body, now());
      return reply.code(201).header('location', `/api/v1/configs/${config.id}`).send(toConfigBody(config));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/configs/:id',
    {
      config: { role: 'viewer' },
      schema: { tags: ['configs'], params: uuidParam, response: { 200: configSchema, ...errorResponses } },
    },
    async (request) => {
      const config = await store.getConfig(request.params.id);
      if (config === undefined) throw notFound(`scan config ${request.params.id}`);
      return toConfigBody(config);
    },
  );

  app.patch<{ Params: { id: string }; Body: Partial<ScanConfigInput> }>(
    '/api/v1/configs/:id',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['configs'],
        params: uuidParam,
        body: { type: 'object', additionalProperties: false, minProperties: 1, properties: configProperties },
        response: { 200: configSchema, ...errorResponses },
      },
    },
    async (request) => {
      const current = await store.getConfig(request.params.id);
      if (current === undefined) throw notFound(`scan config ${request.params.id}`);
      checkSchedule({ schedule: current.schedule, timeZone: current.timeZone, ...request.body });
      const body = request.body;
      if (['registryId', 'registryUrl', 'registry', 'region'].some((key) => key in body)) {
        await requireRegistry(store, { ...current, ...body });
      }
      const config = await store.updateConfig(request.params.id, request.body);
      if (config === undefined) throw notFound(`scan config ${request.params.id}`);
      return toConfigBody(config);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/configs/:id',
    {
      config: { role: 'operator' },
      schema: { tags: ['configs'], params: uuidParam, response: { 204: { type: 'null' }, ...errorResponses } },
    },
    async (request, reply) => {
      if (!(await store.deleteConfig(request.params.id, now()))) throw notFound(`scan config ${request.params.id}`);
      return reply.code(204).send();
    },
  );
}
