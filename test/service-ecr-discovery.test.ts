/**
 * ECR discovery through DescribeRepositories / DescribeImages, in the registry's account or through
 * an assumed IAM role. AWS cannot be reached from these machines: the ECR and STS clients are
 * replaced by aws-sdk-client-mock, which answers as ECR and STS document.
 */
import * as ecr from '@aws-sdk/client-ecr';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { forgetEcrCredentials } from '../src/image/registry/ecr.ts';
import { forgetAssumedRoles, resolveCredentials } from '../src/image/registry/index.ts';
import { discover } from '../src/service/runtime/discovery.ts';
import { discoverEcr } from '../src/service/runtime/ecr-discovery.ts';
import { registryAccess } from '../src/service/runtime/registry-access.ts';
import { createSqliteQueue } from '../src/service/runtime/sqlite-queue.ts';
import { openRuntimeHarness, type RuntimeHarness, T0 } from '../src/service/runtime/testing.ts';
import { dialects, digestOf, type TestDatabase, type TestDialect } from '../src/service/store/testing.ts';
import type { Registry, RegistryInput } from '../src/service/store/types.ts';

const ACCOUNT = '123456789012';
const ecrMock = mockClient(ecr.ECRClient);
const stsMock = mockClient(STSClient);
const loadEcr = async () => ecr;

interface FakeImage {
  digest: string;
  tags?: string[];
  pushedAt: Date;
}

/**
 * DescribeImages answered one image per page, so pagination is exercised. With `signers`, each call
 * records the access key the client would sign it with (only for clients given credentials: asking
 * a default-chain client would go looking for instance metadata).
 */
function serve(repositories: Record<string, FakeImage[]>, signers?: string[]) {
  ecrMock.reset();
  const signer = async (getClient: () => ecr.ECRClient) => {
    if (signers !== undefined) signers.push((await getClient().config.credentials()).accessKeyId);
  };
  ecrMock.on(ecr.DescribeRepositoriesCommand).callsFake(async (_input, getClient) => {
    await signer(getClient);
    return {
      repositories: Object.keys(repositories).map((repositoryName) => ({ repositoryName, registryId: ACCOUNT })),
    };
  });
  ecrMock.on(ecr.DescribeImagesCommand).callsFake(async (input: ecr.DescribeImagesCommandInput, getClient) => {
    await signer(getClient);
    const images = repositories[input.repositoryName ?? ''] ?? [];
    const at = Number(input.nextToken ?? 0);
    const image = images[at];
    return {
      imageDetails:
        image === undefined
          ? []
          : [
              {
                registryId: ACCOUNT,
                repositoryName: input.repositoryName,
                imageDigest: image.digest,
                ...(image.tags !== undefined && { imageTags: image.tags }),
                imagePushedAt: image.pushedAt,
              },
            ],
      ...(at + 1 < images.length && { nextToken: String(at + 1) }),
    };
  });
}

/** Before each test: a database of the dialect, a runtime harness over it, and one registry. */
async function openEcrTest(dialect: TestDialect, input: RegistryInput) {
  const database = await dialect.open();
  const harness = await openRuntimeHarness(database);
  return { database, harness, registry: await database.store.createRegistry(input, T0) };
}

/** After each test: the AWS mocks and caches forgotten, then the harness and database closed (when opened). */
async function closeEcrTest(opened: { harness: RuntimeHarness; database: TestDatabase } | undefined): Promise<void> {
  ecrMock.reset();
  stsMock.reset();
  forgetAssumedRoles();
  forgetEcrCredentials();
  if (opened === undefined) return;
  await opened.harness.close();
  await opened.database.cleanup();
}

