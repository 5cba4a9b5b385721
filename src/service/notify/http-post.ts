import { parseRetryAfter, RETRY_STATUSES, type RetryPolicy, type TryResult, withRetries } from './retry.ts';
import type { DeliveryOutcome, NotifyClock, SendContext } from './types.ts';

/**
 * One JSON POST to a receiver the user configured (generic webhook, Slack), retried per
 * `withRetries`. Redirects are not followed: a webhook that moved is a configuration error to see,
 * not something to chase to another host. Error texts name the origin only, since a URL's path can
 * be the secret (Slack's incoming-webhook URLs are).
 */

export interface HttpPostDeps {
  readonly fetch: typeof globalThis.fetch;
  readonly clock: NotifyClock;
  readonly retry: RetryPolicy;
}

/** How much of a refusing receiver's answer goes into the error text. */
const ERROR_BODY_CHARS = 200;

export async function postWithRetries(
  url: string,
  body: string,
  /** called before every try, so a signature's timestamp is fresh on each */
  headersFor: () => Record<string, string>,
  deps: HttpPostDeps,
  context: SendContext,
): Promise<DeliveryOutcome> {
  const origin = safeOrigin(url);
  return withRetries(
    deps.retry,
    deps.clock,
    () => postOnce(url, origin, body, headersFor(), deps, context.signal),
    context.onAttempt,
    context.signal,
  );
}

async function postOnce(
  url: string,
  origin: string,
  body: string,
  headers: Record<string, string>,
  deps: HttpPostDeps,
  signal?: AbortSignal,
): Promise<TryResult> {
  const timeout = AbortSignal.timeout(deps.retry.timeoutMs);
  const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
  let response: Response;
  try {
    response = await deps.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'vigil-notifier', ...headers },
      body,
      redirect: 'manual',
      signal: combined,
    });
  } catch (err) {
    if (signal?.aborted === true) return { ok: false, retryable: false, error: `POST to ${origin} cancelled` };
    if (timeout.aborted) {
      return { ok: false, retryable: true, error: `${origin} did not answer in ${deps.retry.timeoutMs} ms` };
    }
    return { ok: false, retryable: true, error: `cannot reach ${origin}: ${networkReason(err)}` };
  }
  const status = response.status;
  if (status >= 200 && status < 300) {
    await response.body?.cancel().catch(() => {});
    return { ok: true, status };
  }
  const excerpt = await readExcerpt(response);
  const error = `${origin} answered HTTP ${status}${excerpt === '' ? '' : `: ${excerpt}`}`;
  if (!RETRY_STATUSES.has(status)) return { ok: false, retryable: false, status, error };
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), deps.clock.now());
  return { ok: false, retryable: true, status, error, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
}

/** The first characters of an error body, read without holding an endless one. */
async function readExcerpt(response: Response): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < ERROR_BODY_CHARS * 4) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } catch {
    return '';
  } finally {
    await reader.cancel().catch(() => {});
  }
  const text = Buffer.concat(chunks).toString('utf8').replace(/\s+/g, ' ').trim();
  return text.length > ERROR_BODY_CHARS ? `${text.slice(0, ERROR_BODY_CHARS)}…` : text;
}

function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}

/** scheme://host[:port] of a URL; never its path or query, which may carry a token. */
export function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}
