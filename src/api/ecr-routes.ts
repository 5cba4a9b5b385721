import type { FastifyInstance } from 'fastify';
import { severities } from '../core/types.ts';
import { checkConfig, toEcrConfig } from '../service/store/index.ts';
import type { ScanConfig, Store } from '../service/store/types.ts';
import { type AtomEntry, renderAtom, safeLink } from './atom.ts';
import { requireRegistry } from './config-routes.ts';
import { notFound } from './errors.ts';
import { errorResponses, uuidParam } from './schemas.ts';

/**
 * The API of aws-samples/amazon-ecr-continuous-scan, kept for its users: same paths (with or
 * without the trailing slash: the server ignores it), same bodies and text formats. That service
 * answered POST with 200 and `Added scan config. ID=<id> `; here it is 201 with the same text.
 */
interface Deps {
  readonly store: Store;
  readonly now: () => Date;
}

const ecrConfigSchema = {
  type: 'object',
  required: ['id', 'created', 'region', 'registry', 'repository', 'tags'],
  properties: {
    id: { type: 'string' },
    created: { type: 'string', description: 'epoch seconds' },
    region: { type: 'string', nullable: true },
    registry: { type: 'string', nullable: true },
    repository: { type: 'string', nullable: true },
    tags: { type: 'array', items: { type: 'string' }, nullable: true },
    registry_url: { type: 'string' },
  },
} as const;

const name = { type: 'string', minLength: 1, maxLength: 256 } as const;
const createBody = {
  type: 'object',
  required: ['repository'],
  additionalProperties: false,
  properties: {
    region: { type: 'string', pattern: '^[a-z]{2}(-[a-z]+)+-[0-9]+$' },
    registry: { type: 'string', pattern: '^[0-9]{12}$', description: 'AWS account id' },
    registry_url: { type: 'string', pattern: '^https?://', maxLength: 2048 },
    repository: name,
    tags: { type: 'array', items: name, maxItems: 1000, nullable: true },
  },
} as const;

const text = { type: 'string' } as const;
/** where the config's images live, as the summary and the feed title name it */
const placeOf = (c: ScanConfig): string => c.region ?? c.registryUrl ?? c.registryId ?? '';
const repositoryOf = (c: ScanConfig): string => c.repository ?? c.repositoryPattern ?? '';
const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
/** a feed holds at most this many entries: readers poll it, it is not an export */
const MAX_FEED_ENTRIES = 1000;

