import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { VERSION } from '../cli/version.ts';
import type { SecretBox } from '../service/secrets.ts';
import type { Store } from '../service/store/types.ts';
import { adminRoutes } from './admin-routes.ts';
import { installAuth, withTokenCache } from './auth.ts';
import { channelRoutes, type ReplayDelivery } from './channel-routes.ts';
import { configRoutes } from './config-routes.ts';
import { ecrRoutes } from './ecr-routes.ts';
import { ApiError, installErrorHandling } from './errors.ts';
import { findingRoutes } from './finding-routes.ts';
import { imageRoutes, type ScanQueue } from './image-routes.ts';
import { installRequestMetrics, RequestMetrics, type SeriesSnapshot } from './metrics.ts';
import { reportRoutes } from './report-routes.ts';
import { errorResponses } from './schemas.ts';
import { type StatusPageVulnDb, statusPage } from './status-page.ts';

export { generateToken, hashToken, issueToken } from './auth.ts';
export type { ScanQueue } from './image-routes.ts';

export interface ApiOptions {
  readonly store: Store;
  /** undefined when VIGIL_SECRET_KEY is unset: registries can then be stored without credentials only */
  readonly secretBox: SecretBox | undefined;
  /** on-demand scans; without it POST /api/v1/images/{digest}/scan answers 503 */
  readonly scanQueue?: ScanQueue;
  /** a pino logger; silent when absent */
  readonly logger?: FastifyBaseLogger;
  /** the clock, pinned in tests */
  readonly now?: () => Date;
  /** request body limit in bytes (default 256 KiB: configs and registries are small) */
  readonly bodyLimit?: number;
  /** sends a failed notification again (the service's `notifier.replay`); absent: replays answer 503 */
  readonly replay?: ReplayDelivery;
  /** the vulnerability DB the status page reports on; absent: the page says none is configured */
  readonly vulnDb?: StatusPageVulnDb;
  /** how this API reaches the others when it is one of several threads (service/runtime/api-threads.ts) */
  readonly threads?: ApiThreadLink;
}

/**
 * What one API thread needs of the others: /metrics counts every thread's requests, and a revoke
 * answers only once every thread has forgotten the tokens it remembered.
 */
export interface ApiThreadLink {
  /** called once by createApi with this API's own parts, for the other threads to reach */
  attach(own: { readonly metrics: RequestMetrics; forgetTokens(): void }): void;
  /** every thread's request series, this one's included */
  requestSeries(): Promise<SeriesSnapshot[]>;
  /** every thread, this one included, forgets the tokens it remembered */
  forgetTokens(): Promise<void>;
}

const DEFAULT_BODY_LIMIT = 256 * 1024;

/**
 * The HTTP API of `vigil serve`: the ECR continuous-scan compatible routes, /api/v1, health,
 * Prometheus metrics and the OpenAPI document. Call `ready()` (or `inject`, which does) before use.
 */
export function createApi(options: ApiOptions): FastifyInstance {
  const now = options.now ?? (() => new Date());
  const app = Fastify({
    ...(options.logger !== undefined ? { loggerInstance: options.logger } : { logger: false }),
    // the default access lines log the raw URL (which can hold ?token=); metrics.ts writes its own
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    // the ECR-compatible API is used both as /configs and /configs/
    routerOptions: { ignoreTrailingSlash: true },
    ajv: {
      customOptions: {
        // unknown fields are refused (additionalProperties: false), not silently dropped, and a
        // number is never accepted where a string is declared
        removeAdditional: false,
        coerceTypes: false,
        allErrors: false,
      },
    },
  }) as unknown as FastifyInstance;

  const metrics = new RequestMetrics();
  const threads = options.threads;
  // one store for every route, so that a revoke through the API forgets the remembered tokens
  const store = withTokenCache(options.store, Date.now, threads && (() => threads.forgetTokens()));
  threads?.attach({ metrics, forgetTokens: () => store.forgetTokens() });
  installErrorHandling(app);
  installAuth(app, store, now);
  installRequestMetrics(app, metrics);

  app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Vigil API', version: VERSION, description: 'Container-image vulnerability watch service.' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'an API token (vigil token create)' },
          queryToken: { type: 'apiKey', in: 'query', name: 'token', description: 'GET only; acts as viewer' },
        },
      },
      security: [{ bearer: [] }, { queryToken: [] }],
    },
  });

  app.register(async (scope) => {
    const deps = { store, now };
    scope.get(
      '/healthz',
      { config: { role: 'public' }, schema: { tags: ['operations'], security: [], response: { 200: health } } },
      async () => ({ status: 'ok' }),
    );
    scope.get(
      '/readyz',
      {
        config: { role: 'public' },
        schema: { tags: ['operations'], security: [], response: { 200: health, ...errorResponses } },
      },
      async () => {
        try {
          await store.ping();
          await store.listRegistries();
        } catch {
          throw new ApiError('VIGIL_UNAVAILABLE', 'the store is not reachable');
        }
        return { status: 'ok' };
      },
    );
    scope.get(
      '/metrics',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['operations'],
          description: 'Prometheus text exposition format 0.0.4.',
          response: { 200: { content: { 'text/plain': { schema: { type: 'string' } } } }, ...errorResponses },
        },
      },
      async (_request, reply) => {
        let counted = metrics;
        if (threads !== undefined) {
          counted = new RequestMetrics();
          counted.add(await threads.requestSeries());
        }
        return reply.type('text/plain; version=0.0.4; charset=utf-8').send(counted.render(await store.summary()));
      },
    );
    scope.get('/api/v1/openapi.json', { config: { role: 'viewer' }, schema: { hide: true } }, async () =>
      scope.swagger(),
    );
    ecrRoutes(scope, deps);
    adminRoutes(scope, { ...deps, secretBox: options.secretBox });
    configRoutes(scope, deps);
    channelRoutes(scope, {
      ...deps,
      secretBox: options.secretBox,
      ...(options.replay !== undefined && { replay: options.replay }),
    });
    imageRoutes(scope, { ...deps, scanQueue: options.scanQueue });
    findingRoutes(scope, deps);
    reportRoutes(scope, deps);
    statusPage(scope, { ...deps, ...(options.vulnDb !== undefined && { vulnDb: options.vulnDb }) });
  });
  return app;
}

const health = { type: 'object', required: ['status'], properties: { status: { type: 'string' } } } as const;
