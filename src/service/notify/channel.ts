import { z } from 'zod';
import { channelFilterSchema } from './filter.ts';
import type { RetryPolicy } from './retry.ts';
import type { ChannelSender, NotifyClock } from './types.ts';

/**
 * A channel kind (webhook, Slack, e-mail, SNS): one file in channels/, one object that
 * `satisfies Channel<…>`, one line in channels/index.ts. The config schema is the contract with
 * the API and the store; `create` turns a valid config into a sender.
 */

export type SnsModule = typeof import('@aws-sdk/client-sns');

export interface ChannelDeps {
  readonly fetch: typeof globalThis.fetch;
  readonly clock: NotifyClock;
  readonly retry: RetryPolicy;
  /** loads the optional AWS SDK; injected so tests can act as if it were not installed */
  readonly loadSns: () => Promise<SnsModule>;
}

export interface Channel<C extends { readonly type: string }> {
  readonly type: C['type'];
  readonly schema: z.ZodType<C>;
  /** the secret values in a config, so the notifier can scrub them from errors, logs and records */
  secretsOf(config: C): string[];
  create(config: C, deps: ChannelDeps): ChannelSender;
}

/** Fields every channel config has. */
export const commonChannelFields = {
  /** stable, chosen by the user or the API; delivery records point at it */
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, ".", "_" or "-", at most 64'),
  filter: channelFilterSchema.optional(),
  /** one message per scan with at most `top` findings listed, instead of one per finding */
  digest: z
    .object({ top: z.int().min(1).max(100).default(10) })
    .strict()
    .optional(),
  /** overrides of the notifier's retry policy for this channel */
  retry: z
    .object({
      maxAttempts: z.int().min(1).max(20),
      timeoutMs: z.int().min(100).max(120_000),
    })
    .partial()
    .strict()
    .optional(),
};

/** http(s) URLs only: no file:, data: or other schemes a fetch could be talked into. */
export const httpUrl = z.url({ protocol: /^https?$/ }).max(2_048);

export const REDACTED = '[redacted]';

/** Secrets shorter than this are not scrubbed from text: replacing every "a" would garble it all. */
const MIN_SCRUB_LENGTH = 6;

/** Every occurrence of a secret in `text` replaced by [redacted]. */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= MIN_SCRUB_LENGTH) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/** A deep copy with every string scrubbed. */
export function scrubDeep<T>(value: T, secrets: readonly string[]): T {
  if (typeof value === 'string') return scrubSecrets(value, secrets) as T;
  if (Array.isArray(value)) return value.map((item) => scrubDeep(item, secrets)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubDeep(v, secrets)])) as T;
  }
  return value;
}
