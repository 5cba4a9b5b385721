import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { VigilError } from '../../core/errors.ts';
import { isDigest } from '../reference.ts';
import { RegistryAuth } from './auth.ts';
import { parseWwwAuthenticate, preferredChallenge } from './challenge.ts';
import { type CredentialOptions, resolveCredentials } from './credentials.ts';
import { digestOf, mismatch, verifyingStream } from './digest.ts';
import { errorForResponse, protocolError, type RequestSubject } from './errors.ts';
import {
  bodyChunks,
  defaultHttpDeps,
  defaultHttpPolicy,
  HttpClient,
  type HttpDeps,
  type HttpPolicy,
  type HttpRequest,
  type HttpResponse,
  type RequestBody,
  readBounded,
} from './http.ts';
import { MANIFEST_ACCEPT } from './manifest.ts';

/** Manifests are small JSON; distribution itself refuses to store more than 4 MiB. */
export const MANIFEST_SIZE_LIMIT = 4 * 1024 * 1024;
const LIST_PAGE_LIMIT = 4 * 1024 * 1024;
const MAX_LIST_PAGES = 10_000;

export interface RegistryClientOptions extends CredentialOptions {
  /** plain http instead of https (there is no https-then-http fallback) */
  readonly insecure?: boolean;
  readonly fetch?: typeof globalThis.fetch;
  readonly timeoutMs?: number;
  readonly idleTimeoutMs?: number;
  readonly retries?: number;
  readonly maxRedirects?: number;
  /** injected clock and timers, so tests need not wait */
  readonly sleep?: HttpDeps['sleep'];
  readonly now?: HttpDeps['now'];
  readonly random?: HttpDeps['random'];
}

export interface FetchedManifest {
  readonly bytes: Buffer;
  /** computed from the bytes, never taken from the registry's word */
  readonly digest: string;
  readonly contentType: string | null;
}

type Action = 'pull' | 'push';

function repositoryScope(repository: string, actions: readonly Action[]): string {
  return `repository:${repository}:${actions.join(',')}`;
}

/** An OCI Distribution API v2 client for one registry host. */
export class RegistryClient {
  readonly registry: string;
  readonly #base: URL;
  readonly #http: HttpClient;
  readonly #auth: RegistryAuth;

