import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { VERSION } from '../cli/version.ts';
import { VigilError } from '../core/errors.ts';
import { findSbomFormat } from '../report/index.ts';
import type { ScanStatus, Store } from '../service/store/types.ts';
import { ApiError, notFound } from './errors.ts';
import {
  booleanParam,
  countsSchema,
  cursorParam,
  digestParam,
  errorResponses,
  imageSchema,
  limitParam,
  parseLimit,
  scanSchema,
  toImageBody,
  toScanBody,
  uuidParam,
} from './schemas.ts';

/** Where on-demand scans go: the service's job queue (pg-boss or in-process), injected. */
export interface ScanQueue {
  /**
   * Queue a scan of `digest` for the scan row `scanId` (already stored as queued). Resolves once
   * the job is durably queued; a rejection marks the scan failed and answers 503.
   */
  enqueue(job: { readonly scanId: string; readonly digest: string; readonly requestedBy: string }): Promise<void>;
}

interface Deps {
  readonly store: Store;
  readonly now: () => Date;
  readonly scanQueue: ScanQueue | undefined;
}

/** SBOM formats served for download; `table` is for terminals */
const downloadFormats = ['cyclonedx', 'spdx', 'json'] as const;

export function imageRoutes(app: FastifyInstance, { store, now, scanQueue }: Deps): void {
  app.get<{ Querystring: { repository?: string; archived?: string; cursor?: string; limit?: string } }>(
    '/api/v1/images',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['images'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            repository: { type: 'string', minLength: 1, maxLength: 256 },
            archived: { ...booleanParam, description: 'include images deleted from their registry' },
            cursor: cursorParam,
            limit: limitParam,
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['images'],
            properties: { images: { type: 'array', items: imageSchema }, next: { type: 'string' } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const q = request.query;
      const page = await store.listImages(
        {
          ...(q.repository !== undefined && { repository: q.repository }),
          includeArchived: q.archived === 'true',
        },
        q.cursor,
        parseLimit(q.limit),
      );
      return { images: page.images.map(toImageBody), ...(page.next !== undefined && { next: page.next }) };
    },
  );

  app.get<{ Params: { digest: string } }>(
    '/api/v1/images/:digest',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['images'],
        description: 'Every repository row holding the digest, and its open findings per severity.',
        params: digestParam,
        response: {
          200: {
            type: 'object',
            required: ['digest', 'images', 'openFindings'],
            properties: {
              digest: { type: 'string' },
              images: { type: 'array', items: imageSchema },
              openFindings: countsSchema,
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { digest } = request.params;
      const images = await store.getImages(digest);
      if (images.length === 0) throw notFound(`image ${digest}`);
      const counts = await store.countsByImage([digest]);
      return { digest, images: images.map(toImageBody), openFindings: counts.get(digest) };
    },
  );

  app.get<{ Params: { digest: string }; Querystring: { format?: (typeof downloadFormats)[number] } }>(
    '/api/v1/images/:digest/sbom',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['images'],
        description: 'The stored inventory as an SBOM document.',
        params: digestParam,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { format: { type: 'string', enum: [...downloadFormats], default: 'cyclonedx' } },
        },
        response: {
          200: { content: { 'application/json': { schema: { type: 'object', additionalProperties: true } } } },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { digest } = request.params;
      const stored = await store.getInventory(digest);
      if (stored === undefined) throw notFound(`inventory of image ${digest}`);
      const format = findSbomFormat(request.query.format ?? 'cyclonedx');
      if (format === undefined) throw new VigilError('VIGIL_USAGE', `unknown SBOM format ${request.query.format}`);
      const document = format.render(stored.inventory, { now: now(), uuid: randomUUID, toolVersion: VERSION });
      const file = `${digest.replace(':', '-')}${format.fileExtension}`;
      return reply
        .type(format.mediaType)
        .header('content-disposition', `attachment; filename="${file}"`)
        .send(document);
    },
  );

  app.post<{ Params: { digest: string } }>(
    '/api/v1/images/:digest/scan',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['scans'],
        description: 'Queue a scan of a known image; 202 with the queued scan.',
        params: digestParam,
        response: { 202: scanSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { digest } = request.params;
      if (scanQueue === undefined) throw new ApiError('VIGIL_UNAVAILABLE', 'this server runs no scan queue');
      if ((await store.getImages(digest)).length === 0) throw notFound(`image ${digest}`);
      const scan = await store.createScan({ digest }, now());
      try {
        await scanQueue.enqueue({ scanId: scan.id, digest, requestedBy: request.principal?.name ?? '' });
      } catch (err) {
        // the scan row exists: close it as failed so no "queued" scan waits for a job that never came
        await store.failScan(scan.id, `could not be queued: ${(err as Error).message}`, now());
        throw new ApiError('VIGIL_UNAVAILABLE', 'the scan could not be queued; try again');
      }
      return reply.code(202).header('location', `/api/v1/scans/${scan.id}`).send(toScanBody(scan));
    },
  );

  app.get<{ Querystring: { digest?: string; status?: ScanStatus; limit?: string } }>(
    '/api/v1/scans',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['scans'],
        description: 'Newest first.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            digest: digestParam.properties.digest,
            status: { type: 'string', enum: ['queued', 'running', 'completed', 'failed'] },
            limit: limitParam,
          },
        },
        response: {
          200: { type: 'object', required: ['scans'], properties: { scans: { type: 'array', items: scanSchema } } },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { digest, status, limit } = request.query;
      const scans = await store.listScans({
        ...(digest !== undefined && { digest }),
        ...(status !== undefined && { status }),
        limit: parseLimit(limit),
      });
      return { scans: scans.map(toScanBody) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/scans/:id',
    {
      config: { role: 'viewer' },
      schema: { tags: ['scans'], params: uuidParam, response: { 200: scanSchema, ...errorResponses } },
    },
    async (request) => {
      const scan = await store.getScan(request.params.id);
      if (scan === undefined) throw notFound(`scan ${request.params.id}`);
      return toScanBody(scan);
    },
  );
}
