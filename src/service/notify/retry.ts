import { setTimeout as delay } from 'node:timers/promises';
import type { DeliveryAttempt, DeliveryOutcome, NotifyClock } from './types.ts';

/**
 * Bounded retries with exponential backoff and full jitter (the AWS Architecture Blog's "Exponential
 * Backoff And Jitter": wait random(0, min(max, base·2^n))), honouring a server's Retry-After
 * (RFC 9110 §10.2.3) when it gives one. Shared by every channel so they fail alike.
 */

export interface RetryPolicy {
  /** total tries, the first included */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** a Retry-After longer than this is cut down to it, so one receiver cannot park a worker */
  readonly maxRetryAfterMs: number;
  /** per attempt, until the receiver answers */
  readonly timeoutMs: number;
}

export const defaultRetryPolicy: RetryPolicy = Object.freeze({
  maxAttempts: 5,
  baseDelayMs: 1_000,
  maxDelayMs: 60_000,
  maxRetryAfterMs: 300_000,
  timeoutMs: 10_000,
});

export const systemClock: NotifyClock = Object.freeze({
  now: () => Date.now(),
  sleep: (ms: number, signal?: AbortSignal) => delay(ms, undefined, signal === undefined ? {} : { signal }),
  random: Math.random,
});

/** What one try came to. `retryable` is false for answers that will not change by asking again. */
export type TryResult =
  | { readonly ok: true; readonly status?: number }
  | {
      readonly ok: false;
      readonly retryable: boolean;
      readonly error: string;
      readonly status?: number;
      readonly retryAfterMs?: number;
    };

/** HTTP statuses worth another try: timeouts, rate limits and server-side trouble. */
export const RETRY_STATUSES: ReadonlySet<number> = new Set([408, 425, 429, 500, 502, 503, 504]);

/** Retry-After as delay-seconds or an HTTP date (RFC 9110 §10.2.3), in milliseconds from now. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/[a-z]/i.test(text)) return undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function backoffMs(policy: RetryPolicy, clock: NotifyClock, attempt: number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxRetryAfterMs);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.floor(clock.random() * ceiling);
}

export async function withRetries(
  policy: RetryPolicy,
  clock: NotifyClock,
  tryOnce: (attempt: number) => Promise<TryResult>,
  onAttempt: (attempt: DeliveryAttempt) => void | Promise<void>,
  signal?: AbortSignal,
): Promise<DeliveryOutcome> {
  const attempts: DeliveryAttempt[] = [];
  const maxAttempts = Math.max(1, policy.maxAttempts);
  for (let n = 0; ; n++) {
    const at = new Date(clock.now()).toISOString();
    const result = await tryOnce(n);
    const status = result.status === undefined ? {} : { status: result.status };
    if (result.ok) {
      const attempt: DeliveryAttempt = { at, ok: true, ...status };
      attempts.push(attempt);
      await onAttempt(attempt);
      return { ok: true, attempts };
    }
    const again = result.retryable && n + 1 < maxAttempts && signal?.aborted !== true;
    const waitMs = again ? backoffMs(policy, clock, n, result.retryAfterMs) : undefined;
    const attempt: DeliveryAttempt = {
      at,
      ok: false,
      ...status,
      error: result.error,
      ...(waitMs === undefined ? {} : { retryInMs: waitMs }),
    };
    attempts.push(attempt);
    await onAttempt(attempt);
    if (waitMs === undefined) return { ok: false, attempts, error: result.error };
    try {
      await clock.sleep(waitMs, signal);
    } catch {
      return { ok: false, attempts, error: `${result.error}; cancelled while waiting to retry` };
    }
  }
}
