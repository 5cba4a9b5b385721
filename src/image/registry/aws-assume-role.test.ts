/**
 * STS AssumeRole for ECR registries in other accounts. AWS cannot be reached from these machines:
 * STS is replaced by aws-sdk-client-mock, which answers as AssumeRole documents.
 */
import { AssumeRoleCommand, type AssumeRoleCommandOutput, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { assumedRoleProvider, assumeRole, forgetAssumedRoles } from './aws-assume-role.ts';

const sts = mockClient(STSClient);
const ROLE = 'arn:aws:iam::210987654321:role/vigil-reader';
const T0 = Date.UTC(2030, 0, 1, 0);
const MINUTE = 60_000;

/** an AssumeRole answer whose session expires `minutes` after T0 */
function session(key: string, minutes: number): Partial<AssumeRoleCommandOutput> {
  return {
    Credentials: {
      AccessKeyId: `ASIA${key}`,
      SecretAccessKey: `secret-${key}`,
      SessionToken: `token-${key}`,
      Expiration: new Date(T0 + minutes * MINUTE),
    },
  };
}

afterEach(() => {
  sts.reset();
  forgetAssumedRoles();
});

describe('assumeRole', () => {
  it('asks STS in the registry region for the role, with the session name vigil', async () => {
    sts.on(AssumeRoleCommand).resolves(session('ONE', 60));
    const credentials = await assumeRole({ roleArn: ROLE, region: 'eu-west-3', registry: 'prod', now: () => T0 });
    expect(credentials).toEqual({
      accessKeyId: 'ASIAONE',
      secretAccessKey: 'secret-ONE',
      sessionToken: 'token-ONE',
      expiration: new Date(T0 + 60 * MINUTE),
    });
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
    expect(sts.call(0).args[0].input).toEqual({ RoleArn: ROLE, RoleSessionName: 'vigil' });
    const client = sts.call(0).thisValue as STSClient;
    expect(await client.config.region()).toBe('eu-west-3');
  });

  // renewal is 10 minutes before the Expiration STS answers, whatever the session length
  it.each([
    { sessionMinutes: 60, stillCachedAt: 49, renewedAt: 51 },
    { sessionMinutes: 15, stillCachedAt: 4, renewedAt: 6 },
    { sessionMinutes: 720, stillCachedAt: 709, renewedAt: 711 },
  ])(
    'a $sessionMinutes-minute session is reused at +$stillCachedAt min and renewed at +$renewedAt min',
    async ({ sessionMinutes, stillCachedAt, renewedAt }) => {
      sts
        .on(AssumeRoleCommand)
        .resolvesOnce(session('FIRST', sessionMinutes))
        .resolves(session('SECOND', 2 * sessionMinutes));
      let clock = T0;
      const provider = assumedRoleProvider({ roleArn: ROLE, region: 'us-east-1', registry: 'prod', now: () => clock });
      expect((await provider()).accessKeyId).toBe('ASIAFIRST');
      clock = T0 + stillCachedAt * MINUTE;
      expect((await provider()).accessKeyId).toBe('ASIAFIRST');
      expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
      clock = T0 + renewedAt * MINUTE;
      expect((await provider()).accessKeyId).toBe('ASIASECOND');
      expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
    },
  );

  it('keeps one session per role and region, shared by registries that name both', async () => {
    sts.on(AssumeRoleCommand).callsFake((input: { RoleArn: string }) => session(input.RoleArn.slice(-3), 60));
    const other = 'arn:aws:iam::210987654321:role/vigil-two';
    const now = () => T0;
    await assumeRole({ roleArn: ROLE, region: 'us-east-1', registry: 'a', now });
    await assumeRole({ roleArn: ROLE, region: 'us-east-1', registry: 'b', now });
    await assumeRole({ roleArn: ROLE, region: 'eu-west-1', registry: 'c', now });
    expect((await assumeRole({ roleArn: other, region: 'us-east-1', registry: 'd', now })).accessKeyId).toBe('ASIAtwo');
    expect(sts.commandCalls(AssumeRoleCommand).map((call) => call.args[0].input.RoleArn)).toEqual([ROLE, ROLE, other]);
  });

  it.each([
    [
      Object.assign(new Error('User: arn:aws:iam::123456789012:user/ci is not authorized'), { name: 'AccessDenied' }),
      'VIGIL_REGISTRY_DENIED',
      `AWS refused sts:AssumeRole of ${ROLE} for registry prod-eu (AccessDenied)`,
    ],
    [
      Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }),
      'VIGIL_REGISTRY_UNAUTHORIZED',
      `no AWS credentials found to assume ${ROLE} for registry prod-eu`,
    ],
    [
      Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }),
      'VIGIL_REGISTRY_UNREACHABLE',
      `cannot assume ${ROLE} for registry prod-eu (TimeoutError)`,
    ],
  ])('maps %s to %s, naming registry and role', async (error, code, message) => {
    sts.on(AssumeRoleCommand).rejects(error);
    const failure = assumeRole({ roleArn: ROLE, region: 'eu-west-1', registry: 'prod-eu' });
    await expect(failure).rejects.toMatchObject({
      code,
      message: expect.stringContaining(message),
      context: expect.objectContaining({ registry: 'prod-eu', roleArn: ROLE }),
    });
  });

  it('does not remember a failure: the next call asks STS again', async () => {
    sts
      .on(AssumeRoleCommand)
      .rejectsOnce(Object.assign(new Error('denied'), { name: 'AccessDenied' }))
      .resolves(session('LATER', 60));
    const request = { roleArn: ROLE, region: 'us-east-1', registry: 'prod', now: () => T0 };
    await expect(assumeRole(request)).rejects.toMatchObject({ code: 'VIGIL_REGISTRY_DENIED' });
    expect((await assumeRole(request)).accessKeyId).toBe('ASIALATER');
  });

  it('rejects an answer without credentials', async () => {
    sts.on(AssumeRoleCommand).resolves({});
    await expect(assumeRole({ roleArn: ROLE, region: 'us-east-1', registry: 'prod' })).rejects.toMatchObject({
      code: 'VIGIL_REGISTRY_PROTOCOL',
      message: expect.stringContaining(ROLE),
    });
  });

  it('says the optional STS SDK is missing', async () => {
    const missing = () =>
      Promise.reject(Object.assign(new Error('Cannot find package'), { code: 'ERR_MODULE_NOT_FOUND' }));
    await expect(
      assumeRole({ roleArn: ROLE, region: 'us-east-1', registry: 'prod', loadSts: missing }),
    ).rejects.toMatchObject({
      code: 'VIGIL_AWS_SDK_MISSING',
      message: expect.stringContaining('@aws-sdk/client-sts'),
    });
  });
});
