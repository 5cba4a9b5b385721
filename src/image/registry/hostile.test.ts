import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isVigilError } from '../../core/errors.ts';
import { parseImageRef } from '../reference.ts';
import { RegistryClient, type RegistryClientOptions } from './client.ts';
import { sha256Digest } from './digest.ts';
import { MediaType } from './manifest.ts';
import { createRegistrySource } from './source.ts';

/** A registry that misbehaves on purpose, on loopback: every failure must be bounded and clear. */

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

const servers: Server[] = [];

async function serve(handler: Handler): Promise<string> {
  const server = createServer((req, res) => handler(req, res, new URL(req.url ?? '/', 'http://x')));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

const sleeps: number[] = [];
function options(extra: RegistryClientOptions = {}): RegistryClientOptions {
  sleeps.length = 0;
  return {
    insecure: true,
    env: {},
    dockerConfig: '/nonexistent/config.json',
    retries: 2,
    timeoutMs: 2_000,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...extra,
  };
}

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string; context: object }> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isVigilError(error)) throw new Error(`expected a VigilError, got ${String(error)}`);
  return error;
}

async function drain(stream: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const chunk of stream) n += (chunk as Buffer).length;
  return n;
}

const manifestBody = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: sha256Digest(Buffer.from('{}')), size: 2 },
    layers: [],
  }),
);
const DIGEST = sha256Digest(Buffer.from('blob'));

describe('redirects', () => {
  it('stops a redirect loop', async () => {
    let hits = 0;
    const host = await serve((_req, res) => {
      hits++;
      res.writeHead(302, { location: '/v2/a/blobs/loop' }).end();
    });
    const error = await failure(new RegistryClient(host, options()).openBlob('a', DIGEST));
    expect(error.code).toBe('VIGIL_REGISTRY_PROTOCOL');
    expect(error.message).toContain('redirected more than 5 times');
    expect(hits).toBe(6);
  });

  it('follows a redirect to blob storage and drops Authorization on the way', async () => {
    const seen: (string | undefined)[] = [];
    const storage = await serve((req, res) => {
      seen.push(req.headers.authorization);
      res.end('blob');
    });
    const host = await serve((req, res) => {
      if (req.headers.authorization === undefined) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end();
        return;
      }
      seen.push(req.headers.authorization);
      res.writeHead(307, { location: `http://${storage}/bucket/blob?sig=1` }).end();
    });
    const client = new RegistryClient(host, options({ username: 'u', password: 'p' }));
    const blob = await client.openBlob('a', DIGEST, { size: 4, verify: true });
    expect(await drain(blob)).toBe(4);
    expect(seen).toEqual([`Basic ${Buffer.from('u:p').toString('base64')}`, undefined]);
  });

  it('never carries an identity token to another origin: a 307 of the refresh-token POST is refused', async () => {
    const elsewhere: string[] = [];
    const thief = await serve((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on('end', () => {
        elsewhere.push(body);
        res.end('{"access_token":"stolen"}');
      });
    });
    const realm = await serve((_req, res) => {
      res.writeHead(307, { location: `http://${thief}/token` }).end();
    });
    const host = await serve((_req, res) => {
      res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${realm}/token",service="r"` }).end();
    });
    const client = new RegistryClient(host, options({ identityToken: 'refresh-secret-Hh3' }));
    const error = await failure(client.getManifest('a', 'latest'));
    expect(error).toMatchObject({ code: 'VIGIL_REGISTRY_PROTOCOL', message: expect.stringContaining('not following') });
    expect(error.message).not.toContain('refresh-secret-Hh3');
    expect(elsewhere).toEqual([]);
  });

  it('refuses a registry token a header cannot carry, without repeating it', async () => {
    const host = await serve((_req, res) => {
      res.writeHead(401, { 'www-authenticate': 'Bearer realm="http://127.0.0.1:1/token"' }).end();
    });
    for (const registryToken of ['sekrit\r\nX-Injected: 1', 'sek rit', 'sekrït']) {
      const error = await failure(new RegistryClient(host, options({ registryToken })).getManifest('a', 'latest'));
      expect(error).toMatchObject({ code: 'VIGIL_USAGE', message: expect.stringContaining('cannot carry') });
      expect(error.message).not.toContain('sek');
    }
  });

  it('refuses a redirect from https to plain http unless insecure', async () => {
    const fetchStub: typeof fetch = async () =>
      new Response(null, { status: 302, headers: { location: 'http://elsewhere.example/blob' } });
    const client = new RegistryClient('registry.example', { ...options(), insecure: false, fetch: fetchStub });
    const error = await failure(client.openBlob('a', DIGEST));
    expect(error).toMatchObject({ code: 'VIGIL_REGISTRY_PROTOCOL', message: expect.stringContaining('--insecure') });
  });
});