  constructor(registry: string, options: RegistryClientOptions = {}) {
    this.registry = registry;
    const policy: HttpPolicy = {
      ...defaultHttpPolicy,
      insecure: options.insecure === true,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.idleTimeoutMs === undefined
        ? options.timeoutMs === undefined
          ? {}
          : { idleTimeoutMs: options.timeoutMs }
        : { idleTimeoutMs: options.idleTimeoutMs }),
      ...(options.retries === undefined ? {} : { retries: options.retries }),
      ...(options.maxRedirects === undefined ? {} : { maxRedirects: options.maxRedirects }),
    };
    const defaults = defaultHttpDeps(options.fetch ?? globalThis.fetch);
    const deps: HttpDeps = {
      fetch: defaults.fetch,
      sleep: options.sleep ?? defaults.sleep,
      now: options.now ?? defaults.now,
      random: options.random ?? defaults.random,
    };
    this.#http = new HttpClient(deps, policy);
    this.#base = new URL(`${policy.insecure ? 'http' : 'https'}://${registry}/v2/`);
    this.#auth = new RegistryAuth(registry, this.#http, () => resolveCredentials(registry, options));
  }

  url(path: string): URL {
    return new URL(path, this.#base);
  }

  /**
   * Sends with the right Authorization; on a 401 learns the challenge, authenticates afresh and
   * retries once. The caller maps non-success statuses with errorForResponse.
   */
  async send(request: HttpRequest, scopes: readonly string[]): Promise<HttpResponse> {
    const options = request.signal === undefined ? {} : { signal: request.signal };
    const first = await this.#auth.authorization(scopes, options);
    const response = await this.#http.send(withAuthorization(request, first));
    if (response.status !== 401) return response;
    const challenge = preferredChallenge(parseWwwAuthenticate(response.headers.get('www-authenticate')));
    if (challenge === undefined) return response;
    this.#auth.learn(challenge);
    const second = await this.#auth.authorization(scopes, { ...options, fresh: true });
    if (second === undefined || (second === first && challenge.scheme === 'basic')) return response;
    await response.body?.cancel().catch(() => {});
    return this.#http.send(withAuthorization(request, second));
  }

  async #fail(response: HttpResponse, subject: RequestSubject): Promise<never> {
    const error = await errorForResponse(response, subject);
    if (error.code !== 'VIGIL_REGISTRY_UNAUTHORIZED') throw error;
    const origin = await this.#auth.credentialOrigin();
    const hint =
      origin === 'anonymous'
        ? '; no credentials were found (options, VIGIL_REGISTRY_TOKEN or VIGIL_REGISTRY_USERNAME/PASSWORD, docker config.json),' +
          ' and to anonymous users a private repository looks the same as a missing one'
        : `; credentials came from ${origin}`;
    throw new VigilError(error.code, `${error.message}${hint}`, { ...error.context, credentialOrigin: origin });
  }

  async getManifest(repository: string, reference: string, signal?: AbortSignal): Promise<FetchedManifest> {
    const subject = { registry: this.registry, repository, what: 'manifest', reference };
    const response = await this.send(
      {
        method: 'GET',
        url: this.url(`${repository}/manifests/${reference}`),
        headers: { accept: MANIFEST_ACCEPT },
        ...(signal === undefined ? {} : { signal }),
      },
      [repositoryScope(repository, ['pull'])],
    );
    if (response.status !== 200) await this.#fail(response, subject);
    const bytes = await readBounded(response, {
      idleTimeoutMs: this.#http.policy.idleTimeoutMs,
      maxBytes: MANIFEST_SIZE_LIMIT,
      what: `manifest ${repository}:${reference}`,
      ...(signal === undefined ? {} : { signal }),
    });
    const pinned = reference.includes(':') ? reference : undefined;
    const digest = digestOf(bytes, pinned ?? 'sha256:');
    if (pinned !== undefined && digest !== pinned) {
      throw mismatch(`manifest ${this.registry}/${repository}@${pinned} does not match its digest`, pinned, digest);
    }
    // go-containerregistry checks the header too: a registry that lies about it is not to be trusted.
    const claimed = response.headers.get('docker-content-digest');
    if (pinned === undefined && claimed !== null && claimed.startsWith('sha256:') && claimed !== digest) {
      throw mismatch(
        `manifest ${this.registry}/${repository}:${reference} does not match Docker-Content-Digest`,
        claimed,
        digest,
      );
    }
    const contentType = response.headers.get('content-type');
    if (!/^\s*\{/.test(bytes.subarray(0, 64).toString('utf8'))) {
      throw protocolError(
        subject,
        `answer is not a JSON manifest (Content-Type ${contentType?.slice(0, 80) ?? 'none'})`,
      );
    }
    return { bytes, digest, contentType };
  }

  /**
   * The digest a tag points to, from a HEAD request's Docker-Content-Digest (cheap, and not counted
   * by Docker Hub's pull rate limit); falls back to fetching the manifest when the header is absent.
   */
  async manifestDigest(repository: string, reference: string, signal?: AbortSignal): Promise<string> {
    const response = await this.send(
      {
        method: 'HEAD',
        url: this.url(`${repository}/manifests/${reference}`),
        headers: { accept: MANIFEST_ACCEPT },
        ...(signal === undefined ? {} : { signal }),
      },
      [repositoryScope(repository, ['pull'])],
    );
    await response.body?.cancel().catch(() => {});
    if (response.status !== 200) {
      await this.#fail(response, { registry: this.registry, repository, what: 'manifest', reference });
    }
    const claimed = response.headers.get('docker-content-digest');
    if (claimed !== null && isDigest(claimed)) return claimed;
    return (await this.getManifest(repository, reference, signal)).digest;
  }

  /**
   * The blob as a stream (redirects to blob storage followed). With `size`, more bytes than that
   * fail the stream; with `verify`, the digest and size are checked as the bytes flow.
   */
  async openBlob(
    repository: string,
    digest: string,
    options: { size?: number; verify?: boolean; signal?: AbortSignal } = {},
  ): Promise<Readable> {
    const subject = { registry: this.registry, repository, what: 'blob', reference: digest };
    const signal = options.signal;
    const response = await this.send(
      {
        method: 'GET',
        url: this.url(`${repository}/blobs/${digest}`),
        ...(signal === undefined ? {} : { signal }),
      },
      [repositoryScope(repository, ['pull'])],
    );
    if (response.status !== 200) await this.#fail(response, subject);
    const chunks = bodyChunks(response, {
      idleTimeoutMs: this.#http.policy.idleTimeoutMs,
      maxBytes: options.size ?? Number.MAX_SAFE_INTEGER,
      what: `blob ${digest}`,
      ...(signal === undefined ? {} : { signal }),
    });
    const stream = Readable.from(chunks, { objectMode: false });
    if (options.verify !== true) return stream;
    const verifier = verifyingStream(digest, options.size, `blob ${digest}`);
    stream.on('error', (err) => verifier.destroy(err));
    return stream.pipe(verifier);
  }

  /** A whole small blob (an image config), verified against its digest. */
  async readBlob(repository: string, digest: string, maxBytes: number, signal?: AbortSignal): Promise<Buffer> {
    const stream = await this.openBlob(repository, digest, { verify: true, ...(signal ? { signal } : {}) });
    const parts: Buffer[] = [];
    let total = 0;
    await pipeline(stream, async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) {
        total += chunk.length;
        if (total > maxBytes) {
          throw new VigilError('VIGIL_LIMIT_EXCEEDED', `blob ${digest} is larger than ${maxBytes} bytes`, {
            limit: maxBytes,
          });
        }
        parts.push(chunk);
      }
    });
    return Buffer.concat(parts);
  }

  async hasBlob(repository: string, digest: string, actions: readonly Action[] = ['pull']): Promise<boolean> {
    const response = await this.send({ method: 'HEAD', url: this.url(`${repository}/blobs/${digest}`) }, [
      repositoryScope(repository, actions),
    ]);
    await response.body?.cancel().catch(() => {});
    if (response.status === 200) return true;
    if (response.status === 404) return false;
    return this.#fail(response, { registry: this.registry, repository, what: 'blob', reference: digest });
  }

  /**
   * Monolithic upload (distribution spec "Pushing a blob monolithically"): POST, then PUT ?digest=.
   * Pass a Blob (`fs.openAsBlob`) so the length is known and the bytes stream from disk.
   */
  async uploadBlob(repository: string, digest: string, body: () => RequestBody): Promise<void> {
    const scopes = [repositoryScope(repository, ['pull', 'push'])];
    const subject = { registry: this.registry, repository, what: 'blob upload', reference: digest };
    const started = await this.send({ method: 'POST', url: this.url(`${repository}/blobs/uploads/`) }, scopes);
    if (started.status !== 202) await this.#fail(started, subject);
    await started.body?.cancel().catch(() => {});
    const location = started.headers.get('location');
    if (location === null) throw protocolError(subject, 'upload started without a Location header');
    const target = new URL(location, this.#base);
    if (target.host !== this.#base.host) throw protocolError(subject, `upload location points to ${target.host}`);
    target.searchParams.set('digest', digest);
    const finished = await this.send(
      {
        method: 'PUT',
        url: target,
        headers: { 'content-type': 'application/octet-stream' },
        body,
      },
      scopes,
    );
    if (finished.status !== 201) await this.#fail(finished, subject);
    await finished.body?.cancel().catch(() => {});
  }

  /** PUT a manifest or index under a tag or its digest; returns the digest of the bytes sent. */
  async putManifest(repository: string, reference: string, bytes: Buffer, mediaType: string): Promise<string> {
    const subject = { registry: this.registry, repository, what: 'manifest upload', reference };
    const response = await this.send(
      {
        method: 'PUT',
        url: this.url(`${repository}/manifests/${reference}`),
        headers: { 'content-type': mediaType },
        body: () => new Uint8Array(bytes),
      },
      [repositoryScope(repository, ['pull', 'push'])],
    );
    if (response.status !== 201 && response.status !== 200) await this.#fail(response, subject);
    await response.body?.cancel().catch(() => {});
    return digestOf(bytes);
  }

  /** Tags of a repository, page by page (distribution spec "Listing Tags", Link rel="next"). */
  listTags(repository: string, options: { pageSize?: number; signal?: AbortSignal } = {}): AsyncIterable<string> {
    const url = this.url(`${repository}/tags/list`);
    if (options.pageSize !== undefined) url.searchParams.set('n', String(options.pageSize));
    return this.#paginate(
      url,
      'tags',
      [repositoryScope(repository, ['pull'])],
      {
        registry: this.registry,
        repository,
        what: 'tag list',
      },
      options.signal,
    );
  }

  /** Repositories from /v2/_catalog, page by page. Many hosted registries refuse or limit it. */
  listRepositories(options: { pageSize?: number; signal?: AbortSignal } = {}): AsyncIterable<string> {
    const url = this.url('_catalog');
    if (options.pageSize !== undefined) url.searchParams.set('n', String(options.pageSize));
    return this.#paginate(
      url,
      'repositories',
      ['registry:catalog:*'],
      { registry: this.registry, what: 'catalog' },
      options.signal,
    );
  }

  async *#paginate(
    first: URL,
    field: 'tags' | 'repositories',
    scopes: readonly string[],
    subject: RequestSubject,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<string> {
    const visited = new Set<string>();
    let next: URL | undefined = first;
    while (next !== undefined) {
      if (visited.has(next.href) || visited.size >= MAX_LIST_PAGES) {
        throw protocolError(subject, 'pagination loops or never ends');
      }
      visited.add(next.href);
      const response = await this.send(
        { method: 'GET', url: next, headers: { accept: 'application/json' }, ...(signal ? { signal } : {}) },
        scopes,
      );
      if (response.status !== 200) await this.#fail(response, subject);
      const bytes = await readBounded(response, {
        idleTimeoutMs: this.#http.policy.idleTimeoutMs,
        maxBytes: LIST_PAGE_LIMIT,
        what: subject.what,
      });
      let page: unknown;
      try {
        page = JSON.parse(bytes.toString('utf8'));
      } catch {
        throw protocolError(subject, 'answer is not JSON');
      }
      const items = (page as Record<string, unknown> | null)?.[field];
      if (items !== null && items !== undefined && !Array.isArray(items)) {
        throw protocolError(subject, `"${field}" is not a list`);
      }
      for (const item of items ?? []) if (typeof item === 'string') yield item;
      next = nextPage(response.headers.get('link'), next);
      if (next !== undefined && next.host !== first.host)
        throw protocolError(subject, 'Link header leaves the registry');
    }
  }
}

function withAuthorization(request: HttpRequest, authorization: string | undefined): HttpRequest {
  return authorization === undefined ? request : { ...request, credentialHeaders: { authorization } };
}

/** RFC 8288 Link header: the target of rel="next", resolved against the current page. */
export function nextPage(link: string | null, current: URL): URL | undefined {
  if (link === null) return undefined;
  for (const part of link.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (match === null) continue;
    if (!/;\s*rel="?(?:[^";]*\s)?next(?:\s[^";]*)?"?\s*(?:;|$)/i.test(match[2]!)) continue;
    try {
      return new URL(match[1]!, current);
    } catch {
      return undefined;
    }
  }
  return undefined;
}
