import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiToken, Store, TokenRole } from '../service/store/types.ts';
import { ApiError } from './errors.ts';

/** What a route needs; `public` is only /healthz and /readyz. */
export type RouteRole = TokenRole | 'public';

export interface Principal {
  readonly tokenId: string;
  readonly name: string;
  /** the token's role, capped at viewer when the token came in the query string */
  readonly role: TokenRole;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    role?: RouteRole;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

const rank: Record<TokenRole, number> = { viewer: 0, operator: 1, admin: 2 };
const TOKEN_PREFIX = 'vgl_';

/** 32 random bytes (256 bits): guessing is hopeless, so a plain SHA-256 of it is a safe lookup key. */
export function generateToken(random: (n: number) => Buffer = randomBytes): string {
  return TOKEN_PREFIX + random(32).toString('base64url');
}

export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** Mints a token, stores only its hash, and hands the plaintext back once. */
export async function issueToken(
  store: Store,
  input: { name: string; role: TokenRole },
  now: Date,
): Promise<{ token: string; record: ApiToken }> {
  const token = generateToken();
  const record = await store.createApiToken({ ...input, tokenHash: hashToken(token) }, now);
  return { token, record };
}

/** how long a node trusts a token lookup: a token revoked on another node works here this much longer */
export const TOKEN_CACHE_MS = 5_000;
const TOKEN_CACHE_MAX = 1_000;

/**
 * The store with token lookups remembered for TOKEN_CACHE_MS: every request presents its token,
 * and looking it up was a query (a round trip on PostgreSQL) per request. A revoke through this
 * store forgets every remembered token at once, then waits for `onRevoked` (the API's other
 * threads forgetting theirs); a lookup that found nothing is not remembered.
 */
export function withTokenCache(
  store: Store,
  clock: () => number = Date.now,
  onRevoked?: () => Promise<void>,
): Store & { forgetTokens(): void } {
  const remembered = new Map<string, { token: ApiToken; until: number }>();
  return {
    ...store,
    async findApiTokenByHash(hash, now) {
      const hit = remembered.get(hash);
      if (hit !== undefined && hit.until > clock()) return hit.token;
      remembered.delete(hash);
      const token = await store.findApiTokenByHash(hash, now);
      if (token !== undefined) {
        if (remembered.size >= TOKEN_CACHE_MAX) remembered.clear();
        remembered.set(hash, { token, until: clock() + TOKEN_CACHE_MS });
      }
      return token;
    },
    async revokeApiToken(id, now) {
      remembered.clear();
      const revoked = await store.revokeApiToken(id, now);
      remembered.clear();
      await onRevoked?.();
      return revoked;
    },
    forgetTokens() {
      remembered.clear();
    },
  };
}

const challenge = (error?: string) => ({
  'www-authenticate': `Bearer realm="vigil"${error === undefined ? '' : `, error="${error}"`}`,
});

function presentedToken(request: FastifyRequest): { token: string; fromQuery: boolean } | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer +([\x21-\x7e]+) *$/i.exec(header);
    if (match === null) {
      throw new ApiError(
        'VIGIL_UNAUTHENTICATED',
        'Authorization must be "Bearer <token>"',
        challenge('invalid_request'),
      );
    }
    return { token: match[1] as string, fromQuery: false };
  }
  const query = request.query as Record<string, unknown> | undefined;
  const fromQuery = query?.token;
  // a token in a URL ends up in proxy logs and browser history: readers only (feeds, Prometheus)
  if (typeof fromQuery === 'string' && (request.method === 'GET' || request.method === 'HEAD')) {
    return { token: fromQuery, fromQuery: true };
  }
  return undefined;
}

/**
 * Every route declares `config.role`; unmatched routes count as viewer routes so that the route
 * list is not probeable without a token. The `token` query parameter is consumed here, before
 * validation, so route schemas need not know it.
 */
export function installAuth(app: FastifyInstance, store: Store, now: () => Date): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    const needed = request.routeOptions.config.role ?? 'viewer';
    if (needed === 'public') return;
    const presented = presentedToken(request);
    const query = request.query as Record<string, unknown> | undefined;
    if (query !== undefined && 'token' in query) delete query.token;
    if (presented === undefined) {
      throw new ApiError(
        'VIGIL_UNAUTHENTICATED',
        'an API token is required (Authorization: Bearer <token>)',
        challenge(),
      );
    }
    const token = await store.findApiTokenByHash(hashToken(presented.token), now());
    if (token === undefined) {
      throw new ApiError('VIGIL_UNAUTHENTICATED', 'the API token is unknown or revoked', challenge('invalid_token'));
    }
    const role: TokenRole = presented.fromQuery ? 'viewer' : token.role;
    request.principal = { tokenId: token.id, name: token.name, role };
    if (rank[role] < rank[needed]) {
      const how = presented.fromQuery && token.role !== 'viewer' ? ' (a token in the query string acts as viewer)' : '';
      throw new ApiError('VIGIL_FORBIDDEN', `this route needs the ${needed} role; the token has ${role}${how}`);
    }
  });
}
