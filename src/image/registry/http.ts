import { setTimeout as delay } from 'node:timers/promises';
import { VigilError } from '../../core/errors.ts';

/**
 * The one place registry traffic goes through: per-hop header timeout, idle timeout on bodies,
 * bounded redirects that drop credentials when they leave the origin, and retries with exponential
 * backoff and jitter on 429/5xx and transient network errors, honouring Retry-After.
 */

export interface HttpDeps {
  readonly fetch: typeof globalThis.fetch;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** milliseconds since the epoch; used for Retry-After dates and token expiry */
  readonly now: () => number;
  /** in [0, 1); jitter */
  readonly random: () => number;
}

export interface HttpPolicy {
  /** until response headers arrive, per hop */
  readonly timeoutMs: number;
  /** longest wait for the next body chunk */
  readonly idleTimeoutMs: number;
  /** extra attempts after the first */
  readonly retries: number;
  readonly maxRedirects: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  /** Retry-After values above this are cut down to it */
  readonly maxRetryAfterMs: number;
  /** allow plain http (targets and redirects) */
  readonly insecure: boolean;
}

export const defaultHttpPolicy: HttpPolicy = Object.freeze({
  timeoutMs: 30_000,
  idleTimeoutMs: 60_000,
  retries: 4,
  maxRedirects: 5,
  backoffBaseMs: 500,
  backoffMaxMs: 20_000,
  maxRetryAfterMs: 60_000,
  insecure: false,
});

export function defaultHttpDeps(fetchImpl: typeof globalThis.fetch = globalThis.fetch): HttpDeps {
  return {
    fetch: fetchImpl,
    sleep: (ms, signal) => delay(ms, undefined, signal === undefined ? {} : { signal }),
    now: () => Date.now(),
    random: Math.random,
  };
}

/** What fetch accepts as a request body. */
export type RequestBody = NonNullable<RequestInit['body']>;

