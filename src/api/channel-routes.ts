import type { FastifyInstance } from 'fastify';
import { type DeliveryRecord, parseChannelConfig, REDACTED } from '../service/notify/index.ts';
import type { SecretBox } from '../service/secrets.ts';
import { openChannelConfig, sealChannelConfig } from '../service/store/channel-store.ts';
import type { Store, StoredChannel } from '../service/store/types.ts';
import { ApiError, notFound } from './errors.ts';
import { cursorParam, errorResponses, limitParam, parseLimit, uuidParam } from './schemas.ts';

/**
 * Notification channels (admin writes, viewer reads) and the delivery log (viewer lists, operator
 * replays). Channel secrets are sealed with the secret box on write and never answered: a channel
 * reads back as its stored config, where every secret value is "[redacted]".
 */
export type ReplayDelivery = (deliveryId: string) => Promise<DeliveryRecord>;

interface Deps {
  readonly store: Store;
  readonly now: () => Date;
  readonly secretBox: SecretBox | undefined;
  /** the service's `notifier.replay`; without it replays answer 503 */
  readonly replay?: ReplayDelivery;
}

const time = { type: 'string', format: 'date-time' } as const;
const anyObject = { type: 'object', additionalProperties: true } as const;

const channelSchema = {
  type: 'object',
  required: ['id', 'name', 'type', 'config', 'digest', 'disabled', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    type: { type: 'string' },
    config: { ...anyObject, description: 'the channel config (README of src/service/notify), secrets redacted' },
    digest: { type: 'boolean' },
    disabled: { type: 'boolean' },
    createdAt: time,
    updatedAt: time,
  },
} as const;

const deliverySchema = {
  type: 'object',
  required: ['id', 'channelId', 'channelType', 'notificationType', 'eventIds', 'state', 'attempts', 'createdAt'],
  properties: {
    id: { type: 'string' },
    channelId: { type: 'string' },
    channelType: { type: 'string' },
    notificationType: { type: 'string' },
    notificationId: { type: 'string' },
    eventIds: { type: 'array', items: { type: 'string' } },
    state: { type: 'string', enum: ['pending', 'delivered', 'failed'] },
    attempts: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          at: time,
          ok: { type: 'boolean' },
          status: { type: 'integer' },
          error: { type: 'string' },
          retryInMs: { type: 'integer' },
        },
      },
    },
    lastError: { type: 'string' },
    createdAt: time,
    finishedAt: time,
    request: {
      type: 'object',
      description: 'what went on the wire, secrets redacted',
      properties: {
        target: { type: 'string' },
        headers: { type: 'object', additionalProperties: { type: 'string' } },
        body: { type: 'string' },
      },
    },
  },
} as const;

const toChannelBody = (c: StoredChannel) => ({
  id: c.id,
  name: c.name,
  type: c.type,
  config: { type: c.type, ...c.config, ...(c.filters !== undefined && { filter: c.filters }) },
  digest: c.digest,
  disabled: c.disabledAt !== undefined,
  createdAt: c.createdAt.toISOString(),
  updatedAt: c.updatedAt.toISOString(),
});

const toDeliveryBody = (d: DeliveryRecord) => ({
  id: d.id,
  channelId: d.channelId,
  channelType: d.channelType,
  notificationType: d.notificationType,
  notificationId: d.notificationId,
  eventIds: d.eventIds,
  state: d.status,
  attempts: d.attempts,
  lastError: d.lastError,
  createdAt: d.createdAt,
  finishedAt: d.finishedAt,
  request: d.message.request,
});

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A PATCH's config over the current one: top-level keys replace, objects (smtp, headers, filter)
 * merge one level, null removes a key. A "[redacted]" value (a GET answer sent back) keeps the
 * stored secret instead of overwriting it with that text. A new `type` replaces the config whole.
 */
function mergeConfig(current: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  if (patch.type !== undefined && patch.type !== current.type) return { ...patch, id: current.id };
  const merged: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (key === 'id' || value === REDACTED) continue;
    if (value === null) delete merged[key];
    else if (isPlainObject(value) && isPlainObject(merged[key])) {
      const inner: Record<string, unknown> = { ...(merged[key] as Record<string, unknown>) };
      for (const [k, v] of Object.entries(value)) {
        if (v === REDACTED) continue;
        if (v === null) delete inner[k];
        else inner[k] = v;
      }
      merged[key] = inner;
    } else merged[key] = value;
  }
  return merged;
}

const name = { type: 'string', minLength: 1, maxLength: 256 } as const;
type ChannelBody = { name: string; config: Record<string, unknown>; disabled?: boolean };

