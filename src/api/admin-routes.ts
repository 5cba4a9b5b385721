import type { FastifyInstance } from 'fastify';
import { VigilError } from '../core/errors.ts';
import type { SecretBox } from '../service/secrets.ts';
import type { RegistryCredentials, RegistryInput, Store, TokenRole } from '../service/store/types.ts';
import { issueToken } from './auth.ts';
import { notFound } from './errors.ts';
import { errorResponses, registrySchema, tokenSchema, toRegistryBody, uuidParam } from './schemas.ts';

/** Registries (with their credentials) and API tokens: admin only, reads included. */
interface Deps {
  readonly store: Store;
  readonly now: () => Date;
  readonly secretBox: SecretBox | undefined;
}

/** the purpose sealed into every registry credential (see secrets.ts) */
export const CREDENTIALS_PURPOSE = 'registry-credentials';

const short = { type: 'string', minLength: 1, maxLength: 256 } as const;
const secret = { type: 'string', minLength: 1, maxLength: 8192 } as const;
const credentialsSchema = {
  description:
    'username + password (or + token: a personal access token, sent as the password); token alone: a ' +
    'registry token sent as a Bearer token as it is; identityToken alone: an OAuth2 refresh token traded ' +
    "at the registry's token service. Write-only, encrypted at rest",
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    username: short,
    password: secret,
    // sent in a header as it is: visible ASCII only
    token: { ...secret, pattern: '^[\\x21-\\x7e]+$' },
    identityToken: secret,
  },
} as const;

const registryProperties = {
  name: short,
  url: { type: 'string', pattern: '^https?://', maxLength: 2048 },
  kind: { type: 'string', enum: ['oci', 'ecr'] },
  region: short,
  awsAccountId: { type: 'string', pattern: '^[0-9]{12}$' },
  awsRoleArn: { type: 'string', pattern: '^arn:aws[a-z-]*:iam::[0-9]{12}:role/', maxLength: 2048 },
  production: { type: 'boolean' },
  credentials: credentialsSchema,
} as const;

type RegistryBody = Omit<RegistryInput, 'credentials'> & { credentials?: RegistryCredentials | null };

/** The combinations RegistryCredentials allows; anything else is a usage error, not a guess. */
function checkCredentials(c: RegistryCredentials): void {
  const given = [c.password, c.token, c.identityToken].filter((v) => v !== undefined).length;
  const ok =
    given === 1 &&
    (c.identityToken !== undefined ? c.username === undefined : c.password === undefined || c.username !== undefined);
  if (!ok) {
    throw new VigilError(
      'VIGIL_USAGE',
      'credentials need username and password (or username and token), token alone, or identityToken alone',
    );
  }
}

const registryResponse = { 200: registrySchema, ...errorResponses };

export function adminRoutes(app: FastifyInstance, { store, now, secretBox }: Deps): void {
  const seal = (credentials: RegistryCredentials): Uint8Array => {
    if (secretBox === undefined) {
      throw new VigilError('VIGIL_USAGE', 'credentials cannot be stored: VIGIL_SECRET_KEY is not set on the server');
    }
    checkCredentials(credentials);
    return secretBox.seal(JSON.stringify(credentials), CREDENTIALS_PURPOSE);
  };
  const toInput = (body: Partial<RegistryBody>): Partial<RegistryInput> => {
    const { credentials, ...rest } = body;
    if (credentials === undefined) return rest;
    return { ...rest, credentials: credentials === null ? undefined : seal(credentials) };
  };

  app.get(
    '/api/v1/registries',
    {
      config: { role: 'admin' },
      schema: { tags: ['registries'], response: { 200: { type: 'array', items: registrySchema }, ...errorResponses } },
    },
    async () => (await store.listRegistries()).map(toRegistryBody),
  );

  app.post<{ Body: RegistryBody }>(
    '/api/v1/registries',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['registries'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'url', 'kind'],
          properties: registryProperties,
        },
        response: { 201: registrySchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const registry = await store.createRegistry(toInput(request.body) as RegistryInput, now());
      return reply.code(201).send(toRegistryBody(registry));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/registries/:id',
    {
      config: { role: 'admin' },
      schema: { tags: ['registries'], params: uuidParam, response: registryResponse },
    },
    async (request) => {
      const registry = await store.getRegistry(request.params.id);
      if (registry === undefined) throw notFound(`registry ${request.params.id}`);
      return toRegistryBody(registry);
    },
  );

  app.patch<{ Params: { id: string }; Body: Partial<RegistryBody> }>(
    '/api/v1/registries/:id',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['registries'],
        params: uuidParam,
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: { ...registryProperties, credentials: { ...credentialsSchema, nullable: true } },
        },
        response: registryResponse,
      },
    },
    async (request) => {
      const registry = await store.updateRegistry(request.params.id, toInput(request.body), now());
      if (registry === undefined) throw notFound(`registry ${request.params.id}`);
      return toRegistryBody(registry);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/registries/:id',
    {
      config: { role: 'admin' },
      schema: { tags: ['registries'], params: uuidParam, response: { 204: { type: 'null' }, ...errorResponses } },
    },
    async (request, reply) => {
      if (!(await store.deleteRegistry(request.params.id))) throw notFound(`registry ${request.params.id}`);
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/v1/tokens',
    {
      config: { role: 'admin' },
      schema: { tags: ['tokens'], response: { 200: { type: 'array', items: tokenSchema }, ...errorResponses } },
    },
    async () =>
      (await store.listApiTokens()).map((t) => ({
        ...t,
        createdAt: t.createdAt.toISOString(),
        lastUsedAt: t.lastUsedAt?.toISOString(),
        revokedAt: t.revokedAt?.toISOString(),
      })),
  );

  app.post<{ Body: { name: string; role: TokenRole } }>(
    '/api/v1/tokens',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['tokens'],
        description: 'The token is in this answer only; the server keeps its SHA-256.',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'role'],
          properties: { name: short, role: { type: 'string', enum: ['viewer', 'operator', 'admin'] } },
        },
        response: {
          201: {
            type: 'object',
            required: ['token', 'id', 'name', 'role', 'createdAt'],
            properties: { token: { type: 'string' }, ...tokenSchema.properties },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { token, record } = await issueToken(store, request.body, now());
      return reply.code(201).send({ token, ...record, createdAt: record.createdAt.toISOString() });
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/tokens/:id',
    {
      config: { role: 'admin' },
      schema: { tags: ['tokens'], params: uuidParam, response: { 204: { type: 'null' }, ...errorResponses } },
    },
    async (request, reply) => {
      if (!(await store.revokeApiToken(request.params.id, now()))) throw notFound(`live token ${request.params.id}`);
      return reply.code(204).send();
    },
  );
}