export interface HttpRequest {
  readonly method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly url: URL;
  readonly headers?: Readonly<Record<string, string>>;
  /** headers that carry credentials: never sent to another origin after a redirect */
  readonly credentialHeaders?: Readonly<Record<string, string>>;
  /** re-created for every attempt, so retries can resend it */
  readonly body?: () => RequestBody;
  /** the body carries a credential (an OAuth2 form): a redirect to another origin that keeps it is refused */
  readonly credentialBody?: boolean;
  readonly signal?: AbortSignal;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Headers;
  /** the URL that answered, after redirects */
  readonly url: URL;
  readonly body: ReadableStream<Uint8Array> | null;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
const RETRY_ERROR_CODES = new Set([
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'VIGIL_REGISTRY_TIMEOUT',
]);

/** The network error code hidden in a fetch failure ("fetch failed" with a cause chain). */
export function networkErrorCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function abortedError(signal: AbortSignal): VigilError {
  return new VigilError('VIGIL_ABORTED', 'registry request was cancelled', {}, { cause: signal.reason });
}

function sameOrigin(a: URL, b: URL): boolean {
  return a.protocol === b.protocol && a.host === b.host;
}

/** Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3), in milliseconds from now. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // IMF-fixdate and its obsolete forms always name a day or month.
  if (!/[a-z]/i.test(text)) return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

export class HttpClient {
  readonly #deps: HttpDeps;
  readonly #policy: HttpPolicy;

  constructor(deps: HttpDeps, policy: HttpPolicy) {
    this.#deps = deps;
    this.#policy = policy;
  }

  get policy(): HttpPolicy {
    return this.#policy;
  }

  get deps(): HttpDeps {
    return this.#deps;
  }

  /**
   * Sends with retries. A retryable status on the last attempt is returned (the caller turns it
   * into an error naming the status); network failures after the last attempt throw
   * VIGIL_REGISTRY_UNREACHABLE or VIGIL_REGISTRY_TIMEOUT.
   */
  async send(request: HttpRequest): Promise<HttpResponse> {
    const attempts = this.#policy.retries + 1;
    for (let attempt = 0; ; attempt++) {
      const last = attempt + 1 >= attempts;
      let retryAfterMs: number | undefined;
      try {
        const response = await this.#sendFollowingRedirects(request);
        if (!RETRY_STATUSES.has(response.status) || last) return response;
        retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), this.#deps.now());
        await response.body?.cancel().catch(() => {});
      } catch (err) {
        if (request.signal?.aborted) throw abortedError(request.signal);
        const code = networkErrorCode(err);
        const retryable = code !== undefined && RETRY_ERROR_CODES.has(code);
        if (!retryable || last) throw this.#networkError(request, err, code, attempt + 1);
      }
      await this.#deps.sleep(this.#backoff(attempt, retryAfterMs), request.signal).catch((err: unknown) => {
        if (request.signal?.aborted) throw abortedError(request.signal);
        throw err;
      });
    }
  }

  #backoff(attempt: number, retryAfterMs: number | undefined): number {
    if (retryAfterMs !== undefined) return Math.min(retryAfterMs, this.#policy.maxRetryAfterMs);
    const ceiling = Math.min(this.#policy.backoffMaxMs, this.#policy.backoffBaseMs * 2 ** attempt);
    return Math.round(ceiling * (0.5 + this.#deps.random() / 2));
  }

  #networkError(request: HttpRequest, err: unknown, code: string | undefined, attempts: number): VigilError {
    if (err instanceof VigilError && err.code !== 'VIGIL_REGISTRY_TIMEOUT') return err;
    const target = `${request.url.protocol}//${request.url.host}`;
    const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
    if (err instanceof VigilError || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
      return new VigilError('VIGIL_REGISTRY_TIMEOUT', `registry ${target} did not answer in time${tries}`, {
        host: request.url.host,
      });
    }
    const reason = code ?? (err instanceof Error ? err.message : String(err));
    return new VigilError(
      'VIGIL_REGISTRY_UNREACHABLE',
      `cannot reach registry ${target}${tries}: ${reason}`,
      { host: request.url.host, errorCode: code },
      { cause: err },
    );
  }

  async #sendFollowingRedirects(request: HttpRequest): Promise<HttpResponse> {
    let url = request.url;
    let method = request.method;
    let body = request.body;
    let credentials = request.credentialHeaders ?? {};
    for (let hop = 0; ; hop++) {
      this.#checkScheme(url);
      const response = await this.#fetchOnce(url, method, { ...request.headers, ...credentials }, body, request.signal);
      const location = response.headers.get('location');
      if (!REDIRECT_STATUSES.has(response.status) || location === null) {
        return { status: response.status, headers: response.headers, url, body: response.body };
      }
      await response.body?.cancel().catch(() => {});
      if (hop >= this.#policy.maxRedirects) {
        throw new VigilError(
          'VIGIL_REGISTRY_PROTOCOL',
          `registry ${request.url.host} redirected more than ${this.#policy.maxRedirects} times`,
          { host: request.url.host },
        );
      }
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        throw new VigilError('VIGIL_REGISTRY_PROTOCOL', `registry ${url.host} redirected to an invalid URL`, {
          host: url.host,
        });
      }
      if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
      }
      if (!sameOrigin(next, url)) {
        credentials = {};
        if (request.credentialBody === true && body !== undefined) {
          throw new VigilError(
            'VIGIL_REGISTRY_PROTOCOL',
            `${url.host} redirected a request carrying credentials to ${next.host}; not following`,
            { host: url.host },
          );
        }
      }
      url = next;
    }
  }

  #checkScheme(url: URL): void {
    if (url.protocol === 'https:' || (url.protocol === 'http:' && this.#policy.insecure)) return;
    const hint = url.protocol === 'http:' ? ' (plain http needs --insecure)' : '';
    throw new VigilError('VIGIL_REGISTRY_PROTOCOL', `refusing to fetch ${url.protocol}//${url.host}${hint}`, {
      host: url.host,
    });
  }

  async #fetchOnce(
    url: URL,
    method: string,
    headers: Record<string, string>,
    body: (() => RequestBody) | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    if (signal?.aborted) throw abortedError(signal);
    const timeout = new AbortController();
    const timer = setTimeout(
      () => timeout.abort(new VigilError('VIGIL_REGISTRY_TIMEOUT', `no answer from ${url.host}`)),
      this.#policy.timeoutMs,
    );
    const combined = signal === undefined ? timeout.signal : AbortSignal.any([signal, timeout.signal]);
    try {
      const init: RequestInit & { duplex?: 'half' } = { method, headers, redirect: 'manual', signal: combined };
      if (body !== undefined) {
        init.body = body();
        init.duplex = 'half';
      }
      return await this.#deps.fetch(url, init);
    } catch (err) {
      if (timeout.signal.aborted && !signal?.aborted) throw timeout.signal.reason;
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * The chunks of a response body; waits at most `idleTimeoutMs` for each (only while the consumer is
 * asking for more, so a slow consumer is not punished), and throws past `maxBytes`.
 */
export async function* bodyChunks(
  response: HttpResponse,
  options: { idleTimeoutMs: number; maxBytes: number; what: string; signal?: AbortSignal },
): AsyncGenerator<Uint8Array> {
  if (response.body === null) return;
  const reader = response.body.getReader();
  let total = 0;
  let finished = false;
  try {
    for (;;) {
      if (options.signal?.aborted) throw abortedError(options.signal);
      const chunk = await readWithin(reader, options.idleTimeoutMs, response.url, options.what);
      if (chunk.done) {
        finished = true;
        return;
      }
      total += chunk.value.byteLength;
      if (total > options.maxBytes) {
        throw new VigilError(
          'VIGIL_LIMIT_EXCEEDED',
          `${options.what} from ${response.url.host} is larger than ${options.maxBytes} bytes`,
          { host: response.url.host, limit: options.maxBytes },
        );
      }
      yield chunk.value;
    }
  } catch (err) {
    if (err instanceof VigilError) throw err;
    const code = networkErrorCode(err);
    throw new VigilError(
      'VIGIL_REGISTRY_UNREACHABLE',
      `connection to ${response.url.host} broke while reading ${options.what}: ${code ?? (err as Error).message}`,
      { host: response.url.host, errorCode: code },
      { cause: err },
    );
  } finally {
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

async function readWithin(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  idleTimeoutMs: number,
  url: URL,
  what: string,
): ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']> {
  let timer: NodeJS.Timeout | undefined;
  const idle = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new VigilError('VIGIL_REGISTRY_TIMEOUT', `${url.host} stopped sending ${what} for ${idleTimeoutMs} ms`, {
            host: url.host,
          }),
        ),
      idleTimeoutMs,
    );
  });
  try {
    return await Promise.race([reader.read(), idle]);
  } finally {
    clearTimeout(timer);
  }
}

/** Reads a whole (small) body, refusing more than `maxBytes` whatever Content-Length says. */
export async function readBounded(
  response: HttpResponse,
  options: { idleTimeoutMs: number; maxBytes: number; what: string; signal?: AbortSignal },
): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of bodyChunks(response, options)) parts.push(chunk);
  return Buffer.concat(parts);
}
