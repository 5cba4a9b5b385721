import type { FastifyInstance } from 'fastify';
import type { Registry } from '../store/types.ts';
import type { RuntimeContext } from './context.ts';
import {
  DISTRIBUTION_EVENTS_MEDIA_TYPE,
  hookSecretMatches,
  type PushEvent,
  parseDistributionEnvelope,
  parseEcrEvent,
} from './push-events.ts';
import type { JobQueue } from './queue.ts';

/**
 * What the hooks do with a push's events once its secret and body are checked: `named` is the
 * `?registry=` of a Distribution hook. The service's own is `pushAcceptor`; an API thread's sends
 * them to the main thread, which owns the job queue.
 */
export type PushAcceptor = (hook: 'registry' | 'ecr', events: PushEvent[], named?: string) => Promise<PushResult>;

export interface PushHookOptions {
  readonly accept: PushAcceptor;
  /** the shared secret registries present; at least 16 characters */
  readonly secret: string;
}

export interface PushResult {
  readonly queued: number;
  readonly ignored: number;
}

/**
 * What a push does: the image is recorded (and its tag), and a digest with no stored inventory
 * gets one queued scan. A push of a digest already known (a new tag on it) records the tag only.
 */
export async function acceptPushes(
  ctx: RuntimeContext,
  queue: JobQueue,
  events: readonly PushEvent[],
  registryFor: (event: PushEvent) => Registry | undefined,
): Promise<PushResult> {
  let queued = 0;
  let ignored = 0;
  const done = new Set<string>();
  for (const event of events) {
    const registry = registryFor(event);
    if (registry === undefined) {
      ignored++;
      continue;
    }
    const now = ctx.now();
    await ctx.store.upsertImage({ registryId: registry.id, repository: event.repository, digest: event.digest }, now);
    if (event.tag !== undefined) {
      await ctx.store.recordTag(
        { registryId: registry.id, repository: event.repository, tag: event.tag },
        event.digest,
        now,
      );
    }
    const key = `${registry.id} ${event.repository} ${event.digest}`;
    if (done.has(key) || (await ctx.store.getInventory(event.digest)) !== undefined) continue;
    done.add(key);
    const scan = await ctx.store.createScan({ digest: event.digest }, now);
    await queue.enqueue({
      scanId: scan.id,
      digest: event.digest,
      registryId: registry.id,
      repository: event.repository,
      ...(event.tag !== undefined && { tag: event.tag }),
      requestedBy: 'push',
    });
    queued++;
  }
  return { queued, ignored };
}

const hostOf = (url: string) => {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
};

/**
 * Mounts `POST /hooks/registry` (Docker Distribution notifications) and `POST /hooks/ecr`
 * (EventBridge "ECR Image Action" through an API destination) on the API. Both are outside the
 * API-token scheme (role public) and take the shared secret instead; a wrong or missing secret is
 * 401 and nothing is recorded. `?registry=<name>` names the registry when the push's target URL host is
 * not the one Vigil reads it by (a registry behind a proxy).
 */
export function registerPushHooks(app: FastifyInstance, options: PushHookOptions): void {
  if (options.secret.length < 16) throw new Error('the push hook secret must be at least 16 characters');
  const { accept, secret } = options;
  app.register(async (scope) => {
    scope.addContentTypeParser(DISTRIBUTION_EVENTS_MEDIA_TYPE, { parseAs: 'string' }, (_request, body, done) => {
      try {
        done(null, JSON.parse(String(body)));
      } catch (err) {
        done(Object.assign(err as Error, { statusCode: 400 }), undefined);
      }
    });
    const unauthorized = { error: { code: 'VIGIL_UNAUTHENTICATED', message: 'the hook secret is missing or wrong' } };
    const route = {
      config: { role: 'public' as const },
      schema: { hide: true, querystring: { type: 'object', properties: { registry: { type: 'string' } } } },
    };

    scope.post<{ Querystring: { registry?: string } }>('/hooks/registry', route, async (request, reply) => {
      if (!hookSecretMatches(request.headers, secret)) return reply.code(401).send(unauthorized);
      const events = parseDistributionEnvelope(request.body);
      return reply.code(202).send(await accept('registry', events, request.query.registry));
    });

    scope.post('/hooks/ecr', route, async (request, reply) => {
      if (!hookSecretMatches(request.headers, secret)) return reply.code(401).send(unauthorized);
      return reply.code(202).send(await accept('ecr', parseEcrEvent(request.body)));
    });
  });
}

/** The service's PushAcceptor: each event's registry found among the stored ones, then acceptPushes. */
export function pushAcceptor(ctx: RuntimeContext, queue: JobQueue): PushAcceptor {
  return async (hook, events, named) => {
    const registries = await ctx.store.listRegistries();
    return acceptPushes(ctx, queue, events, (event) => {
      if (hook === 'ecr') {
        return registries.find(
          (r) => r.kind === 'ecr' && r.awsAccountId === event.ecr?.account && r.region === event.ecr?.region,
        );
      }
      return named !== undefined
        ? registries.find((r) => r.name === named)
        : registries.find((r) => event.registryHost !== undefined && hostOf(r.url) === event.registryHost);
    });
  };
}
