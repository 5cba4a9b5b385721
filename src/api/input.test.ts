import { describe, expect, it } from 'vitest';
import type { Store } from '../service/store/types.ts';
import { createApi } from './index.ts';
import { type ApiHarness, apiDialects, harnessPerTest } from './testing.ts';

describe.each(apiDialects)('bad input on $name', (dialect) => {
  let h: ApiHarness;
  harnessPerTest(dialect, { set: (opened) => (h = opened), get: () => h });

  const send = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: string | object, type = 'application/json') =>
    h.app.inject({
      method,
      url,
      headers: { ...h.auth('admin'), ...(payload !== undefined && { 'content-type': type }) },
      ...(payload !== undefined && { payload }),
    });

  it.each([
    [
      'a body over the limit',
      'POST',
      '/api/v1/configs',
      { repository: 'x'.repeat(300 * 1024) },
      413,
      'VIGIL_LIMIT_EXCEEDED',
    ],
    ['malformed JSON', 'POST', '/api/v1/configs', '{"repository": ', 400, 'VIGIL_USAGE'],
    ['an array body', 'POST', '/configs/', '[]', 400, 'VIGIL_USAGE'],
    [
      'a string where an array goes',
      'POST',
      '/configs/',
      { repository: 'a', registry_url: 'https://r', tags: 'latest' },
      400,
      'VIGIL_USAGE',
    ],
    [
      'a number where a string goes',
      'POST',
      '/api/v1/configs',
      { registryUrl: 'https://r', repository: 7 },
      400,
      'VIGIL_USAGE',
    ],
    [
      'a boolean where a string goes',
      'POST',
      '/api/v1/configs',
      { registryUrl: true, repository: 'a' },
      400,
      'VIGIL_USAGE',
    ],
    [
      'an unknown field',
      'POST',
      '/api/v1/registries',
      { name: 'a', url: 'https://a', kind: 'oci', admin: true },
      400,
      'VIGIL_USAGE',
    ],
    ['an empty patch', 'PATCH', '/api/v1/configs/fc41dda8-f15e-4826-8908-11603b01dac4', {}, 400, 'VIGIL_USAGE'],
    ['an unknown query parameter', 'GET', '/api/v1/findings?sort=asc', undefined, 400, 'VIGIL_USAGE'],
    ['limit 0', 'GET', '/api/v1/findings?limit=0', undefined, 400, 'VIGIL_USAGE'],
    ['limit 1000', 'GET', '/api/v1/events?limit=1000', undefined, 400, 'VIGIL_USAGE'],
    ['an unknown severity', 'GET', '/api/v1/findings?severity=HIGH,SEVERE', undefined, 400, 'VIGIL_USAGE'],
    ['a forged cursor', 'GET', '/api/v1/findings?cursor=WzEsImEiXQ', undefined, 400, 'VIGIL_USAGE'],
    ['a bad finding id', 'GET', '/api/v1/findings/abc', undefined, 400, 'VIGIL_USAGE'],
  ] as const)(
    // %c consumes the payload without printing it (a body over the limit is 300 kB)
    '%s: %s %s%c is %i %s, and nothing is written',
    async (_what, method, url, payload, status, code) => {
      const res = await send(method, url, payload as string | object | undefined);
      expect(res.statusCode).toBe(status);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.json().error.code).toBe(code);
      expect(res.json().error.message.length).toBeGreaterThan(5);
      expect(await h.store.listConfigs()).toEqual([]);
      expect(await h.store.listRegistries()).toEqual([]);
    },
  );

  it('a body in another content type is 415 in the same error shape', async () => {
    const res = await send('POST', '/api/v1/configs', 'repository=a', 'application/x-www-form-urlencoded');
    expect(res.statusCode).toBe(415);
    expect(res.json().error.code).toBe('VIGIL_USAGE');
  });

  it('the error names the field at fault', async () => {
    const res = await send('POST', '/api/v1/configs', { registryUrl: 'https://r', repository: 7 });
    expect(res.json().error.message).toBe('body/repository must be string');
  });
});

describe('unexpected failures', () => {
  it('answer 500 VIGIL_INTERNAL without the cause, and log it', async () => {
    const lines: string[] = [];
    const failing = new Proxy({} as Store, {
      get: (_target, name) => async () => {
        throw new Error(`driver detail: relation secret_table for ${String(name)}`);
      },
    });
    const { default: pino } = await import('pino');
    const { Writable } = await import('node:stream');
    const logger = pino(
      new Writable({
        write(chunk, _e, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    const app = createApi({
      store: failing,
      secretBox: undefined,
      logger: logger as never,
    });
    const healthy = await app.inject({ url: '/healthz' });
    expect(healthy.statusCode).toBe(200);
    const ready = await app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    const res = await app.inject({ url: '/api/v1/summary', headers: { authorization: 'Bearer vgl_x' } });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: { code: 'VIGIL_INTERNAL', message: 'internal error' } });
    expect(lines.join('')).toContain('driver detail');
    await app.close();
  });
});