describe.each(dialects)('ECR discovery on $name', (dialect) => {
  const run = dialect.skipReason === undefined ? it : it.skip;
  let database: TestDatabase;
  let harness: RuntimeHarness;
  let registry: Registry;

  beforeEach(async () => {
    if (dialect.skipReason !== undefined) return;
    ({ database, harness, registry } = await openEcrTest(dialect, {
      name: 'prod-ecr',
      url: `https://${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com`,
      kind: 'ecr',
      region: 'us-west-2',
      awsAccountId: ACCOUNT,
      production: true,
    }));
  });
  afterEach(async () => {
    await closeEcrTest(dialect.skipReason === undefined ? { harness, database } : undefined);
  });

  run('queues tagged and untagged digests with their push time; a digest ECR stops listing is archived', async () => {
    const pushed = new Date('2026-10-01T12:00:00Z');
    serve({
      'test/ubuntu': [
        { digest: digestOf(1), tags: ['16.04', 'latest'], pushedAt: pushed },
        { digest: digestOf(2), pushedAt: pushed },
      ],
      'other/app': [{ digest: digestOf(3), tags: ['v1'], pushedAt: pushed }],
    });
    const queue = createSqliteQueue(harness.ctx);
    // the ECR continuous-scan shape: account and region, no registry URL
    const config = await database.store.createConfig(
      { region: 'us-west-2', registry: ACCOUNT, repositoryPattern: 'test/*' },
      T0,
    );
    const first = await discover(harness.ctx, config, queue, loadEcr);
    expect(first).toEqual({ repositories: 1, tags: 2, queued: 2, moved: 0, archived: 0 });
    expect((await database.store.getImages(digestOf(2)))[0]).toMatchObject({
      registryId: registry.id,
      repository: 'test/ubuntu',
      pushedAt: pushed,
    });
    expect(ecrMock.commandCalls(ecr.DescribeImagesCommand)).toHaveLength(2);
    expect(ecrMock.commandCalls(ecr.DescribeRepositoriesCommand)[0]?.args[0].input).toMatchObject({
      registryId: ACCOUNT,
    });
    // no role on the registry: the default chain's own identity, no STS
    expect(stsMock.calls()).toHaveLength(0);

    // latest moves to a new image, the old one is deleted from ECR
    serve({
      'test/ubuntu': [
        { digest: digestOf(4), tags: ['latest'], pushedAt: new Date('2026-10-20T00:00:00Z') },
        { digest: digestOf(2), pushedAt: pushed },
      ],
    });
    const second = await discover(harness.ctx, config, queue, loadEcr);
    expect(second).toMatchObject({ queued: 1, moved: 1, archived: 1 });
    expect((await database.store.getImages(digestOf(1)))[0]?.archivedAt).toEqual(T0);
    expect((await database.store.getImages(digestOf(2)))[0]?.archivedAt).toBeUndefined();
  });

  run('a tag list leaves untagged images out', async () => {
    serve({
      'test/ubuntu': [
        { digest: digestOf(1), tags: ['16.04'], pushedAt: T0 },
        { digest: digestOf(2), pushedAt: T0 },
      ],
    });
    const config = await database.store.createConfig(
      { region: 'us-west-2', registry: ACCOUNT, repository: 'test/ubuntu', tags: ['16.04', 'latest'] },
      T0,
    );
    const result = await discover(harness.ctx, config, createSqliteQueue(harness.ctx), loadEcr);
    expect(result).toMatchObject({ repositories: 1, tags: 1, queued: 1 });
    expect(await database.store.getImages(digestOf(2))).toEqual([]);
    expect(ecrMock.commandCalls(ecr.DescribeRepositoriesCommand)).toHaveLength(0);
  });
});

const ROLE_ACCOUNT = '210987654321';
const ROLE = `arn:aws:iam::${ROLE_ACCOUNT}:role/vigil-reader`;
const HOUR = 3_600_000;

/** an AssumeRole answer whose session ends at `expiresAt` */
const session = (key: string, expiresAt: Date) => ({
  Credentials: {
    AccessKeyId: `ASIA${key}`,
    SecretAccessKey: `secret-${key}`,
    SessionToken: `token-${key}`,
    Expiration: expiresAt,
  },
});

