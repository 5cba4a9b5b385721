import { execFile } from 'node:child_process';
import { randomUUID, sign } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * A registry token service for tests (distribution docs/spec/auth/token.md and oauth.md), so that a
 * real docker-registry configured with `auth: token` can be read through every credential kind:
 * GET with Basic credentials, POST with the OAuth2 refresh-token grant, and tokens minted ahead of
 * time (a "registry token"). Tokens are ES256 JWTs whose `x5c` header carries a self-signed
 * certificate made with openssl; the registry trusts it through its `rootcertbundle`.
 */

export interface TokenServiceOptions {
  /** Basic credentials the GET endpoint accepts */
  readonly user: string;
  readonly password: string;
  /** the refresh token the POST endpoint accepts */
  readonly refreshToken: string;
}

export interface TokenRequest {
  readonly method: string;
  readonly basicUser?: string;
  readonly grantType?: string;
  readonly clientId?: string;
  readonly scopes: readonly string[];
}

export interface TokenService {
  /** the `auth: token` block of a docker-registry config */
  readonly registryConfig: { realm: string; service: string; issuer: string; rootcertbundle: string };
  /** every request the service answered, oldest first */
  readonly requests: TokenRequest[];
  /** a token for these `repository:NAME:ACTIONS` scopes, valid for `seconds` */
  mint(scopes: readonly string[], seconds?: number): string;
  stop(): Promise<void>;
}

const SERVICE = 'vigil-test-registry';
const ISSUER = 'vigil-test-token-issuer';

export async function startTokenService(dir: string, options: TokenServiceOptions): Promise<TokenService> {
  const keyPath = join(dir, 'token-key.pem');
  const certPath = join(dir, 'token-cert.pem');
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    keyPath,
    '-out',
    certPath,
    '-days',
    '2',
    '-subj',
    `/CN=${ISSUER}`,
  ]);
  const key = await readFile(keyPath, 'utf8');
  const certDer = (await readFile(certPath, 'utf8')).replace(/-----[A-Z ]+-----|\s/g, '');

  const mint = (scopes: readonly string[], seconds = 300): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'ES256', x5c: [certDer] };
    const claims = {
      iss: ISSUER,
      sub: options.user,
      aud: SERVICE,
      iat: now,
      nbf: now - 10,
      exp: now + seconds,
      jti: randomUUID(),
      access: scopes.map(parseScope).filter((a) => a !== undefined),
    };
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const signed = `${part(header)}.${part(claims)}`;
    const signature = sign('sha256', Buffer.from(signed), { key, dsaEncoding: 'ieee-p1363' });
    return `${signed}.${signature.toString('base64url')}`;
  };

  const requests: TokenRequest[] = [];
  const server: Server = createServer((request, response) => {
    void answer(request).then(
      ({ status, body }) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      },
      () => {
        response.writeHead(500);
        response.end();
      },
    );
  });

  async function answer(request: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const url = new URL(request.url ?? '/', 'http://token');
    if (request.method === 'GET') {
      const basic = /^Basic (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      const [user, password] = basic === undefined ? [] : Buffer.from(basic, 'base64').toString().split(':');
      const scopes = url.searchParams.getAll('scope');
      requests.push({ method: 'GET', ...(user !== undefined && { basicUser: user }), scopes });
      if (user !== options.user || password !== options.password) return { status: 401, body: { errors: [] } };
      return { status: 200, body: { token: mint(scopes), expires_in: 300 } };
    }
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const scopes = (form.get('scope') ?? '').split(' ').filter((s) => s !== '');
    requests.push({
      method: request.method ?? '',
      ...(form.has('grant_type') && { grantType: form.get('grant_type') as string }),
      ...(form.has('client_id') && { clientId: form.get('client_id') as string }),
      scopes,
    });
    if (form.get('grant_type') !== 'refresh_token' || form.get('refresh_token') !== options.refreshToken) {
      return { status: 401, body: { error: 'invalid_grant' } };
    }
    return { status: 200, body: { access_token: mint(scopes), expires_in: 300, scope: scopes.join(' ') } };
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    registryConfig: {
      realm: `http://127.0.0.1:${port}/token`,
      service: SERVICE,
      issuer: ISSUER,
      rootcertbundle: certPath,
    },
    requests,
    mint,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** "repository:team/app:pull,push" as a token's access entry */
function parseScope(scope: string): { type: string; name: string; actions: string[] } | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last <= first) return undefined;
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions: scope.slice(last + 1).split(',') };
}