export function ecrRoutes(app: FastifyInstance, { store, now }: Deps): void {
  app.post<{
    Body: { region?: string; registry?: string; registry_url?: string; repository: string; tags?: string[] | null };
  }>(
    '/configs/',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['ecr-compatible'],
        summary: 'Add a scan config (ECR continuous-scan API)',
        body: createBody,
        response: {
          201: { description: '`Added scan config. ID=<uuid> `', content: { 'text/plain': { schema: text } } },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const reference = {
        ...(b.region !== undefined && { region: b.region }),
        ...(b.registry !== undefined && { registry: b.registry }),
        ...(b.registry_url !== undefined && { registryUrl: b.registry_url }),
      };
      const input = {
        ...reference,
        repository: b.repository,
        // the original scanned every tag for an absent or empty list alike
        tags: b.tags === undefined || b.tags === null || b.tags.length === 0 ? null : b.tags,
      };
      checkConfig(input);
      await requireRegistry(store, reference);
      const config = await store.createConfig(input, now());
      return reply
        .code(201)
        .header('location', `/api/v1/configs/${config.id}`)
        .type('text/plain; charset=utf-8')
        .send(`Added scan config. ID=${config.id} `);
    },
  );

  app.get(
    '/configs/',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['ecr-compatible'],
        summary: 'List scan configs (ECR continuous-scan API)',
        response: { 200: { type: 'array', items: ecrConfigSchema }, ...errorResponses },
      },
    },
    async () => {
      const configs = await store.listConfigs();
      return configs.map((c) => ({
        ...toEcrConfig(c),
        ...(c.registryUrl !== undefined && { registry_url: c.registryUrl }),
      }));
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/configs/:id',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['ecr-compatible'],
        summary: 'Remove a scan config (ECR continuous-scan API)',
        params: uuidParam,
        response: { 200: { content: { 'text/plain': { schema: text } } }, ...errorResponses },
      },
    },
    async (request, reply) => {
      if (!(await store.deleteConfig(request.params.id, now()))) throw notFound(`scan config ${request.params.id}`);
      return reply.type('text/plain; charset=utf-8').send(`Deleted scan config ${request.params.id} `);
    },
  );

  app.get(
    '/summary/',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['ecr-compatible'],
        summary: 'Open findings per image and severity, as text (ECR continuous-scan API)',
        response: { 200: { content: { 'text/plain': { schema: text } } }, ...errorResponses },
      },
    },
    async (_request, reply) => {
      const blocks: Array<{ label: string; digest?: string }> = [];
      // by repository, then place: stable whatever order the configs were added in
      const configs = (await store.listConfigs()).sort(
        (a, b) => byText(repositoryOf(a), repositoryOf(b)) || byText(placeOf(a), placeOf(b)),
      );
      for (const config of configs) {
        const found = await store.tagsForConfig(config);
        const byTag = new Map(found.map((t) => [t.tag, t.digest]));
        // a configured tag not seen yet still gets its (empty) block, as the original did
        const tagNames = config.tags ?? found.map((t) => t.tag);
        for (const tag of tagNames) {
          const digest = byTag.get(tag);
          blocks.push({
            label: `Results for ${repositoryOf(config)}:${tag} in ${placeOf(config)}:`,
            ...(digest !== undefined && { digest }),
          });
        }
      }
      const digests = blocks.flatMap((b) => (b.digest === undefined ? [] : [b.digest]));
      const counts = await store.countsByImage(digests);
      const out = blocks.map((b) => {
        const c = b.digest === undefined ? undefined : counts.get(b.digest);
        const lines = severities.filter((s) => (c?.[s] ?? 0) > 0).map((s) => ` ${s}: ${c?.[s]}\n`);
        return `${b.label}\n${lines.join('')}\n\n`;
      });
      return reply.type('text/plain; charset=utf-8').send(out.join(''));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/findings/:id',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['ecr-compatible'],
        summary: 'Open findings of one scan config as an Atom feed (ECR continuous-scan API)',
        params: uuidParam,
        response: { 200: { content: { 'application/atom+xml': { schema: text } } }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const config = await store.getConfig(request.params.id);
      if (config === undefined) throw notFound(`scan config ${request.params.id}`);
      const repository = repositoryOf(config);
      const tags = await store.tagsForConfig(config);
      const entries: AtomEntry[] = [];
      for (const tag of tags) {
        let cursor: string | undefined;
        do {
          const page = await store.findingsPage({ digest: tag.digest, state: 'open' }, cursor, 500);
          for (const f of page.findings) {
            if (entries.length >= MAX_FEED_ENTRIES) break;
            const link = f.finding.urls.map(safeLink).find((u) => u !== undefined);
            entries.push({
              id: `urn:vigil:finding:${f.id}:${encodeURIComponent(tag.tag)}`,
              title: `[${f.severity}] in image ${repository}:${tag.tag} found ${f.vulnerabilityId}`,
              updated: tag.lastScanned ?? f.lastSeen,
              link: link ?? `https://osv.dev/vulnerability/${encodeURIComponent(f.vulnerabilityId)}`,
              ...(f.finding.summary !== undefined && { summary: f.finding.summary }),
            });
          }
          cursor = page.next;
        } while (cursor !== undefined && entries.length < MAX_FEED_ENTRIES);
      }
      const ecr = config.region !== undefined && config.registry !== undefined;
      const updated = new Date(Math.max(config.createdAt.getTime(), ...entries.map((e) => e.updated.getTime())));
      const xml = renderAtom({
        id: `urn:uuid:${config.id}`,
        title: `${ecr ? 'ECR repository' : 'Repository'} ${repository} in ${placeOf(config)}`,
        subtitle: `Details of the image scan findings across the tags: ${tags.map((t) => `[${t.tag}] `).join('')}`,
        ...(ecr
          ? { link: `https://${config.region}.console.aws.amazon.com/ecr/repositories/${repository}/` }
          : config.registryUrl !== undefined && { link: config.registryUrl }),
        updated,
        author: 'Vigil',
        entries,
      });
      return reply.type('application/atom+xml; charset=utf-8').send(xml);
    },
  );
}