export function channelRoutes(app: FastifyInstance, { store, now, secretBox, replay }: Deps): void {
  const channelResponse = { 200: channelSchema, ...errorResponses };

  app.get(
    '/api/v1/channels',
    {
      config: { role: 'viewer' },
      schema: { tags: ['channels'], response: { 200: { type: 'array', items: channelSchema }, ...errorResponses } },
    },
    async () => (await store.listChannels()).map(toChannelBody),
  );

  app.post<{ Body: ChannelBody }>(
    '/api/v1/channels',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['channels'],
        description: 'Secrets in `config` are sealed at rest and never answered.',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'config'],
          properties: { name, config: anyObject, disabled: { type: 'boolean' } },
        },
        response: { 201: channelSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      // the id is the store's uuid, given once the row exists; this one only satisfies the schema
      const config = parseChannelConfig({ ...request.body.config, id: 'new' });
      const channel = await store.createChannel(
        {
          name: request.body.name,
          ...sealChannelConfig(config, secretBox),
          ...(request.body.disabled !== undefined && { disabled: request.body.disabled }),
        },
        now(),
      );
      return reply.code(201).send(toChannelBody(channel));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/channels/:id',
    { config: { role: 'viewer' }, schema: { tags: ['channels'], params: uuidParam, response: channelResponse } },
    async (request) => {
      const channel = await store.getChannel(request.params.id);
      if (channel === undefined) throw notFound(`channel ${request.params.id}`);
      return toChannelBody(channel);
    },
  );

  app.patch<{ Params: { id: string }; Body: Partial<ChannelBody> }>(
    '/api/v1/channels/:id',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['channels'],
        description:
          'config merges over the stored one (objects one level deep, null removes a key, "[redacted]" keeps a secret).',
        params: uuidParam,
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: { name, config: anyObject, disabled: { type: 'boolean' } },
        },
        response: channelResponse,
      },
    },
    async (request) => {
      const { id } = request.params;
      const current = await store.getChannel(id);
      if (current === undefined) throw notFound(`channel ${id}`);
      const { config: patch, ...rest } = request.body;
      const sealed =
        patch === undefined
          ? {}
          : sealChannelConfig(
              parseChannelConfig(
                mergeConfig(openChannelConfig(current, secretBox) as unknown as Record<string, unknown>, patch),
              ),
              secretBox,
            );
      const channel = await store.updateChannel(id, { ...rest, ...sealed }, now());
      if (channel === undefined) throw notFound(`channel ${id}`);
      return toChannelBody(channel);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/channels/:id',
    {
      config: { role: 'admin' },
      schema: { tags: ['channels'], params: uuidParam, response: { 204: { type: 'null' }, ...errorResponses } },
    },
    async (request, reply) => {
      if (!(await store.deleteChannel(request.params.id))) throw notFound(`channel ${request.params.id}`);
      return reply.code(204).send();
    },
  );

  app.get<{
    Querystring: { state?: 'pending' | 'delivered' | 'failed'; channel?: string; cursor?: string; limit?: string };
  }>(
    '/api/v1/deliveries',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['channels'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            state: { type: 'string', enum: ['pending', 'delivered', 'failed'] },
            channel: { type: 'string', maxLength: 100, description: 'a channel id' },
            cursor: cursorParam,
            limit: limitParam,
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['deliveries'],
            properties: { deliveries: { type: 'array', items: deliverySchema }, next: { type: 'string' } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { state, channel, cursor, limit } = request.query;
      const page = await store.listDeliveries(
        { ...(state !== undefined && { state }), ...(channel !== undefined && { channelId: channel }) },
        cursor,
        parseLimit(limit),
      );
      return { deliveries: page.deliveries.map(toDeliveryBody), ...(page.next !== undefined && { next: page.next }) };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/v1/deliveries/:id/replay',
    {
      config: { role: 'operator' },
      // a bare POST (curl -X POST) has no body; validation runs after this hook
      preValidation: async (request) => {
        request.body ??= {};
      },
      schema: {
        tags: ['channels'],
        description:
          'Sends a failed delivery again and answers its new state. 409 when it is not failed: the request is well formed, the delivery is in a state that does not allow it.',
        params: uuidParam,
        // nothing to say yet; an empty object (or no body) is the whole request
        body: { type: 'object', additionalProperties: false, properties: {} },
        response: { 200: deliverySchema, ...errorResponses },
      },
    },
    async (request) => {
      const { id } = request.params;
      const delivery = await store.getDelivery(id);
      if (delivery === undefined) throw notFound(`delivery ${id}`);
      if (delivery.status !== 'failed') {
        throw new ApiError(
          'VIGIL_CONFLICT',
          `delivery ${id} is ${delivery.status}; only failed deliveries are replayed`,
        );
      }
      if (replay === undefined) {
        throw new ApiError('VIGIL_UNAVAILABLE', 'this server does not send notifications');
      }
      return toDeliveryBody(await replay(id));
    },
  );
}
