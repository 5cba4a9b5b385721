import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { forgetAssumedRoles } from './aws-assume-role.ts';
import { RegistryClient } from './client.ts';
import { normalizeAuthKey, resolveCredentials } from './credentials.ts';
import { ecrCredentials, forgetEcrCredentials, parseEcrHost } from './ecr.ts';

const b64 = (text: string) => Buffer.from(text).toString('base64');
// one stub per client class and file: a second mockClient(ECRClient) would replace the first
const ecr = mockClient(ECRClient);
const sts = mockClient(STSClient);
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
        '123456789012.dkr.ecr.ap-south-1.amazonaws.com': { auth: b64('AWS:stale-docker-login') },
        'empty.example': {},
        'acr.example': { auth: b64('<token>:'), identitytoken: 'refresh-1' },
        'tokened.example': { registrytoken: 'bearer-1', identitytoken: 'refresh-2', auth: b64('u:p') },
        'blank-tokens.example': { registrytoken: '', identitytoken: '', auth: b64('u:p') },
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
    // Docker's order: registrytoken, then identitytoken, then basic; empty ones count as absent
    ['acr.example', { identityToken: 'refresh-1', origin: 'docker-config' }],
    ['tokened.example', { registryToken: 'bearer-1', origin: 'docker-config' }],
    ['blank-tokens.example', { username: 'u', password: 'p', origin: 'docker-config' }],
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

  it('takes a registry or identity token from options first, and VIGIL_REGISTRY_TOKEN before a username', async () => {
    const env = { VIGIL_REGISTRY_TOKEN: 'env-bearer', VIGIL_REGISTRY_USERNAME: 'e', VIGIL_REGISTRY_PASSWORD: 'ep' };
    const options = { env, dockerConfig: config };
    expect(
      await resolveCredentials('ghcr.io', { ...options, registryToken: 't', username: 'o', password: 'p' }),
    ).toEqual({
      registryToken: 't',
      origin: 'options',
    });
    expect(await resolveCredentials('ghcr.io', { ...options, identityToken: 'r' })).toEqual({
      identityToken: 'r',
      origin: 'options',
    });
    expect(await resolveCredentials('ghcr.io', options)).toEqual({ registryToken: 'env-bearer', origin: 'env' });
  });

  it.each([join('nonexistent', 'config.json'), 'garbage.json', '.'])(
    'treats an unusable docker config (%s) as no credentials',
    async (name) => {
      expect(await resolveCredentials('ghcr.io', { dockerConfig: join(dir, name), env: {} })).toBeUndefined();
    },
  );
});

