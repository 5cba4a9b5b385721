import { isVigilError, VigilError } from '../../core/errors.ts';
import { globToRegExp } from '../notify/filter.ts';
import { registryOfReference } from '../store/index.ts';
import type { Registry, ScanConfig } from '../store/types.ts';
import type { RuntimeContext } from './context.ts';
import { discoverEcr, type LoadEcr } from './ecr-discovery.ts';
import type { JobQueue } from './queue.ts';
import { registryAccess } from './registry-access.ts';

export interface DiscoveryResult {
  readonly repositories: number;
  readonly tags: number;
  /** digests new to their repository, each queued for one scan */
  readonly queued: number;
  /** tags that now point at another digest (recorded as tag history) */
  readonly moved: number;
  /** digests the registry no longer has: archived, no resolve events */
  readonly archived: number;
}

/** The registry a config reads (registryOfReference); a usage error when none is configured. */
export async function registryOfConfig(ctx: RuntimeContext, config: ScanConfig): Promise<Registry> {
  const found = registryOfReference(await ctx.store.listRegistries(), config);
  if (found === undefined) {
    throw new VigilError('VIGIL_USAGE', `scan config ${config.id} names a registry that is not configured`, {
      configId: config.id,
    });
  }
  return found;
}

/** A tag filter is a glob (`v*`) or, between slashes, a regular expression (`/^v\d+$/`). */
export function tagMatcher(config: ScanConfig): (tag: string) => boolean {
  const exact = config.tags === null ? undefined : new Set(config.tags);
  const filter = config.tagFilter;
  let pattern: RegExp | undefined;
  if (filter !== undefined) {
    const regex = /^\/(.+)\/$/.exec(filter);
    pattern = regex !== null ? new RegExp(regex[1] as string) : globToRegExp(filter);
  }
  return (tag) => (exact === undefined || exact.has(tag)) && (pattern === undefined || pattern.test(tag));
}

/**
 * One discovery pass for a scan config: list repositories (the one named, or the catalog filtered
 * by the pattern), list and filter tags, resolve each tag to its manifest digest, record the tag
 * (a moved tag becomes history), and queue one scan for each digest new to its repository. Images
 * of the repository that no tag reached this time are asked for by digest; the ones the registry
 * answers 404 for were deleted and are archived (their findings archived, no resolve events).
 * An `ecr` registry is read through the ECR API instead (ecr-discovery.ts).
 */
export async function discover(
  ctx: RuntimeContext,
  config: ScanConfig,
  queue: JobQueue,
  loadEcr?: LoadEcr,
): Promise<DiscoveryResult> {
  const registry = await registryOfConfig(ctx, config);
  if (registry.kind === 'ecr') return discoverEcr(ctx, config, registry, queue, tagMatcher(config), loadEcr);
  const client = registryAccess(ctx, registry).client();
  const repositories: string[] = [];
  if (config.repository !== undefined) {
    repositories.push(config.repository);
  } else {
    const pattern = config.repositoryPattern === undefined ? undefined : globToRegExp(config.repositoryPattern);
    for await (const repository of client.listRepositories()) {
      if (pattern === undefined || pattern.test(repository)) repositories.push(repository);
    }
    // repositories deleted whole leave the catalog: their images must still be looked for
    for (const repository of await ctx.queries.liveRepositoriesOf(registry.id)) {
      if ((pattern === undefined || pattern.test(repository)) && !repositories.includes(repository)) {
        repositories.push(repository);
      }
    }
  }
  const wanted = tagMatcher(config);
  let tags = 0;
  let queued = 0;
  let moved = 0;
  let archived = 0;
  for (const repository of repositories) {
    const known = new Set(await ctx.queries.liveDigestsOf(registry.id, repository));
    const seen = new Set<string>();
    for await (const tag of tagsOf(client, repository)) {
      if (!wanted(tag)) continue;
      tags++;
      const digest = await client.manifestDigest(repository, tag);
      const now = ctx.now();
      const recorded = await ctx.store.recordTag({ registryId: registry.id, repository, tag }, digest, now);
      if (recorded.moved) moved++;
      if (seen.has(digest)) continue;
      seen.add(digest);
      if (known.has(digest)) continue;
      await ctx.store.upsertImage({ registryId: registry.id, repository, digest }, now);
      const scan = await ctx.store.createScan({ digest, configId: config.id }, now);
      await queue.enqueue({ scanId: scan.id, digest, registryId: registry.id, repository, tag });
      known.add(digest);
      queued++;
    }
    for (const digest of known) {
      if (seen.has(digest)) continue;
      if (await deletedFromRegistry(client, repository, digest)) {
        await ctx.store.archiveImage(digest, ctx.now(), { registryId: registry.id, repository });
        archived++;
      }
    }
  }
  return { repositories: repositories.length, tags, queued, moved, archived };
}

/**
 * A repository the registry does not know (deleted whole) has no tags. Registries answer a
 * private repository to someone without access the same way, so lost credentials archive its
 * images; the next discovery that sees them again revives them and their findings, without events.
 */
async function* tagsOf(client: ReturnType<ReturnType<typeof registryAccess>['client']>, repository: string) {
  try {
    yield* client.listTags(repository);
  } catch (err) {
    if (!isVigilError(err, 'VIGIL_REGISTRY_NAME_UNKNOWN')) throw err;
  }
}

async function deletedFromRegistry(
  client: ReturnType<ReturnType<typeof registryAccess>['client']>,
  repository: string,
  digest: string,
): Promise<boolean> {
  try {
    await client.manifestDigest(repository, digest);
    // untagged but still there: tracked by digest
    return false;
  } catch (err) {
    if (isVigilError(err, 'VIGIL_REGISTRY_NAME_UNKNOWN')) return true;
    throw err;
  }
}
