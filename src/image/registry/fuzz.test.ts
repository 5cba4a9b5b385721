import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VigilError } from '../../core/errors.ts';
import { parseImageRef } from '../reference.ts';
import { RegistryClient } from './client.ts';
import { MediaType } from './manifest.ts';
import { resolveRegistryImage } from './resolve.ts';

/** Whatever a registry answers, the client ends in a result or a VigilError, within bounded requests. */

const answer = fc.record({
  status: fc.constantFrom(200, 200, 200, 201, 202, 204, 301, 302, 307, 401, 403, 404, 429, 500, 503, 999),
  body: fc.oneof(
    fc.string(),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.constant(JSON.stringify({ schemaVersion: 2, manifests: [{ digest: `sha256:${'a'.repeat(64)}`, size: 1 }] })),
    fc.constant(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.dockerManifest,
        config: { digest: `sha256:${'b'.repeat(64)}`, size: 2 },
        layers: [],
      }),
    ),
  ),
  headers: fc.dictionary(
    fc.constantFrom('www-authenticate', 'location', 'retry-after', 'content-type', 'docker-content-digest', 'link'),
    fc.oneof(
      fc.string(),
      fc.constantFrom(
        'Bearer realm="https://auth.example/token",service=s',
        'Basic realm=x',
        'https://elsewhere.example/x',
        '/v2/a/manifests/other',
        'Thu, 01 Jan 1970 00:00:00 GMT',
        MediaType.ociIndex,
      ),
    ),
  ),
});

describe('hostile answers, fuzzed', () => {
  it('resolveRegistryImage ends in an image or a VigilError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(answer, { minLength: 1, maxLength: 30 }), async (answers) => {
        let i = 0;
        const fetchStub: typeof fetch = async () => {
          const a = answers[i++ % answers.length]!;
          const nullBody = [101, 204, 205, 304].includes(a.status) || a.status === 999;
          return new Response(nullBody ? null : a.body, {
            status: a.status === 999 ? 599 : a.status,
            headers: Object.fromEntries(Object.entries(a.headers).filter(([, v]) => /^[\t\x20-\x7e]*$/.test(v))),
          });
        };
        const client = new RegistryClient('registry.example', {
          fetch: fetchStub,
          sleep: async () => {},
          env: {},
          dockerConfig: '/nonexistent',
          username: 'u',
          password: 'p',
        });
        try {
          await resolveRegistryImage(client, parseImageRef('registry.example/a:b'), undefined);
        } catch (err) {
          if (!(err instanceof VigilError)) throw err;
        }
        expect(i).toBeLessThan(200);
      }),
      { numRuns: 300 },
    );
  });
});
