import { VigilError } from '../../core/errors.ts';
import { assumedRoleProvider, type LoadStsSdk } from '../../image/registry/index.ts';
import { globToRegExp } from '../notify/filter.ts';
import type { Registry, ScanConfig } from '../store/types.ts';
import type { RuntimeContext } from './context.ts';
import type { DiscoveryResult } from './discovery.ts';
import type { JobQueue } from './queue.ts';

export type EcrModule = Pick<
  typeof import('@aws-sdk/client-ecr'),
  'ECRClient' | 'DescribeRepositoriesCommand' | 'DescribeImagesCommand'
>;
export type LoadEcr = () => Promise<EcrModule>;

const loadEcr: LoadEcr = () => import('@aws-sdk/client-ecr');

/** one page of DescribeRepositories / DescribeImages; AWS caps both at 1000 */
const PAGE = 1000;
/** a hostile or broken endpoint that never stops paging */
const MAX_PAGES = 10_000;

interface EcrImage {
  readonly digest: string;
  readonly tags: readonly string[];
  readonly pushedAt?: Date;
}

/**
 * Discovery for an `ecr` registry through the ECR API instead of the OCI catalog:
 * DescribeRepositories (names) and DescribeImages, which also give untagged digests and
 * imagePushedAt, the start of the scan window for production registries. Credentials come from the
 * AWS SDK's default chain in the registry's region or, when the registry names an IAM role, are
 * that role's (STS AssumeRole, cached and renewed before they expire). DescribeImages lists every
 * image, so a digest it no longer lists was deleted: archived without resolve events. Untagged
 * images are tracked by digest when the config takes every tag (no tag list, no filter).
 */
export async function discoverEcr(
  ctx: RuntimeContext,
  config: ScanConfig,
  registry: Registry,
  queue: JobQueue,
  wanted: (tag: string) => boolean,
  load: LoadEcr = loadEcr,
  loadSts?: LoadStsSdk,
): Promise<DiscoveryResult> {
  if (registry.region === undefined || registry.awsAccountId === undefined) {
    throw new VigilError('VIGIL_USAGE', `ECR registry ${registry.name} needs a region and an account id`, {
      registryId: registry.id,
    });
  }
  let sdk: EcrModule;
  try {
    sdk = await load();
  } catch (err) {
    throw new VigilError(
      'VIGIL_AWS_SDK_MISSING',
      'ECR discovery needs the optional @aws-sdk/client-ecr',
      {},
      {
        cause: err,
      },
    );
  }
  const credentials =
    registry.awsRoleArn === undefined
      ? undefined
      : assumedRoleProvider({
          roleArn: registry.awsRoleArn,
          region: registry.region,
          registry: registry.name,
          now: () => ctx.now().getTime(),
          ...(loadSts !== undefined && { loadSts }),
        });
  // a refused AssumeRole fails this registry's discovery with the role named, before any ECR call
  if (credentials !== undefined) await credentials();
  const client = new sdk.ECRClient({ region: registry.region, ...(credentials !== undefined && { credentials }) });
  const registryId = registry.awsAccountId;
  const takesUntagged = config.tags === null && config.tagFilter === undefined;
  try {
    const repositories: string[] = [];
    if (config.repository !== undefined) {
      repositories.push(config.repository);
    } else {
      const pattern = config.repositoryPattern === undefined ? undefined : globToRegExp(config.repositoryPattern);
      let nextToken: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const out = await client.send(
          new sdk.DescribeRepositoriesCommand({ registryId, maxResults: PAGE, ...(nextToken && { nextToken }) }),
        );
        for (const r of out.repositories ?? []) {
          if (r.repositoryName !== undefined && (pattern === undefined || pattern.test(r.repositoryName))) {
            repositories.push(r.repositoryName);
          }
        }
        nextToken = out.nextToken;
        if (nextToken === undefined) break;
      }
    }
    let tags = 0;
    let queued = 0;
    let moved = 0;
    let archived = 0;
    for (const repository of repositories) {
      const images: EcrImage[] = [];
      let nextToken: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const out = await client.send(
          new sdk.DescribeImagesCommand({
            registryId,
            repositoryName: repository,
            maxResults: PAGE,
            ...(nextToken && { nextToken }),
          }),
        );
        for (const detail of out.imageDetails ?? []) {
          if (detail.imageDigest === undefined) continue;
          images.push({
            digest: detail.imageDigest,
            tags: detail.imageTags ?? [],
            ...(detail.imagePushedAt !== undefined && { pushedAt: detail.imagePushedAt }),
          });
        }
        nextToken = out.nextToken;
        if (nextToken === undefined) break;
      }
      const known = new Set(await ctx.queries.liveDigestsOf(registry.id, repository));
      const present = new Set(images.map((i) => i.digest));
      for (const image of images) {
        const chosen = image.tags.filter(wanted);
        if (chosen.length === 0 && !(image.tags.length === 0 && takesUntagged)) continue;
        const now = ctx.now();
        for (const tag of chosen) {
          tags++;
          const recorded = await ctx.store.recordTag({ registryId: registry.id, repository, tag }, image.digest, now);
          if (recorded.moved) moved++;
        }
        await ctx.store.upsertImage(
          {
            registryId: registry.id,
            repository,
            digest: image.digest,
            ...(image.pushedAt && { pushedAt: image.pushedAt }),
          },
          now,
        );
        if (known.has(image.digest)) continue;
        known.add(image.digest);
        const scan = await ctx.store.createScan({ digest: image.digest, configId: config.id }, now);
        await queue.enqueue({
          scanId: scan.id,
          digest: image.digest,
          registryId: registry.id,
          repository,
          ...(chosen[0] !== undefined && { tag: chosen[0] }),
        });
        queued++;
      }
      for (const digest of known) {
        if (present.has(digest)) continue;
        await ctx.store.archiveImage(digest, ctx.now(), { registryId: registry.id, repository });
        archived++;
      }
    }
    return { repositories: repositories.length, tags, queued, moved, archived };
  } finally {
    client.destroy();
  }
}
