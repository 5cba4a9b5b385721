import { VigilError } from '../../core/errors.ts';
import type { Challenge } from './challenge.ts';
import type { BasicCredentials, ResolvedCredentials } from './credentials.ts';
import { errorForResponse } from './errors.ts';
import { type HttpClient, type HttpRequest, readBounded } from './http.ts';

/**
 * Answers a registry's challenges (distribution docs/spec/auth/token.md): Basic sends the
 * credentials; Bearer trades them (or nothing, for anonymous pulls) at the realm for a token scoped
 * to `repository:NAME:ACTIONS`, cached per scope set until it expires. A registry token is sent as
 * it is; an identity token is traded with the OAuth2 refresh-token grant (docs/spec/auth/oauth.md).
 */

const TOKEN_BODY_LIMIT = 1024 * 1024;
/** token.md: "If omitted, clients should assume 60 seconds." */
const DEFAULT_TOKEN_SECONDS = 60;
const EXPIRY_MARGIN_MS = 5_000;
/** oauth.md: "client_id ... identifying the client software"; required by the refresh-token grant */
const OAUTH_CLIENT_ID = 'vigil';

interface CachedToken {
  readonly token: string;
  readonly expiresAt: number;
}

export class RegistryAuth {
  readonly #registry: string;
  readonly #http: HttpClient;
  readonly #loadCredentials: () => Promise<ResolvedCredentials | undefined>;
  #credentials: Promise<ResolvedCredentials | undefined> | undefined;
  #challenge: Challenge | undefined;
  readonly #tokens = new Map<string, CachedToken>();

  constructor(registry: string, http: HttpClient, loadCredentials: () => Promise<ResolvedCredentials | undefined>) {
    this.#registry = registry;
    this.#http = http;
    this.#loadCredentials = loadCredentials;
  }

