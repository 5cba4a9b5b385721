import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Notifier } from '../service/notify/index.ts';
import { finding, findingEvent, testClock } from '../service/notify/testing.ts';
import { openChannelConfig, storeDeliveryLog } from '../service/store/channel-store.ts';
import { createApi } from './index.ts';
import { type ApiHarness, apiDialects, FIXED_NOW, openHarness } from './testing.ts';

const SECRETS = ['webhook-secret-0123456789', 'gateway-token-secret', 'slack-path-secret-xyz', 'smtp-password-secret'];

const webhook = {
  type: 'webhook',
  url: 'https://hooks.example.test/vigil',
  secret: SECRETS[0],
  headers: { Authorization: `Bearer ${SECRETS[1]}` },
  filter: { minSeverity: 'HIGH' },
};
const slack = { type: 'slack', url: `https://hooks.slack.com/services/T0/B0/${SECRETS[2]}` };
const email = {
  type: 'email',
  smtp: { host: 'smtp.example.test', user: 'vigil', password: SECRETS[3] },
  from: 'vigil@example.test',
  to: ['team@example.test'],
};

describe.each(apiDialects)('channels and deliveries on $name', (dialect) => {
  let h: ApiHarness;
  /** every body the API answered in this test, checked for secrets after each test */
  let answered: string[];
  beforeEach(async (ctx) => {
    if (dialect.skipReason !== undefined) ctx.skip(dialect.skipReason);
    h = await openHarness(dialect);
    answered = [];
  });
  afterEach(async (ctx) => {
    if (dialect.skipReason !== undefined) return;
    if (ctx.task.result?.state !== 'fail') {
      for (const body of [...answered, ...h.logLines]) for (const secret of SECRETS) expect(body).not.toContain(secret);
    }
    await h?.close();
  });

  const call = async (
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    role: 'viewer' | 'operator' | 'admin',
    payload?: unknown,
    app: FastifyInstance = h.app,
  ) => {
    const response = await app.inject({
      method,
      url,
      headers: h.auth(role),
      ...(payload !== undefined && { payload: payload as object }),
    });
    answered.push(response.body);
    return response;
  };

  it.each([
    { name: 'hook', config: webhook },
    { name: 'chat', config: slack },
    { name: 'mail', config: email },
  ])('creates the $name channel, seals its secrets and never answers them', async ({ name, config }) => {
    const created = await call('POST', '/api/v1/channels', 'admin', { name, config });
    expect(created.statusCode).toBe(201);
    const body = created.json();
    expect(body).toMatchObject({ name, type: config.type, disabled: false });
    expect(JSON.stringify(body.config)).toContain('[redacted]');
    expect((await call('GET', `/api/v1/channels/${body.id}`, 'viewer')).json()).toEqual(body);
    expect((await call('GET', '/api/v1/channels', 'viewer')).json()).toEqual([body]);
    const stored = await h.store.getChannel(body.id);
    expect(stored?.secrets).toBeInstanceOf(Uint8Array);
    expect(openChannelConfig(stored!, h.secretBox)).toMatchObject({ ...config, id: body.id });
  });

  it('merges a PATCH over the stored config, keeping secrets sent back as "[redacted]"', async () => {
    const { id, config } = (await call('POST', '/api/v1/channels', 'admin', { name: 'hook', config: webhook })).json();
    const moved = await call('PATCH', `/api/v1/channels/${id}`, 'admin', {
      config: { ...config, url: 'https://other.example.test/hook', filter: null },
      disabled: true,
    });
    expect(moved.statusCode).toBe(200);
    expect(moved.json()).toMatchObject({ disabled: true, config: { url: 'https://other.example.test/hook' } });
    expect(moved.json().config.filter).toBeUndefined();
    const opened = openChannelConfig((await h.store.getChannel(id))!, h.secretBox);
    expect(opened).toMatchObject({ secret: SECRETS[0], headers: { Authorization: `Bearer ${SECRETS[1]}` } });
    expect(opened.filter).toBeUndefined();

    await call('PATCH', `/api/v1/channels/${id}`, 'admin', { config: { secret: 'a-new-secret-of-enough-length' } });
    expect(openChannelConfig((await h.store.getChannel(id))!, h.secretBox)).toMatchObject({
      secret: 'a-new-secret-of-enough-length',
    });
    answered.pop(); // that answer is checked by the redaction of the new secret below
    expect(JSON.stringify((await call('GET', `/api/v1/channels/${id}`, 'viewer')).json())).not.toContain(
      'a-new-secret-of-enough-length',
    );
  });

  it.each([
    { what: 'an invalid config', body: { name: 'x', config: { type: 'webhook', url: 'ftp://x', secret: 'short' } } },
    { what: 'an unknown type', body: { name: 'x', config: { type: 'pager' } } },
    { what: 'no config', body: { name: 'x' } },
    { what: 'an unknown field', body: { name: 'x', config: slack, colour: 'red' } },
  ])('refuses $what with 400', async ({ body }) => {
    const response = await call('POST', '/api/v1/channels', 'admin', body);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('VIGIL_USAGE');
  });

  it('refuses a taken name, a secret without VIGIL_SECRET_KEY, and answers 404 for unknown ids', async () => {
    expect((await call('POST', '/api/v1/channels', 'admin', { name: 'chat', config: slack })).statusCode).toBe(201);
    expect((await call('POST', '/api/v1/channels', 'admin', { name: 'chat', config: slack })).statusCode).toBe(400);
    const keyless = createApi({ store: h.store, secretBox: undefined, now: () => FIXED_NOW });
    const refused = await call('POST', '/api/v1/channels', 'admin', { name: 'hook', config: webhook }, keyless);
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.message).toMatch(/VIGIL_SECRET_KEY/);
    const sns = { type: 'sns', region: 'us-west-2', topicArn: 'arn:aws:sns:us-west-2:123456789012:t' };
    expect((await call('POST', '/api/v1/channels', 'admin', { name: 'sns', config: sns }, keyless)).statusCode).toBe(
      201,
    );
    await keyless.close();
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await call('GET', `/api/v1/channels/${unknown}`, 'viewer')).statusCode).toBe(404);
    expect((await call('PATCH', `/api/v1/channels/${unknown}`, 'admin', { name: 'z' })).statusCode).toBe(404);
    expect((await call('DELETE', `/api/v1/channels/${unknown}`, 'admin')).statusCode).toBe(404);
  });

  it('deletes a channel', async () => {
    const { id } = (await call('POST', '/api/v1/channels', 'admin', { name: 'chat', config: slack })).json();
    expect((await call('DELETE', `/api/v1/channels/${id}`, 'admin')).statusCode).toBe(204);
    expect((await call('GET', `/api/v1/channels/${id}`, 'viewer')).statusCode).toBe(404);
  });

  it.each([
    { method: 'POST', url: '/api/v1/channels', role: 'operator', status: 403 },
    { method: 'PATCH', url: '/api/v1/channels/00000000-0000-4000-8000-000000000000', role: 'operator', status: 403 },
    { method: 'DELETE', url: '/api/v1/channels/00000000-0000-4000-8000-000000000000', role: 'operator', status: 403 },
    { method: 'GET', url: '/api/v1/channels', role: 'viewer', status: 200 },
    { method: 'GET', url: '/api/v1/deliveries', role: 'viewer', status: 200 },
    { method: 'POST', url: '/api/v1/deliveries/x/replay', role: 'viewer', status: 403 },
  ] as const)('$method $url as $role: $status', async ({ method, url, role, status }) => {
    const payload = method === 'GET' || method === 'DELETE' ? undefined : { name: 'x', config: slack };
    expect((await call(method, url, role, payload)).statusCode).toBe(status);
  });

  it('lists failed deliveries in pages and replays one through the notifier', async () => {
    const { id } = (await call('POST', '/api/v1/channels', 'admin', { name: 'hook', config: webhook })).json();
    let receiverUp = false;
    const notifier = new Notifier({
      channels: [openChannelConfig((await h.store.getChannel(id))!, h.secretBox)],
      log: storeDeliveryLog(h.store),
      clock: testClock(),
      retry: { maxAttempts: 1 },
      fetch: async () => new Response('', { status: receiverUp ? 200 : 503 }),
    });
    await notifier.dispatch([
      findingEvent('finding.new', finding('CVE-2026-0001', 'HIGH')),
      findingEvent('finding.new', finding('CVE-2026-0002', 'CRITICAL')),
      findingEvent('finding.new', finding('CVE-2026-0003', 'HIGH')),
    ]);
    const app = createApi({
      store: h.store,
      secretBox: h.secretBox,
      now: () => FIXED_NOW,
      replay: (deliveryId) => notifier.replay(deliveryId),
    });

    const first = await call('GET', '/api/v1/deliveries?state=failed&limit=2', 'viewer', undefined, app);
    expect(first.statusCode).toBe(200);
    expect(first.json().deliveries).toHaveLength(2);
    expect(first.json().deliveries[0]).toMatchObject({
      channelId: id,
      state: 'failed',
      lastError: 'https://hooks.example.test answered HTTP 503',
    });
    expect(first.json().deliveries[0].request.headers['x-vigil-signature']).toBe('[redacted]');
    const second = await call(
      'GET',
      `/api/v1/deliveries?state=failed&cursor=${first.json().next}`,
      'viewer',
      undefined,
      app,
    );
    expect(second.json().deliveries).toHaveLength(1);
    expect(second.json().next).toBeUndefined();

    const target = first.json().deliveries[0].id;
    expect((await call('POST', `/api/v1/deliveries/${target}/replay`, 'operator', undefined, h.app)).statusCode).toBe(
      503,
    );
    receiverUp = true;
    const replayed = await call('POST', `/api/v1/deliveries/${target}/replay`, 'operator', undefined, app);
    expect(replayed.statusCode).toBe(200);
    expect(replayed.json()).toMatchObject({ id: target, state: 'delivered' });
    expect(replayed.json().attempts.map((a: { ok: boolean }) => a.ok)).toEqual([false, true]);

    const again = await call('POST', `/api/v1/deliveries/${target}/replay`, 'operator', undefined, app);
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('VIGIL_CONFLICT');
    expect((await call('POST', '/api/v1/deliveries/nope/replay', 'operator', undefined, app)).statusCode).toBe(404);
    const left = await call('GET', '/api/v1/deliveries?state=failed', 'viewer', undefined, app);
    expect(left.json().deliveries).toHaveLength(2);
    await app.close();
  });
});
