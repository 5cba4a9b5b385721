import type { FastifyInstance } from 'fastify';
import { VigilError } from '../core/errors.ts';
import { type Severity, severities } from '../core/types.ts';
import { eventTypes } from '../service/store/index.ts';
import type { EventType, FindingFilter, FindingState, Store } from '../service/store/types.ts';
import { notFound } from './errors.ts';
import {
  booleanParam,
  countsSchema,
  cursorParam,
  digestParam,
  errorResponses,
  eventSchema,
  findingRowsJson,
  findingSchema,
  limitParam,
  parseLimit,
  toEventBody,
  toFindingBody,
} from './schemas.ts';

interface Deps {
  readonly store: Store;
  readonly now: () => Date;
}

const findingStates = ['open', 'resolved', 'suppressed', 'archived'] as const;
/** comma-separated lists: `severity=CRITICAL,HIGH` */
const listOf = (values: readonly string[]) =>
  ({
    type: 'string',
    pattern: `^(${values.join('|')})(,(${values.join('|')}))*$`,
    description: values.join(', '),
  }) as const;

interface FindingQuery {
  severity?: string;
  state?: string;
  fixAvailable?: string;
  kev?: string;
  repository?: string;
  digest?: string;
  cursor?: string;
  limit?: string;
}

const idParam = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: { type: 'string', pattern: '^[1-9][0-9]{0,15}$' } },
} as const;

export function findingRoutes(app: FastifyInstance, { store, now }: Deps): void {
  app.get<{ Querystring: FindingQuery }>(
    '/api/v1/findings',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['findings'],
        description: 'Most severe first, keyset-paginated: pass `next` back as `cursor`.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            severity: listOf(severities),
            state: listOf(findingStates),
            fixAvailable: booleanParam,
            kev: booleanParam,
            repository: { type: 'string', minLength: 1, maxLength: 256 },
            digest: digestParam.properties.digest,
            cursor: cursorParam,
            limit: limitParam,
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['findings'],
            properties: { findings: { type: 'array', items: findingSchema }, next: { type: 'string' } },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const filter: FindingFilter = {
        ...(q.severity !== undefined && { severity: q.severity.split(',') as Severity[] }),
        ...(q.state !== undefined && { state: q.state.split(',') as FindingState[] }),
        ...(q.fixAvailable !== undefined && { fixAvailable: q.fixAvailable === 'true' }),
        ...(q.kev !== undefined && { kev: q.kev === 'true' }),
        ...(q.repository !== undefined && { repository: q.repository }),
        ...(q.digest !== undefined && { digest: q.digest }),
      };
      const page = await store.findingRows(filter, q.cursor, parseLimit(q.limit));
      // Already JSON (the findings' stored JSON copied in), so the schema's serializer is skipped;
      // sent as bytes, encoded once: for a string Fastify measured its UTF-8 length, then the
      // socket encoded it (together 64 µs of a 50-row page's ~450)
      return reply.type('application/json; charset=utf-8').send(Buffer.from(findingRowsJson(page)));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/findings/:id',
    {
      config: { role: 'viewer' },
      schema: { tags: ['findings'], params: idParam, response: { 200: findingSchema, ...errorResponses } },
    },
    async (request) => {
      const finding = await store.getFinding(Number(request.params.id));
      if (finding === undefined) throw notFound(`finding ${request.params.id}`);
      return toFindingBody(finding);
    },
  );

  app.post<{ Params: { id: string }; Body: { reason: string; until?: string } }>(
    '/api/v1/findings/:id/suppress',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['findings'],
        description: 'Suppress an open finding with a reason (recorded with the token name), optionally until a time.',
        params: idParam,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['reason'],
          properties: {
            reason: { type: 'string', minLength: 1, maxLength: 2000 },
            until: { type: 'string', format: 'date-time' },
          },
        },
        response: { 200: findingSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { reason, until } = request.body;
      const untilDate = until === undefined ? undefined : new Date(until);
      if (untilDate !== undefined && untilDate <= now()) {
        throw new VigilError('VIGIL_USAGE', 'until must be in the future');
      }
      const finding = await store.suppressFinding(Number(request.params.id), {
        reason,
        by: request.principal?.name ?? 'unknown',
        ...(untilDate !== undefined && { until: untilDate }),
      });
      if (finding === undefined) throw notFound(`open or suppressed finding ${request.params.id}`);
      return toFindingBody(finding);
    },
  );

  app.get(
    '/api/v1/summary',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['findings'],
        description: 'Findings per state and severity across every image, and the number of live images.',
        response: {
          200: {
            type: 'object',
            required: ['counts', 'images'],
            properties: {
              counts: {
                type: 'object',
                required: [...findingStates],
                properties: Object.fromEntries(findingStates.map((s) => [s, countsSchema])),
              },
              images: { type: 'integer' },
            },
          },
          ...errorResponses,
        },
      },
    },
    async () => store.summary(),
  );

  app.get<{ Querystring: { after?: string; type?: EventType; limit?: string } }>(
    '/api/v1/events',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['events'],
        description: 'Oldest first; pass `next` back as `after` to continue where the last page stopped.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            after: { type: 'string', pattern: '^(0|[1-9][0-9]{0,15})$' },
            type: { type: 'string', enum: [...eventTypes] },
            limit: limitParam,
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['events'],
            properties: { events: { type: 'array', items: eventSchema }, next: { type: 'string' } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { after, type, limit } = request.query;
      const size = parseLimit(limit);
      // one row more than asked tells whether another page exists
      const events = await store.listEvents({
        ...(after !== undefined && { afterId: Number(after) }),
        ...(type !== undefined && { type }),
        limit: size + 1,
      });
      const page = events.slice(0, size);
      const last = page.at(-1);
      return {
        events: page.map(toEventBody),
        ...(events.length > size && last !== undefined && { next: String(last.id) }),
      };
    },
  );
}