describe('bodies', () => {
  it('bounds an endless manifest', async () => {
    const host = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': MediaType.ociManifest });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (res.write(chunk)) {}
        res.once('drain', pump);
      };
      pump();
      res.on('close', () => res.removeAllListeners('drain'));
    });
    const error = await failure(new RegistryClient(host, options()).getManifest('a', 'latest'));
    expect(error.code).toBe('VIGIL_LIMIT_EXCEEDED');
  });

  it('bounds an endless blob by its declared size', async () => {
    const host = await serve((_req, res) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(64 * 1024, 1);
      const pump = () => {
        while (res.write(chunk)) {}
        res.once('drain', pump);
      };
      pump();
      res.on('close', () => res.removeAllListeners('drain'));
    });
    const blob = await new RegistryClient(host, options()).openBlob('a', DIGEST, { size: 1_000_000 });
    const error = await failure(drain(blob));
    expect(error.code).toBe('VIGIL_LIMIT_EXCEEDED');
  });

  it('times out a body that stalls', async () => {
    const host = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('x');
    });
    const blob = await new RegistryClient(host, options({ idleTimeoutMs: 100 })).openBlob('a', DIGEST);
    const error = await failure(drain(blob));
    expect(error).toMatchObject({
      code: 'VIGIL_REGISTRY_TIMEOUT',
      message: expect.stringContaining('stopped sending'),
    });
  });

  it('times out a registry that never answers', async () => {
    const host = await serve(() => {});
    const error = await failure(
      new RegistryClient(host, options({ timeoutMs: 100, retries: 1 })).getManifest('a', 'b'),
    );
    expect(error.code).toBe('VIGIL_REGISTRY_TIMEOUT');
    expect(sleeps).toHaveLength(1);
  });

  it('reports a body shorter than its Content-Length', async () => {
    const host = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '1000', 'content-type': MediaType.ociManifest });
      res.write('{"schemaVersion":');
      setImmediate(() => res.socket?.end());
    });
    const error = await failure(new RegistryClient(host, options()).getManifest('a', 'b'));
    expect(error.code).toBe('VIGIL_REGISTRY_UNREACHABLE');
    expect(error.message).toContain('broke while reading');
  });

  it('catches a blob that is shorter or different than its digest says', async () => {
    const host = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '4' }).end('bolb');
    });
    const client = new RegistryClient(host, options());
    const wrong = await failure(drain(await client.openBlob('a', DIGEST, { size: 4, verify: true })));
    expect(wrong.code).toBe('VIGIL_DIGEST_MISMATCH');
    const short = await failure(drain(await client.openBlob('a', DIGEST, { size: 5, verify: true })));
    expect(short).toMatchObject({ code: 'VIGIL_DIGEST_MISMATCH', message: expect.stringContaining('shorter') });
  });
});

