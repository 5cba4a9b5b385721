import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, rm, stat } from 'node:fs/promises';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { VigilError } from '../core/errors.ts';
import type { Transport } from './types.ts';

/**
 * How vulnerability sources reach their data. `file://` reads a mirror directory laid out like the
 * osv.dev bucket (`<base>/<Ecosystem>/all.zip`); `https://` (and `http://`, for mirrors on a local
 * network) goes through fetch with a header timeout, an idle timeout on the body, retries with
 * exponential backoff and jitter on 429/5xx and network errors honouring Retry-After (RFC 9110
 * §10.2.3), and a bound on the body size.
 */

export interface TransportPolicy {
  /** until response headers arrive */
  readonly timeoutMs: number;
  /** longest wait for the next body chunk */
  readonly idleTimeoutMs: number;
  /** extra attempts after the first */
  readonly retries: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  /** Retry-After values above this are cut down to it */
  readonly maxRetryAfterMs: number;
  /** the largest body accepted; osv.dev's biggest all.zip (npm) is a few hundred MB */
  readonly maxBytes: number;
}

export const defaultTransportPolicy: TransportPolicy = Object.freeze({
  timeoutMs: 30_000,
  idleTimeoutMs: 60_000,
  retries: 4,
  backoffBaseMs: 500,
  backoffMaxMs: 20_000,
  maxRetryAfterMs: 60_000,
  maxBytes: 4 * 1024 ** 3,
});

export interface TransportDeps {
  readonly fetch: typeof globalThis.fetch;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly now: () => number;
  /** in [0, 1); jitter */
  readonly random: () => number;
}

export const defaultTransportDeps: TransportDeps = Object.freeze({
  fetch: (...args: Parameters<typeof globalThis.fetch>) => globalThis.fetch(...args),
  sleep: (ms: number, signal?: AbortSignal) => delay(ms, undefined, signal === undefined ? {} : { signal }),
  now: () => Date.now(),
  random: Math.random,
});

const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

