import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from './client.ts';
import { normalizeAuthKey, resolveCredentials } from './credentials.ts';
import { ecrCredentials, forgetEcrCredentials, parseEcrHost } from './ecr.ts';

const b64 = (text: string) => Buffer.from(text).toString('base64');
let dir: string;
let config: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-creds-'));
  config = join(dir, 'config.json');
  await writeFile(
    config,
    JSON.stringify({
      auths: {
        'https://index.docker.io/v1/': { auth: b64('hubuser:hub:pass') },
        'ghcr.io': { username: 'gh', password: 'ghpass' },
        'http://localhost:5000/v2/': { auth: b64('local:pw') },
        'broken.example': { auth: '!!!' },
        'empty.example': {},
      },
      credsStore: 'desktop',
    }),
  );
  await writeFile(join(dir, 'garbage.json'), '{not json');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('normalizeAuthKey', () => {
  it.each([
    ['https://index.docker.io/v1/', 'registry-1.docker.io'],
    ['docker.io', 'registry-1.docker.io'],
    ['HTTP://LocalHost:5000/v2/', 'localhost:5000'],
    ['ghcr.io', 'ghcr.io'],
  ])('%s -> %s', (key, expected) => {
    expect(normalizeAuthKey(key)).toBe(expected);
  });
});

describe('resolveCredentials', () => {
  it.each([
    ['registry-1.docker.io', { username: 'hubuser', password: 'hub:pass', origin: 'docker-config' }],
    ['ghcr.io', { username: 'gh', password: 'ghpass', origin: 'docker-config' }],
    ['localhost:5000', { username: 'local', password: 'pw', origin: 'docker-config' }],
    ['broken.example', undefined],
    ['empty.example', undefined],
    ['quay.io', undefined],
  ])('docker config for %s', async (registry, expected) => {
    expect(await resolveCredentials(registry, { dockerConfig: config, env: {} })).toEqual(expected);
  });

  it('finds config.json through DOCKER_CONFIG', async () => {
    expect(await resolveCredentials('ghcr.io', { env: { DOCKER_CONFIG: dir } })).toMatchObject({ username: 'gh' });
  });

  it('prefers options, then env, then the docker config', async () => {
    const env = { VIGIL_REGISTRY_USERNAME: 'e', VIGIL_REGISTRY_PASSWORD: 'ep' };
    expect(await resolveCredentials('ghcr.io', { username: 'o', password: 'op', env, dockerConfig: config })).toEqual({
      username: 'o',
      password: 'op',
      origin: 'options',
    });
    expect(await resolveCredentials('ghcr.io', { env, dockerConfig: config })).toEqual({
      username: 'e',
      password: 'ep',
      origin: 'env',
    });
  });

  it.each([join('nonexistent', 'config.json'), 'garbage.json', '.'])(
    'treats an unusable docker config (%s) as no credentials',
    async (name) => {
      expect(await resolveCredentials('ghcr.io', { dockerConfig: join(dir, name), env: {} })).toBeUndefined();
    },
  );
});