describe('retries', () => {
  it.each([
    ['seconds', '2', 2_000],
    ['an HTTP date', new Date(Date.UTC(2030, 0, 1, 0, 0, 7)).toUTCString(), 7_000],
    ['a huge value, capped', '86400', 60_000],
  ])('honours Retry-After as %s, then succeeds', async (_kind, retryAfter, expected) => {
    let hits = 0;
    const host = await serve((_req, res) => {
      hits++;
      if (hits === 1) res.writeHead(429, { 'retry-after': retryAfter }).end();
      else res.writeHead(200, { 'content-type': MediaType.ociManifest }).end(manifestBody);
    });
    const client = new RegistryClient(host, options({ now: () => Date.UTC(2030, 0, 1) }));
    const manifest = await client.getManifest('a', 'latest');
    expect(manifest.digest).toBe(sha256Digest(manifestBody));
    expect(sleeps).toEqual([expected]);
  });

  it('backs off exponentially on 503 and gives up with a clear error', async () => {
    let hits = 0;
    const host = await serve((_req, res) => {
      hits++;
      res.writeHead(503).end();
    });
    const error = await failure(new RegistryClient(host, options({ retries: 3 })).getManifest('a', 'latest'));
    expect(error).toMatchObject({ code: 'VIGIL_REGISTRY_UNREACHABLE', message: expect.stringContaining('503') });
    expect(hits).toBe(4);
    expect(sleeps).toEqual([375, 750, 1_500]);
  });

  it('retries a reset connection', async () => {
    let hits = 0;
    const host = await serve((req, res) => {
      hits++;
      if (hits === 1) req.socket.destroy();
      else res.writeHead(200, { 'content-type': MediaType.ociManifest }).end(manifestBody);
    });
    await new RegistryClient(host, options()).getManifest('a', 'latest');
    expect(hits).toBe(2);
  });

  it('does not retry a refused connection', async () => {
    const host = await serve(() => {});
    servers[0]!.close();
    await new Promise((resolve) => setTimeout(resolve, 10));
    const error = await failure(new RegistryClient(host, options()).getManifest('a', 'latest'));
    expect(error).toMatchObject({
      code: 'VIGIL_REGISTRY_UNREACHABLE',
      message: expect.stringContaining('ECONNREFUSED'),
    });
    expect(sleeps).toEqual([]);
  });
});

describe('status codes', () => {
  it.each([
    [401, '', 'VIGIL_REGISTRY_UNAUTHORIZED', 'no credentials were found'],
    [403, '{"errors":[{"code":"DENIED","message":"no"}]}', 'VIGIL_REGISTRY_DENIED', 'DENIED'],
    [404, '{"errors":[{"code":"NAME_UNKNOWN"}]}', 'VIGIL_REGISTRY_NAME_UNKNOWN', 'repository'],
    [404, '{"errors":[{"code":"MANIFEST_UNKNOWN"}]}', 'VIGIL_REGISTRY_NAME_UNKNOWN', 'tag v1 does not exist'],
    [404, 'not json', 'VIGIL_REGISTRY_NAME_UNKNOWN', 'repository or the tag/digest'],
    [418, '', 'VIGIL_REGISTRY_PROTOCOL', '418'],
  ])('%i %s -> %s', async (status, body, code, text) => {
    const host = await serve((_req, res) => res.writeHead(status).end(body));
    const error = await failure(new RegistryClient(host, options()).getManifest('team/app', 'v1'));
    expect(error).toMatchObject({ code, message: expect.stringContaining(text) });
  });
});

