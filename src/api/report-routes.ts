import type { FastifyInstance } from 'fastify';
import { VigilError } from '../core/errors.ts';
import { type Severity, severities } from '../core/types.ts';
import { scanWindowCutoff } from '../service/store/index.ts';
import type { Store } from '../service/store/types.ts';
import { booleanParam, errorResponses, imageSchema, toImageBody } from './schemas.ts';

interface Deps {
  readonly store: Store;
  readonly now: () => Date;
}

/**
 * The two compliance questions, one call each: which images had at least one finding of a
 * severity open on a day (from the daily history the scheduler rolls up after midnight UTC), and
 * which images have not been scanned (re-matched) within the window FedRAMP sets at 30 days.
 */
export function reportRoutes(app: FastifyInstance, { store, now }: Deps): void {
  app.get<{ Querystring: { date: string; min_severity?: Severity } }>(
    '/api/v1/history/images',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['findings'],
        description:
          'Digests of the images that had at least one open finding at or above `min_severity` on `date` (UTC); ' +
          'for today, as things stand now.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['date'],
          properties: {
            date: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
            min_severity: { type: 'string', enum: [...severities], default: 'HIGH' },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['date', 'minSeverity', 'digests'],
            properties: {
              date: { type: 'string' },
              minSeverity: { type: 'string' },
              digests: { type: 'array', items: { type: 'string' } },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { date } = request.query;
      const minSeverity = request.query.min_severity ?? 'HIGH';
      const today = now().toISOString().slice(0, 10);
      if (date > today) throw new VigilError('VIGIL_USAGE', `date ${date} is after today (${today}, UTC)`);
      // Today has no rollup yet (the scheduler writes a day's after it ends): roll it up as it
      // stands, so that an answer for today is never an empty list for want of one. The rollup
      // replaces its rows, and the nightly one replaces these with the day's end.
      if (date === today) await store.rollupDaily(today);
      const digests = await store.imagesWithFinding(date, minSeverity);
      return { date, minSeverity, digests };
    },
  );

  app.get<{ Querystring: { days?: string; production?: string } }>(
    '/api/v1/scan-age',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['images'],
        description: 'Live images whose last scan (or re-match) is older than `days` (default 30, the FedRAMP window).',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            days: { type: 'string', pattern: '^[1-9][0-9]{0,3}$', description: 'window in days, 1-9999' },
            production: { ...booleanParam, description: 'only images in registries marked production' },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['days', 'cutoff', 'images'],
            properties: {
              days: { type: 'integer' },
              cutoff: { type: 'string', format: 'date-time' },
              images: { type: 'array', items: imageSchema },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const days = request.query.days === undefined ? 30 : Number(request.query.days);
      const cutoff = scanWindowCutoff(now(), days);
      const images = await store.imagesNotScannedSince(cutoff, { productionOnly: request.query.production === 'true' });
      return { days, cutoff: cutoff.toISOString(), images: images.map(toImageBody) };
    },
  );
}