/** Retry-After as delay-seconds or an HTTP date (RFC 9110 §10.2.3), in milliseconds from now. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/[a-z]/i.test(text)) return undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function createTransport(policy: Partial<TransportPolicy> = {}, deps: Partial<TransportDeps> = {}): Transport {
  return new UrlTransport({ ...defaultTransportPolicy, ...policy }, { ...defaultTransportDeps, ...deps });
}

class UrlTransport implements Transport {
  readonly #policy: TransportPolicy;
  readonly #deps: TransportDeps;

  constructor(policy: TransportPolicy, deps: TransportDeps) {
    this.#policy = policy;
    this.#deps = deps;
  }

  async open(url: string, signal?: AbortSignal): Promise<Readable> {
    const parsed = parseUrl(url);
    if (parsed.protocol === 'file:') {
      const path = await this.#checkFile(parsed, url);
      return createReadStream(path, signal === undefined ? {} : { signal });
    }
    return this.#fetchBody(parsed, url, signal);
  }

  async download(url: string, destination: string, signal?: AbortSignal): Promise<void> {
    const parsed = parseUrl(url);
    if (parsed.protocol === 'file:') {
      await copyFile(await this.#checkFile(parsed, url), destination);
      return;
    }
    // A body cut short is retried whole: the zip's central directory sits at its end.
    for (let attempt = 0; ; attempt++) {
      try {
        await pipeline(await this.#fetchBody(parsed, url, signal), createWriteStream(destination));
        return;
      } catch (err) {
        await rm(destination, { force: true });
        if (signal?.aborted) throw aborted(url, signal);
        const retryable = err instanceof VigilError && err.context.retryable === true;
        if (!retryable || attempt >= this.#policy.retries) throw asSourceError(err, url);
        await this.#sleep(this.#backoff(attempt, undefined), url, signal);
      }
    }
  }

  async #checkFile(parsed: URL, url: string): Promise<string> {
    const path = fileURLToPath(parsed);
    const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
      throw new VigilError('VIGIL_SOURCE_UNREACHABLE', `cannot read ${url}: ${err.code ?? err.message}`, { url });
    });
    if (!info.isFile()) throw new VigilError('VIGIL_SOURCE_UNREACHABLE', `${url} is not a file`, { url });
    if (info.size > this.#policy.maxBytes) throw tooLarge(url, this.#policy.maxBytes);
    return path;
  }

  /** The response body of a successful GET, retried on 429/5xx and network errors. */
  async #fetchBody(parsed: URL, url: string, signal?: AbortSignal): Promise<Readable> {
    for (let attempt = 0; ; attempt++) {
      const last = attempt >= this.#policy.retries;
      let retryAfterMs: number | undefined;
      let failure: VigilError;
      try {
        const response = await this.#fetchHeaders(parsed, signal);
        if (response.ok && response.body !== null) return this.#boundedBody(response, url);
        await response.body?.cancel().catch(() => {});
        failure = new VigilError('VIGIL_SOURCE_UNREACHABLE', `${url} answered HTTP ${response.status}`, {
          url,
          status: response.status,
        });
        if (!RETRY_STATUSES.has(response.status) || last) throw failure;
        retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), this.#deps.now());
      } catch (err) {
        if (signal?.aborted) throw aborted(url, signal);
        if (err instanceof VigilError) throw err;
        failure = new VigilError('VIGIL_SOURCE_UNREACHABLE', `cannot fetch ${url}: ${describeNetworkError(err)}`, {
          url,
        });
        if (last) throw failure;
      }
      await this.#sleep(this.#backoff(attempt, retryAfterMs), url, signal);
    }
  }

  async #fetchHeaders(parsed: URL, signal?: AbortSignal): Promise<Response> {
    // The header timeout must not cover the body (a large all.zip takes minutes); the caller's
    // signal must, so it is forwarded for the life of the response.
    const controller = new AbortController();
    const timer = setTimeout(() => {
      const err = new Error(`no answer in ${this.#policy.timeoutMs} ms`);
      err.name = 'TimeoutError';
      controller.abort(err);
    }, this.#policy.timeoutMs);
    if (signal !== undefined) {
      if (signal.aborted) controller.abort(signal.reason);
      else signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
    }
    try {
      return await this.#deps.fetch(parsed, { signal: controller.signal, redirect: 'follow' });
    } finally {
      clearTimeout(timer);
    }
  }

  /** The body as a Node stream that fails on too many bytes, a stall, or fewer bytes than announced. */
  #boundedBody(response: Response, url: string): Readable {
    const { maxBytes, idleTimeoutMs } = this.#policy;
    const announced = Number(response.headers.get('content-length') ?? Number.NaN);
    if (announced > maxBytes) {
      void response.body?.cancel().catch(() => {});
      throw tooLarge(url, maxBytes);
    }
    const source = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
    let received = 0;
    let idle: NodeJS.Timeout | undefined;
    const arm = (stream: Transform): void => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        const err = new VigilError('VIGIL_SOURCE_UNREACHABLE', `${url} stalled for ${idleTimeoutMs} ms`, {
          url,
          retryable: true,
        });
        source.destroy(err);
        stream.destroy(err);
      }, idleTimeoutMs);
      idle.unref();
    };
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback: TransformCallback) {
        received += chunk.length;
        if (received > maxBytes) return callback(tooLarge(url, maxBytes));
        arm(this);
        callback(null, chunk);
      },
      flush(callback: TransformCallback) {
        clearTimeout(idle);
        if (Number.isFinite(announced) && received !== announced) {
          return callback(truncated(url, received, announced));
        }
        callback();
      },
      destroy(err, callback) {
        clearTimeout(idle);
        source.destroy();
        callback(err);
      },
    });
    arm(counter);
    source.on('error', (err) => {
      counter.destroy(
        err instanceof VigilError ? err : truncated(url, received, Number.isFinite(announced) ? announced : undefined),
      );
    });
    return source.pipe(counter);
  }

  #backoff(attempt: number, retryAfterMs: number | undefined): number {
    if (retryAfterMs !== undefined) return Math.min(retryAfterMs, this.#policy.maxRetryAfterMs);
    const ceiling = Math.min(this.#policy.backoffMaxMs, this.#policy.backoffBaseMs * 2 ** attempt);
    return Math.round(ceiling * (0.5 + this.#deps.random() / 2));
  }

  async #sleep(ms: number, url: string, signal?: AbortSignal): Promise<void> {
    await this.#deps.sleep(ms, signal).catch((err: unknown) => {
      if (signal?.aborted) throw aborted(url, signal);
      throw err;
    });
  }
}

function parseUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new VigilError('VIGIL_USAGE', `not a URL: "${url}" (use https://... or file:///dir)`, { url });
  }
  if (!['file:', 'https:', 'http:'].includes(parsed.protocol)) {
    throw new VigilError('VIGIL_USAGE', `unsupported source URL scheme in ${url} (use https:// or file://)`, { url });
  }
  return parsed;
}

function tooLarge(url: string, maxBytes: number): VigilError {
  return new VigilError('VIGIL_SOURCE_INVALID', `${url} is larger than the ${maxBytes}-byte bound`, { url, maxBytes });
}

function truncated(url: string, received: number, announced: number | undefined): VigilError {
  const expected = announced === undefined ? '' : ` of ${announced} announced`;
  return new VigilError('VIGIL_SOURCE_INVALID', `${url} was cut short after ${received} bytes${expected}`, {
    url,
    retryable: true,
  });
}

function aborted(url: string, signal: AbortSignal): VigilError {
  return new VigilError('VIGIL_ABORTED', `fetching ${url} was cancelled`, { url }, { cause: signal.reason });
}

function asSourceError(err: unknown, url: string): VigilError {
  if (err instanceof VigilError) return err;
  const reason = err instanceof Error ? err.message : String(err);
  return new VigilError('VIGIL_SOURCE_UNREACHABLE', `cannot fetch ${url}: ${reason}`, { url }, { cause: err });
}

/** fetch hides the reason in a cause chain ("fetch failed" ← ECONNREFUSED). */
function describeNetworkError(err: unknown): string {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  if (err instanceof Error && err.name === 'TimeoutError') return 'no answer in time';
  return err instanceof Error ? err.message : String(err);
}