describe('AWS ECR', () => {
  const ecr = mockClient(ECRClient);
  afterEach(() => {
    ecr.reset();
    forgetEcrCredentials();
  });
  const host = '123456789012.dkr.ecr.eu-west-3.amazonaws.com';

  it.each([
    [host, { account: '123456789012', region: 'eu-west-3' }],
    ['123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com', { account: '123456789012', region: 'us-gov-west-1' }],
    ['123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn', { account: '123456789012', region: 'cn-north-1' }],
    ['12345.dkr.ecr.us-east-1.amazonaws.com', undefined],
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.io', undefined],
    ['public.ecr.aws', undefined],
  ])('parseEcrHost(%s)', (registry, expected) => {
    expect(parseEcrHost(registry)).toEqual(expected);
  });

  it('gets the password from GetAuthorizationToken', async () => {
    ecr.on(GetAuthorizationTokenCommand).resolves({ authorizationData: [{ authorizationToken: b64('AWS:ecr-pass') }] });
    expect(await resolveCredentials(host, { env: {}, dockerConfig: config })).toEqual({
      username: 'AWS',
      password: 'ecr-pass',
      origin: 'aws-ecr',
    });
    expect(ecr.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(1);
    expect(await ecr.call(0).thisValue.config.region()).toBe('eu-west-3');
  });

  it('caches the login until shortly before it expires', async () => {
    const expiresAt = new Date(Date.UTC(2030, 0, 1, 12));
    ecr
      .on(GetAuthorizationTokenCommand)
      .resolvesOnce({ authorizationData: [{ authorizationToken: b64('AWS:first'), expiresAt }] })
      .resolves({ authorizationData: [{ authorizationToken: b64('AWS:second'), expiresAt }] });
    let clock = Date.UTC(2030, 0, 1, 0);
    const now = () => clock;
    expect(await ecrCredentials(host, undefined, now)).toEqual({ username: 'AWS', password: 'first' });
    clock = Date.UTC(2030, 0, 1, 11, 49);
    expect(await ecrCredentials(host, undefined, now)).toEqual({ username: 'AWS', password: 'first' });
    clock = Date.UTC(2030, 0, 1, 11, 51);
    expect(await ecrCredentials(host, undefined, now)).toEqual({ username: 'AWS', password: 'second' });
    expect(ecr.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(2);
  });

  it('answers an ECR Basic challenge with the AWS token', async () => {
    ecr.on(GetAuthorizationTokenCommand).resolves({ authorizationData: [{ authorizationToken: b64('AWS:ecr-pass') }] });
    const seen: string[] = [];
    const fetchStub: typeof fetch = async (input, init) => {
      const authorization = new Headers(init?.headers).get('authorization');
      seen.push(`${String(input)} ${authorization}`);
      if (authorization === null) {
        return new Response(null, { status: 401, headers: { 'www-authenticate': 'Basic realm="https://x/"' } });
      }
      return new Response('{"tags":["1.4"]}');
    };
    const client = new RegistryClient(host, { fetch: fetchStub, env: {}, dockerConfig: '/nonexistent' });
    const tags: string[] = [];
    for await (const tag of client.listTags('team/app')) tags.push(tag);
    expect(tags).toEqual(['1.4']);
    expect(seen).toEqual([
      `https://${host}/v2/team/app/tags/list null`,
      `https://${host}/v2/team/app/tags/list Basic ${b64('AWS:ecr-pass')}`,
    ]);
  });

  it.each([
    [
      Object.assign(new Error('Could not load credentials'), { name: 'CredentialsProviderError' }),
      'VIGIL_REGISTRY_UNAUTHORIZED',
    ],
    [Object.assign(new Error('denied'), { name: 'AccessDeniedException' }), 'VIGIL_REGISTRY_DENIED'],
    [Object.assign(new Error('socket'), { name: 'TimeoutError' }), 'VIGIL_REGISTRY_UNREACHABLE'],
  ])('maps %s', async (error, code) => {
    ecr.on(GetAuthorizationTokenCommand).rejects(error);
    await expect(ecrCredentials(host)).rejects.toMatchObject({ code });
  });

  it('rejects an answer without a token', async () => {
    ecr.on(GetAuthorizationTokenCommand).resolves({ authorizationData: [] });
    await expect(ecrCredentials(host)).rejects.toMatchObject({ code: 'VIGIL_REGISTRY_PROTOCOL' });
  });

  it('says the optional SDK is missing', async () => {
    const missing = () =>
      Promise.reject(Object.assign(new Error('Cannot find package'), { code: 'ERR_MODULE_NOT_FOUND' }));
    await expect(
      resolveCredentials(host, { env: {}, dockerConfig: config, loadEcrSdk: missing }),
    ).rejects.toMatchObject({
      code: 'VIGIL_AWS_SDK_MISSING',
      message: expect.stringContaining('@aws-sdk/client-ecr'),
    });
  });
});