describe('AWS ECR', () => {
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
    expect(await ecrCredentials(host, { now })).toEqual({ username: 'AWS', password: 'first' });
    clock = Date.UTC(2030, 0, 1, 11, 49);
    expect(await ecrCredentials(host, { now })).toEqual({ username: 'AWS', password: 'first' });
    clock = Date.UTC(2030, 0, 1, 11, 51);
    expect(await ecrCredentials(host, { now })).toEqual({ username: 'AWS', password: 'second' });
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

describe('AWS ECR through an assumed role', () => {
  afterEach(() => {
    ecr.reset();
    sts.reset();
    forgetEcrCredentials();
    forgetAssumedRoles();
  });
  const host = '123456789012.dkr.ecr.us-west-2.amazonaws.com';
  const role = 'arn:aws:iam::123456789012:role/vigil-reader';
  const T0 = Date.UTC(2030, 0, 1, 0);
  const HOUR = 3_600_000;
  const assumed = (key: string, expiresAt: number) => ({
    Credentials: {
      AccessKeyId: `ASIA${key}`,
      SecretAccessKey: `secret-${key}`,
      SessionToken: `token-${key}`,
      Expiration: new Date(expiresAt),
    },
  });
  /** GetAuthorizationToken answers with the access key it was signed with, as its password */
  const tokenPerIdentity = (expiresAt: Date) =>
    ecr.on(GetAuthorizationTokenCommand).callsFake(async (_input, getClient) => {
      const identity = await getClient().config.credentials();
      return { authorizationData: [{ authorizationToken: b64(`AWS:${identity.accessKeyId}`), expiresAt }] };
    });

  it('assumes the role, then asks GetAuthorizationToken with its credentials', async () => {
    sts.on(AssumeRoleCommand).resolves(assumed('ROLE', T0 + HOUR));
    tokenPerIdentity(new Date(T0 + 12 * HOUR));
    const login = await resolveCredentials(host, { awsRoleArn: role, env: {}, dockerConfig: '/nonexistent' });
    expect(login).toEqual({ username: 'AWS', password: 'ASIAROLE', origin: 'aws-ecr' });
    expect(sts.commandCalls(AssumeRoleCommand).map((call) => call.args[0].input)).toEqual([
      { RoleArn: role, RoleSessionName: 'vigil' },
    ]);
    expect(await sts.call(0).thisValue.config.region()).toBe('us-west-2');
    const ecrClient = ecr.call(0).thisValue as ECRClient;
    expect(await ecrClient.config.credentials()).toMatchObject({
      accessKeyId: 'ASIAROLE',
      secretAccessKey: 'secret-ROLE',
      sessionToken: 'token-ROLE',
    });
  });

  it('calls STS in the region given for the registry', async () => {
    sts.on(AssumeRoleCommand).resolves(assumed('ROLE', T0 + HOUR));
    tokenPerIdentity(new Date(T0 + 12 * HOUR));
    await ecrCredentials(host, { roleArn: role, region: 'us-gov-west-1', now: () => T0 });
    expect(await sts.call(0).thisValue.config.region()).toBe('us-gov-west-1');
    expect(await ecr.call(0).thisValue.config.region()).toBe('us-west-2');
  });

  it('assumes nothing without a role', async () => {
    ecr.on(GetAuthorizationTokenCommand).resolves({ authorizationData: [{ authorizationToken: b64('AWS:chain') }] });
    expect(await resolveCredentials(host, { env: {}, dockerConfig: '/nonexistent' })).toMatchObject({
      password: 'chain',
    });
    expect(sts.calls()).toHaveLength(0);
  });

  it('a role on the registry wins over a docker login for its host; without one the docker config does', async () => {
    const stale = '123456789012.dkr.ecr.ap-south-1.amazonaws.com';
    sts.on(AssumeRoleCommand).resolves(assumed('ROLE', T0 + HOUR));
    tokenPerIdentity(new Date(T0 + 12 * HOUR));
    expect(await resolveCredentials(stale, { env: {}, dockerConfig: config })).toMatchObject({
      password: 'stale-docker-login',
    });
    expect(await resolveCredentials(stale, { awsRoleArn: role, env: {}, dockerConfig: config })).toMatchObject({
      password: 'ASIAROLE',
      origin: 'aws-ecr',
    });
  });

  it('keeps one login per host and role: two registries on one host do not share it', async () => {
    const other = 'arn:aws:iam::123456789012:role/vigil-other';
    sts
      .on(AssumeRoleCommand)
      .callsFake((input: { RoleArn: string }) => assumed(input.RoleArn === role ? 'READER' : 'OTHER', T0 + HOUR));
    tokenPerIdentity(new Date(T0 + 12 * HOUR));
    const now = () => T0;
    expect(await ecrCredentials(host, { roleArn: role, now })).toEqual({ username: 'AWS', password: 'ASIAREADER' });
    expect(await ecrCredentials(host, { roleArn: other, now })).toEqual({ username: 'AWS', password: 'ASIAOTHER' });
    expect(await ecrCredentials(host, { roleArn: role, now })).toEqual({ username: 'AWS', password: 'ASIAREADER' });
    expect(ecr.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(2);
  });

  it('logs in again with a renewed session once the login lapses', async () => {
    // the session lasts an hour, the ECR token 12: the token is kept, and the next login needs a new session
    sts
      .on(AssumeRoleCommand)
      .resolvesOnce(assumed('FIRST', T0 + HOUR))
      .resolves(assumed('SECOND', T0 + 13 * HOUR));
    tokenPerIdentity(new Date(T0 + 12 * HOUR));
    let clock = T0;
    const options = { roleArn: role, now: () => clock };
    expect((await ecrCredentials(host, options)).password).toBe('ASIAFIRST');
    clock = T0 + 2 * HOUR;
    expect((await ecrCredentials(host, options)).password).toBe('ASIAFIRST');
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
    clock = T0 + 12 * HOUR;
    expect((await ecrCredentials(host, options)).password).toBe('ASIASECOND');
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
  });

  it('a refused AssumeRole names the registry and the role, and ECR is never asked', async () => {
    sts.on(AssumeRoleCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDenied' }));
    await expect(
      resolveCredentials(host, { awsRoleArn: role, env: {}, dockerConfig: '/nonexistent' }),
    ).rejects.toMatchObject({
      code: 'VIGIL_REGISTRY_DENIED',
      message: `AWS refused sts:AssumeRole of ${role} for registry ${host} (AccessDenied)`,
    });
    expect(ecr.calls()).toHaveLength(0);
  });

  it('a GetAuthorizationToken refused to the role says which role', async () => {
    sts.on(AssumeRoleCommand).resolves(assumed('ROLE', T0 + HOUR));
    ecr.on(GetAuthorizationTokenCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    await expect(ecrCredentials(host, { roleArn: role, now: () => T0 })).rejects.toMatchObject({
      code: 'VIGIL_REGISTRY_DENIED',
      message: `AWS refused ecr:GetAuthorizationToken for ${host} as ${role} (AccessDeniedException)`,
    });
  });
});