describe('manifests', () => {
  it('rejects a manifest that does not match the pinned digest', async () => {
    const host = await serve((_req, res) => res.writeHead(200).end(manifestBody));
    const pinned = sha256Digest(Buffer.from('something else'));
    const error = await failure(new RegistryClient(host, options()).getManifest('a', pinned));
    expect(error).toMatchObject({ code: 'VIGIL_DIGEST_MISMATCH', context: { expected: pinned } });
  });

  it('rejects a Docker-Content-Digest header that lies', async () => {
    const host = await serve((_req, res) =>
      res.writeHead(200, { 'docker-content-digest': `sha256:${'1'.repeat(64)}` }).end(manifestBody),
    );
    const error = await failure(new RegistryClient(host, options()).getManifest('a', 'latest'));
    expect(error.code).toBe('VIGIL_DIGEST_MISMATCH');
  });

  it.each([
    ['schema 1', '{"schemaVersion":1,"fsLayers":[]}', 'schema 1'],
    [
      'an artifact',
      '{"schemaVersion":2,"mediaType":"application/vnd.cncf.helm.chart","config":{}}',
      'not a container image',
    ],
    ['bad descriptors', '{"schemaVersion":2,"config":{"digest":"sha256:zz","size":-1},"layers":[]}', 'malformed'],
  ])('rejects %s as VIGIL_IMAGE_INVALID', async (_name, body, text) => {
    const host = await serve((_req, res) => res.writeHead(200).end(body));
    const source = createRegistrySource(parseImageRef(`${host}/a:latest`), options());
    const error = await failure(source.manifest());
    expect(error).toMatchObject({ code: 'VIGIL_IMAGE_INVALID', message: expect.stringContaining(text) });
  });

  it.each([
    ['<html>login</html>', 'text/html'],
    ['', MediaType.ociManifest],
  ])('reports a non-JSON answer %j as VIGIL_REGISTRY_PROTOCOL', async (body, contentType) => {
    const host = await serve((_req, res) => res.writeHead(200, { 'content-type': contentType }).end(body));
    const error = await failure(new RegistryClient(host, options()).getManifest('a', 'latest'));
    expect(error).toMatchObject({ code: 'VIGIL_REGISTRY_PROTOCOL', message: expect.stringContaining(contentType) });
  });

  it('reads a tag digest with HEAD, falling back to GET', async () => {
    const methods: string[] = [];
    const host = await serve((req, res) => {
      methods.push(`${req.method} ${req.url}`);
      if (req.url?.endsWith('/with-header')) res.writeHead(200, { 'docker-content-digest': DIGEST }).end();
      else res.writeHead(200).end(req.method === 'HEAD' ? undefined : manifestBody);
    });
    const client = new RegistryClient(host, options());
    expect(await client.manifestDigest('a', 'with-header')).toBe(DIGEST);
    expect(await client.manifestDigest('a', 'without')).toBe(sha256Digest(manifestBody));
    expect(methods).toEqual([
      'HEAD /v2/a/manifests/with-header',
      'HEAD /v2/a/manifests/without',
      'GET /v2/a/manifests/without',
    ]);
  });

  it('verifies the config blob', async () => {
    const host = await serve((req, res) => {
      if (req.url?.includes('/manifests/')) res.writeHead(200).end(manifestBody);
      else res.writeHead(200).end('{"tampered":1}');
    });
    const source = createRegistrySource(parseImageRef(`${host}/a:latest`), options());
    expect((await failure(source.manifest())).code).toBe('VIGIL_DIGEST_MISMATCH');
  });
});

