import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * Push notifications from registries, parsed into one shape: Docker Distribution's
 * `notifications.endpoints` envelope (distribution docs "Notifications": events with action,
 * target.{mediaType, digest, repository, url, tag}) and Amazon ECR's EventBridge event
 * ("detail-type": "ECR Image Action"). Only manifest pushes count: pulls, deletes, mounts and blob
 * pushes are ignored.
 */
export interface PushEvent {
  readonly repository: string;
  readonly digest: string;
  readonly tag?: string;
  /** Distribution: the registry host from target.url; ECR: the account and region */
  readonly registryHost?: string;
  readonly ecr?: { readonly account: string; readonly region: string };
}

export const DISTRIBUTION_EVENTS_MEDIA_TYPE = 'application/vnd.docker.distribution.events.v1+json';

const MANIFEST_MEDIA_TYPES = new Set([
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
]);

const digestPattern = /^sha256:[0-9a-f]{64}$/;
const repositoryPattern = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const tagPattern = /^[\w][\w.-]{0,127}$/;

const distributionEnvelope = z.object({
  events: z
    .array(
      z.object({
        action: z.string(),
        target: z
          .object({
            mediaType: z.string().optional(),
            digest: z.string().optional(),
            repository: z.string().optional(),
            url: z.string().optional(),
            tag: z.string().optional(),
          })
          .optional(),
      }),
    )
    .max(1000),
});

/** The manifest pushes of a Distribution envelope; anything else in it is ignored. */
export function parseDistributionEnvelope(body: unknown): PushEvent[] {
  const parsed = distributionEnvelope.safeParse(body);
  if (!parsed.success) return [];
  const pushes: PushEvent[] = [];
  for (const event of parsed.data.events) {
    const target = event.target;
    if (event.action !== 'push' || target === undefined) continue;
    if (target.mediaType === undefined || !MANIFEST_MEDIA_TYPES.has(target.mediaType)) continue;
    const { digest, repository, tag } = target;
    if (digest === undefined || !digestPattern.test(digest)) continue;
    if (repository === undefined || !repositoryPattern.test(repository)) continue;
    let registryHost: string | undefined;
    try {
      if (target.url !== undefined) registryHost = new URL(target.url).host;
    } catch {
      // no host to go by: the endpoint's registry parameter decides
    }
    pushes.push({
      repository,
      digest,
      ...(tag !== undefined && tagPattern.test(tag) && { tag }),
      ...(registryHost !== undefined && { registryHost }),
    });
  }
  return pushes;
}

const ecrEvent = z.object({
  source: z.literal('aws.ecr'),
  'detail-type': z.literal('ECR Image Action'),
  account: z.string().regex(/^\d{12}$/),
  region: z.string().regex(/^[a-z0-9-]{1,32}$/),
  detail: z.object({
    result: z.string(),
    'action-type': z.string(),
    'repository-name': z.string(),
    'image-digest': z.string(),
    'image-tag': z.string().optional(),
  }),
});

/** An EventBridge "ECR Image Action" event of a successful PUSH; anything else gives []. */
export function parseEcrEvent(body: unknown): PushEvent[] {
  const parsed = ecrEvent.safeParse(body);
  if (!parsed.success) return [];
  const { detail, account, region } = parsed.data;
  if (detail['action-type'] !== 'PUSH' || detail.result !== 'SUCCESS') return [];
  const repository = detail['repository-name'];
  const digest = detail['image-digest'];
  if (!digestPattern.test(digest) || !repositoryPattern.test(repository)) return [];
  const tag = detail['image-tag'];
  return [{ repository, digest, ...(tag !== undefined && tagPattern.test(tag) && { tag }), ecr: { account, region } }];
}

/**
 * The shared secret, from `Authorization: Bearer <secret>` (what a Distribution endpoint's
 * `headers` sends) or `X-Vigil-Hook-Secret` (what an EventBridge API destination's API-key auth
 * sends). Compared in constant time over SHA-256 digests, so neither content nor length leaks.
 */
export function hookSecretMatches(headers: Record<string, string | string[] | undefined>, secret: string): boolean {
  const header = headers.authorization;
  const fromAuthorization = typeof header === 'string' ? /^Bearer +(.+)$/i.exec(header.trim())?.[1] : undefined;
  const custom = headers['x-vigil-hook-secret'];
  const presented = fromAuthorization ?? (typeof custom === 'string' ? custom : undefined);
  if (presented === undefined) return false;
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(presented), digest(secret));
}
