import { describe, expect, it } from 'vitest';
import type { TokenRole } from '../service/store/types.ts';
import { generateToken, hashToken, issueToken, TOKEN_CACHE_MS, withTokenCache } from './auth.ts';
import { type ApiHarness, apiDialects, FIXED_NOW, harnessPerTest } from './testing.ts';

type Method = 'GET' | 'POST' | 'DELETE';
const routes: Array<{ method: Method; url: string; needs: TokenRole | 'public'; payload?: object }> = [
  { method: 'GET', url: '/healthz', needs: 'public' },
  { method: 'GET', url: '/readyz', needs: 'public' },
  { method: 'GET', url: '/api/v1/summary', needs: 'viewer' },
  { method: 'GET', url: '/metrics', needs: 'viewer' },
  { method: 'GET', url: '/api/v1/openapi.json', needs: 'viewer' },
  { method: 'GET', url: '/configs/', needs: 'viewer' },
  { method: 'GET', url: '/api/v1/no-such-route', needs: 'viewer' },
  {
    method: 'POST',
    url: '/api/v1/configs',
    needs: 'operator',
    payload: { registryUrl: 'https://r.example', repository: 'a' },
  },
  { method: 'DELETE', url: '/configs/fc41dda8-f15e-4826-8908-11603b01dac4', needs: 'operator' },
  { method: 'GET', url: '/api/v1/registries', needs: 'admin' },
  { method: 'POST', url: '/api/v1/tokens', needs: 'admin', payload: { name: 'ci', role: 'viewer' } },
];
const roles: TokenRole[] = ['viewer', 'operator', 'admin'];
const rank = { public: -1, viewer: 0, operator: 1, admin: 2 } as const;

describe('tokens', () => {
  it('are vgl_ plus 32 random bytes, and only their SHA-256 is kept', () => {
    const token = generateToken();
    expect(token).toMatch(/^vgl_[A-Za-z0-9_-]{43}$/);
    expect(generateToken()).not.toBe(token);
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe.each(apiDialects)('auth on $name', (dialect) => {
  let h: ApiHarness;
  harnessPerTest(dialect, { set: (opened) => (h = opened), get: () => h });

  const call = (route: (typeof routes)[number], headers: Record<string, string> = {}, query = '') =>
    h.app.inject({
      method: route.method,
      url: route.url + query,
      headers,
      ...(route.payload !== undefined && { payload: route.payload }),
    });

  it.each(routes)(
    '$method $url: no token, a bad token or a malformed header is 401 (public routes: 200)',
    async (route) => {
      const attempts: Array<Record<string, string>> = [
        {},
        { authorization: `Bearer ${generateToken()}` },
        { authorization: 'Basic YTpi' },
      ];
      for (const headers of attempts) {
        const res = await call(route, headers);
        if (route.needs === 'public') {
          expect(res.statusCode).toBe(200);
          continue;
        }
        expect(res.statusCode, JSON.stringify(headers)).toBe(401);
        expect(res.json().error.code).toBe('VIGIL_UNAUTHENTICATED');
        expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="vigil"/);
      }
    },
  );

  it.each(routes.filter((r) => r.needs !== 'public'))('$method $url needs $needs: 403 below it', async (route) => {
    for (const role of roles) {
      const res = await call(route, h.auth(role));
      if (rank[role] >= rank[route.needs]) {
        expect([401, 403], `${role}: ${res.body}`).not.toContain(res.statusCode);
      } else {
        expect(res.statusCode, role).toBe(403);
        expect(res.json().error).toMatchObject({
          code: 'VIGIL_FORBIDDEN',
          message: expect.stringContaining(route.needs),
        });
      }
    }
  });

  it('a revoked token is 401 from then on', async () => {
    const { token, record } = await issueToken(h.store, { name: 'short-lived', role: 'admin' }, FIXED_NOW);
    const headers = { authorization: `Bearer ${token}` };
    expect((await h.app.inject({ url: '/api/v1/summary', headers })).statusCode).toBe(200);
    const revoked = await h.app.inject({
      method: 'DELETE',
      url: `/api/v1/tokens/${record.id}`,
      headers: h.auth('admin'),
    });
    expect(revoked.statusCode).toBe(204);
    const res = await h.app.inject({ url: '/api/v1/summary', headers });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toContain('invalid_token');
  });

  it('remembers a token for a few seconds: revoked on another node, it stops working once that passes', async () => {
    let clock = 0;
    const store = withTokenCache(h.store, () => clock);
    const { token, record } = await issueToken(h.store, { name: 'elsewhere', role: 'viewer' }, FIXED_NOW);
    const hash = hashToken(token);
    expect((await store.findApiTokenByHash(hash, FIXED_NOW))?.id).toBe(record.id);
    // another node revokes it in the shared database
    await h.store.revokeApiToken(record.id, FIXED_NOW);
    clock = TOKEN_CACHE_MS - 1;
    expect((await store.findApiTokenByHash(hash, FIXED_NOW))?.id).toBe(record.id);
    clock = TOKEN_CACHE_MS;
    expect(await store.findApiTokenByHash(hash, FIXED_NOW)).toBeUndefined();
    // an unknown token is asked about every time, never remembered
    expect(await store.findApiTokenByHash(hashToken(generateToken()), FIXED_NOW)).toBeUndefined();
  });

  it('?token= works on GET as viewer only, is refused on writes, and is never logged', async () => {
    const feed = await h.app.inject({ url: `/metrics?token=${h.tokens.viewer}` });
    expect(feed.statusCode).toBe(200);
    const asAdmin = await h.app.inject({ url: `/api/v1/registries?token=${h.tokens.admin}` });
    expect(asAdmin.statusCode).toBe(403);
    expect(asAdmin.json().error.message).toContain('query string acts as viewer');
    const write = await h.app.inject({
      method: 'POST',
      url: `/api/v1/configs?token=${h.tokens.admin}`,
      payload: { registryUrl: 'https://r.example', repository: 'a' },
    });
    expect(write.statusCode).toBe(401);
    // a route whose query schema refuses unknown fields still accepts the token parameter
    const findings = await h.app.inject({ url: `/api/v1/findings?limit=5&token=${h.tokens.viewer}` });
    expect(findings.statusCode).toBe(200);
    const log = h.logLines.join('');
    expect(log).toContain('"route":"/metrics"');
    for (const token of Object.values(h.tokens)) expect(log).not.toContain(token);
  });

  it('the token list shows names and roles, never tokens or hashes, and a new token once', async () => {
    const created = await h.app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: h.auth('admin'),
      payload: { name: 'prometheus', role: 'viewer' },
    });
    expect(created.statusCode).toBe(201);
    const { token } = created.json();
    expect(token).toMatch(/^vgl_/);
    expect(
      (await h.app.inject({ url: '/api/v1/summary', headers: { authorization: `Bearer ${token}` } })).statusCode,
    ).toBe(200);
    const list = await h.app.inject({ url: '/api/v1/tokens', headers: h.auth('admin') });
    expect(list.json().map((t: { name: string }) => t.name)).toContain('prometheus');
    expect(list.body).not.toContain(token);
    expect(list.body).not.toContain(hashToken(token));
    expect(list.body).not.toMatch(/"token(Hash)?"/);
  });
});