describe('bearer token flow', () => {
  async function tokenRegistry(opts: { revokeFirstToken?: boolean; tokenField?: string } = {}) {
    const tokenRequests: URL[] = [];
    const tokenAuth: (string | undefined)[] = [];
    let issued = 0;
    let revoked = '';
    const auth = await serve((req, res, url) => {
      tokenRequests.push(url);
      tokenAuth.push(req.headers.authorization);
      if (req.headers.authorization !== `Basic ${Buffer.from('alice:s3cret').toString('base64')}`) {
        res.writeHead(401).end();
        return;
      }
      issued++;
      res.writeHead(200).end(JSON.stringify({ [opts.tokenField ?? 'token']: `tok-${issued}`, expires_in: 300 }));
    });
    const host = await serve((req, res) => {
      const token = req.headers.authorization?.replace(/^Bearer /, '');
      if (token === undefined || !token.startsWith('tok-') || token === revoked) {
        res
          .writeHead(401, {
            'www-authenticate': `Bearer realm="http://${auth}/token",service="test registry",scope="repository:team/app:pull"`,
          })
          .end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
        return;
      }
      if (opts.revokeFirstToken && token === 'tok-1') revoked = 'tok-1';
      if (req.url?.includes('/tags/')) res.writeHead(200).end('{"name":"team/app","tags":["1"]}');
      else res.writeHead(200, { 'content-type': MediaType.ociManifest }).end(manifestBody);
    });
    return { host, tokenRequests, tokenAuth };
  }

  it.each(['token', 'access_token'])('gets a %s with basic credentials and caches it per scope', async (field) => {
    const { host, tokenRequests, tokenAuth } = await tokenRegistry({ tokenField: field });
    const client = new RegistryClient(host, options({ username: 'alice', password: 's3cret' }));
    await client.getManifest('team/app', 'latest');
    await client.getManifest('team/app', 'latest');
    expect(tokenRequests).toHaveLength(1);
    expect(tokenRequests[0]!.searchParams.get('service')).toBe('test registry');
    expect(tokenRequests[0]!.searchParams.getAll('scope')).toEqual(['repository:team/app:pull']);
    expect(tokenAuth[0]).toMatch(/^Basic /);
  });

  it('re-authenticates once when a cached token is refused', async () => {
    const { host, tokenRequests } = await tokenRegistry({ revokeFirstToken: true });
    const client = new RegistryClient(host, options({ username: 'alice', password: 's3cret' }));
    await client.getManifest('team/app', 'latest');
    await client.getManifest('team/app', 'latest');
    expect(tokenRequests).toHaveLength(2);
  });

  it('says the token service refused the credentials, without repeating them', async () => {
    const { host } = await tokenRegistry();
    const client = new RegistryClient(host, options({ username: 'alice', password: 'hunter2-wrong' }));
    const error = await failure(client.getManifest('team/app', 'latest'));
    expect(error.code).toBe('VIGIL_REGISTRY_UNAUTHORIZED');
    expect(error.message).toContain('rejected the credentials from options');
    expect(`${error.message}${JSON.stringify(error.context)}`).not.toContain('hunter2');
  });

  // JSON that is not an object (a fuzz counterexample: `null` was read as an object and threw a TypeError)
  it.each(['{"nope":true}', 'null', '42', '"token"', '["t"]', ''])(
    'rejects a token answer without a token: %j',
    async (body) => {
      const auth = await serve((_req, res) => res.writeHead(200).end(body));
      const host = await serve((_req, res) =>
        res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${auth}/t"` }).end(),
      );
      const error = await failure(new RegistryClient(host, options()).getManifest('a', 'latest'));
      expect(error).toMatchObject({
        code: 'VIGIL_REGISTRY_PROTOCOL',
        message: expect.stringContaining('without a token'),
      });
    },
  );
});

describe('listing', () => {
  it('follows Link pagination and stops a loop', async () => {
    const host = await serve((_req, res, url) => {
      const last = url.searchParams.get('last');
      if (last === null) res.writeHead(200, { link: '</v2/a/tags/list?last=1&n=1>; rel="next"' }).end('{"tags":["1"]}');
      else res.writeHead(200, { link: `</v2/a/tags/list?last=1&n=1>; rel="next"` }).end('{"tags":["2"]}');
    });
    const client = new RegistryClient(host, options());
    const tags: string[] = [];
    const error = await failure(
      (async () => {
        for await (const tag of client.listTags('a')) tags.push(tag);
      })(),
    );
    expect(tags).toEqual(['1', '2']);
    expect(error).toMatchObject({ code: 'VIGIL_REGISTRY_PROTOCOL', message: expect.stringContaining('loops') });
  });
});