describe.each(dialects)('ECR discovery through an assumed role on $name', (dialect) => {
  const run = dialect.skipReason === undefined ? it : it.skip;
  let database: TestDatabase;
  let harness: RuntimeHarness;
  let registry: Registry;

  beforeEach(async () => {
    if (dialect.skipReason !== undefined) return;
    // another account, reached through a role its owners created for Vigil
    ({ database, harness, registry } = await openEcrTest(dialect, {
      name: 'payments-ecr',
      url: `https://${ROLE_ACCOUNT}.dkr.ecr.eu-central-1.amazonaws.com`,
      kind: 'ecr',
      region: 'eu-central-1',
      awsAccountId: ROLE_ACCOUNT,
      awsRoleArn: ROLE,
    }));
  });
  afterEach(async () => {
    await closeEcrTest(dialect.skipReason === undefined ? { harness, database } : undefined);
  });

  const config = () =>
    database.store.createConfig({ region: 'eu-central-1', registry: ROLE_ACCOUNT, repositoryPattern: 'pay/*' }, T0);

  run('assumes the role in the registry region and sends every ECR call with its credentials', async () => {
    stsMock.on(AssumeRoleCommand).resolves(session('PAY', new Date(T0.getTime() + HOUR)));
    const signers: string[] = [];
    serve({ 'pay/api': [{ digest: digestOf(1), tags: ['v1'], pushedAt: T0 }] }, signers);
    const result = await discover(harness.ctx, await config(), createSqliteQueue(harness.ctx), loadEcr);
    expect(result).toMatchObject({ repositories: 1, queued: 1 });
    expect(stsMock.commandCalls(AssumeRoleCommand).map((call) => call.args[0].input)).toEqual([
      { RoleArn: ROLE, RoleSessionName: 'vigil' },
    ]);
    expect(await stsMock.call(0).thisValue.config.region()).toBe('eu-central-1');
    expect(await ecrMock.call(0).thisValue.config.region()).toBe('eu-central-1');
    // DescribeRepositories, then DescribeImages for pay/api
    expect(signers).toEqual(['ASIAPAY', 'ASIAPAY']);
  });

  run('reuses the session while it lasts and assumes the role again before it expires', async () => {
    stsMock
      .on(AssumeRoleCommand)
      .resolvesOnce(session('FIRST', new Date(T0.getTime() + HOUR)))
      .resolves(session('SECOND', new Date(T0.getTime() + 3 * HOUR)));
    const signers: string[] = [];
    serve({ 'pay/api': [{ digest: digestOf(1), tags: ['v1'], pushedAt: T0 }] }, signers);
    const queue = createSqliteQueue(harness.ctx);
    const watched = await config();
    await discover(harness.ctx, watched, queue, loadEcr);
    harness.setNow(new Date(T0.getTime() + 30 * 60_000));
    await discover(harness.ctx, watched, queue, loadEcr);
    expect(stsMock.commandCalls(AssumeRoleCommand)).toHaveLength(1);
    // 55 minutes in: less than 10 minutes left on the first session
    harness.setNow(new Date(T0.getTime() + 55 * 60_000));
    await discover(harness.ctx, watched, queue, loadEcr);
    expect(stsMock.commandCalls(AssumeRoleCommand)).toHaveLength(2);
    expect(signers).toEqual(['ASIAFIRST', 'ASIAFIRST', 'ASIAFIRST', 'ASIAFIRST', 'ASIASECOND', 'ASIASECOND']);
  });

  run(
    'a refused AssumeRole fails discovery of that registry, naming it and the role, before any ECR call',
    async () => {
      const denied = Object.assign(
        new Error(`User: arn:aws:iam::${ACCOUNT}:user/vigil is not authorized to perform: sts:AssumeRole`),
        { name: 'AccessDenied' },
      );
      stsMock.on(AssumeRoleCommand).rejects(denied);
      serve({ 'pay/api': [{ digest: digestOf(1), tags: ['v1'], pushedAt: T0 }] });
      const failure = discover(harness.ctx, await config(), createSqliteQueue(harness.ctx), loadEcr);
      await expect(failure).rejects.toMatchObject({
        code: 'VIGIL_REGISTRY_DENIED',
        message: `AWS refused sts:AssumeRole of ${ROLE} for registry payments-ecr (AccessDenied)`,
      });
      expect(ecrMock.calls()).toHaveLength(0);
      expect(await database.store.getImages(digestOf(1))).toEqual([]);
    },
  );

  run('says the optional STS SDK is missing', async () => {
    const missing = () =>
      Promise.reject(Object.assign(new Error('Cannot find package'), { code: 'ERR_MODULE_NOT_FOUND' }));
    const failure = discoverEcr(
      harness.ctx,
      await config(),
      registry,
      createSqliteQueue(harness.ctx),
      () => true,
      loadEcr,
      missing,
    );
    await expect(failure).rejects.toMatchObject({
      code: 'VIGIL_AWS_SDK_MISSING',
      message: expect.stringContaining('@aws-sdk/client-sts'),
    });
  });

  run("a scan's registry login assumes the same role", async () => {
    stsMock.on(AssumeRoleCommand).resolves(session('PAY', new Date(T0.getTime() + HOUR)));
    ecrMock.on(ecr.GetAuthorizationTokenCommand).callsFake(async (_input, getClient: () => ecr.ECRClient) => {
      const identity = await getClient().config.credentials();
      const token = Buffer.from(`AWS:${identity.accessKeyId}`).toString('base64');
      return { authorizationData: [{ authorizationToken: token, expiresAt: new Date(T0.getTime() + 12 * HOUR) }] };
    });
    const access = registryAccess(harness.ctx, registry);
    expect(access.options).toMatchObject({ awsRoleArn: ROLE, awsRegion: 'eu-central-1' });
    const login = await resolveCredentials(access.host, { ...access.options, env: {}, dockerConfig: '/nonexistent' });
    expect(login).toEqual({ username: 'AWS', password: 'ASIAPAY', origin: 'aws-ecr' });
    expect(stsMock.commandCalls(AssumeRoleCommand)[0]?.args[0].input).toEqual({
      RoleArn: ROLE,
      RoleSessionName: 'vigil',
    });
  });
});