  #resolvedCredentials(): Promise<ResolvedCredentials | undefined> {
    this.#credentials ??= this.#loadCredentials();
    return this.#credentials;
  }

  /** Where the credentials in use came from ("anonymous" when none); safe to print. */
  async credentialOrigin(): Promise<string> {
    return (await this.#resolvedCredentials())?.origin ?? 'anonymous';
  }

  /** Remembers the challenge of a 401 so later requests authenticate up front. */
  learn(challenge: Challenge): void {
    this.#challenge = challenge;
  }

  get challenge(): Challenge | undefined {
    return this.#challenge;
  }

  /**
   * The Authorization header value for a request needing `scopes`, or undefined when the registry
   * has not asked for any (yet) or when Basic is asked and there are no credentials.
   */
  async authorization(scopes: readonly string[], options: { fresh?: boolean; signal?: AbortSignal } = {}) {
    const challenge = this.#challenge;
    if (challenge === undefined) return undefined;
    const credentials = await this.#resolvedCredentials();
    if (challenge.scheme === 'basic') {
      return credentials !== undefined && 'password' in credentials ? basicHeader(credentials) : undefined;
    }
    if (challenge.scheme !== 'bearer') return undefined;
    if (credentials !== undefined && 'registryToken' in credentials) {
      // a header value the HTTP client would refuse, naming the value in its error
      if (!/^[\x21-\x7e]+$/.test(credentials.registryToken)) {
        throw new VigilError(
          'VIGIL_USAGE',
          `the registry token for ${this.#registry} (from ${credentials.origin}) holds characters a header cannot carry`,
          { registry: this.#registry, credentialOrigin: credentials.origin },
        );
      }
      return `Bearer ${credentials.registryToken}`;
    }
    const wanted = [...new Set([...scopes, ...(challenge.params.scope?.split(' ') ?? [])])]
      .filter((s) => s !== '')
      .sort();
    const key = wanted.join(' ');
    const cached = this.#tokens.get(key);
    if (options.fresh !== true && cached !== undefined && cached.expiresAt > this.#http.deps.now()) {
      return `Bearer ${cached.token}`;
    }
    const token = await this.#fetchToken(challenge, wanted, credentials, options.signal);
    this.#tokens.set(key, token);
    return `Bearer ${token.token}`;
  }

  async #fetchToken(
    challenge: Challenge,
    scopes: readonly string[],
    credentials: ResolvedCredentials | undefined,
    signal: AbortSignal | undefined,
  ): Promise<CachedToken> {
    const realm = challenge.params.realm;
    let url: URL;
    try {
      url = new URL(realm ?? '');
    } catch {
      throw new VigilError(
        'VIGIL_REGISTRY_PROTOCOL',
        `registry ${this.#registry} sent a Bearer challenge without a valid realm URL`,
        { registry: this.#registry },
      );
    }
    const response = await this.#http.send({
      ...(credentials !== undefined && 'identityToken' in credentials
        ? refreshGrant(url, challenge, scopes, credentials.identityToken)
        : tokenGet(url, challenge, scopes, credentials)),
      ...(signal === undefined ? {} : { signal }),
    });
    if (response.status !== 200) {
      const error = await errorForResponse(response, { registry: this.#registry, what: `token from ${url.host} for` });
      if (error.code === 'VIGIL_REGISTRY_UNAUTHORIZED' || error.code === 'VIGIL_REGISTRY_DENIED') {
        const who = credentials === undefined ? 'anonymous access' : `the credentials from ${credentials.origin}`;
        throw new VigilError(
          'VIGIL_REGISTRY_UNAUTHORIZED',
          `token service ${url.host} for registry ${this.#registry} rejected ${who} (${response.status})`,
          { registry: this.#registry, status: response.status, credentialOrigin: credentials?.origin ?? 'anonymous' },
        );
      }
      throw error;
    }
    const body = await readBounded(response, {
      idleTimeoutMs: this.#http.policy.idleTimeoutMs,
      maxBytes: TOKEN_BODY_LIMIT,
      what: 'token',
    });
    let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown } = {};
    try {
      const value: unknown = JSON.parse(body.toString('utf8'));
      // `null`, a number or a list is JSON too, and names no token
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) parsed = value as typeof parsed;
    } catch {
      // not JSON: no token, said below
    }
    const token =
      typeof parsed.token === 'string' && parsed.token !== ''
        ? parsed.token
        : typeof parsed.access_token === 'string'
          ? parsed.access_token
          : '';
    if (token === '' || /[\r\n]/.test(token)) {
      throw new VigilError('VIGIL_REGISTRY_PROTOCOL', `token service ${url.host} answered without a token`, {
        registry: this.#registry,
      });
    }
    const seconds =
      typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in : DEFAULT_TOKEN_SECONDS;
    return { token, expiresAt: this.#http.deps.now() + seconds * 1000 - EXPIRY_MARGIN_MS };
  }
}

/** token.md: GET with the scopes in the query, Basic credentials if there are any */
function tokenGet(
  realm: URL,
  challenge: Challenge,
  scopes: readonly string[],
  credentials: ResolvedCredentials | undefined,
): HttpRequest {
  const url = new URL(realm);
  if (challenge.params.service !== undefined) url.searchParams.set('service', challenge.params.service);
  for (const scope of scopes) url.searchParams.append('scope', scope);
  return {
    method: 'GET',
    url,
    headers: { accept: 'application/json' },
    ...(credentials !== undefined &&
      'password' in credentials && { credentialHeaders: { authorization: basicHeader(credentials) } }),
  };
}

/**
 * oauth.md: POST a form with the refresh-token grant. The refresh token is a credential, so the form
 * is never carried to another origin by a redirect (`credentialBody`).
 */
function refreshGrant(realm: URL, challenge: Challenge, scopes: readonly string[], identityToken: string): HttpRequest {
  const form = new URLSearchParams({ grant_type: 'refresh_token', client_id: OAUTH_CLIENT_ID });
  if (challenge.params.service !== undefined) form.set('service', challenge.params.service);
  if (scopes.length > 0) form.set('scope', scopes.join(' '));
  form.set('refresh_token', identityToken);
  const body = form.toString();
  return {
    method: 'POST',
    url: realm,
    headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
    body: () => body,
    credentialBody: true,
  };
}

function basicHeader(credentials: BasicCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64')}`;
}
