import { VigilError } from '../../core/errors.ts';

/**
 * STS AssumeRole for ECR registries in other AWS accounts: a registry that names an IAM role is
 * read with that role's temporary credentials, so one Vigil identity (the SDK's default chain: env,
 * shared config/SSO, web identity, container or instance metadata) can watch many accounts. The
 * SDK is the optional @aws-sdk/client-sts, loaded only when a role is assumed.
 */

export type StsSdk = Pick<typeof import('@aws-sdk/client-sts'), 'STSClient' | 'AssumeRoleCommand'>;
export type LoadStsSdk = () => Promise<StsSdk>;

const loadSts: LoadStsSdk = () => import('@aws-sdk/client-sts');

/** what CloudTrail shows in the role's sessions */
export const ROLE_SESSION_NAME = 'vigil';

export interface AssumedRoleCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

export interface AssumeRoleRequest {
  readonly roleArn: string;
  /** the registry's region: STS is called at its regional endpoint */
  readonly region: string;
  /** how errors name the registry the role is assumed for */
  readonly registry: string;
  /** replaced in tests; defaults to `import('@aws-sdk/client-sts')` */
  readonly loadSts?: LoadStsSdk;
  readonly now?: () => number;
}

/**
 * Renewed 10 minutes before STS's Expiration. The SDK asks its credentials provider again once its
 * copy is within 5 minutes of expiring; by then this cache already holds the next session.
 */
const RENEW_BEFORE_MS = 10 * 60 * 1000;
/** AssumeRole always answers an Expiration; without one, the shortest session STS grants (900 s) */
const SHORTEST_SESSION_MS = 15 * 60 * 1000;

interface CachedSession {
  readonly credentials: AssumedRoleCredentials;
  readonly renewAt: number;
}

/** keyed by region and role: registries sharing both share one session */
const sessions = new Map<string, Promise<CachedSession>>();

export function forgetAssumedRoles(): void {
  sessions.clear();
}

/** Temporary credentials of `roleArn`, from the cache while they have more than 10 minutes left. */
export async function assumeRole(request: AssumeRoleRequest): Promise<AssumedRoleCredentials> {
  const now = request.now ?? Date.now;
  const key = `${request.region}\n${request.roleArn}`;
  const cached = sessions.get(key);
  if (cached !== undefined) {
    const session = await cached.catch(() => undefined);
    if (session !== undefined && session.renewAt > now()) return session.credentials;
    if (sessions.get(key) === cached) sessions.delete(key);
  }
  const pending = startSession(request, now);
  sessions.set(key, pending);
  pending.catch(() => {
    if (sessions.get(key) === pending) sessions.delete(key);
  });
  try {
    return (await pending).credentials;
  } catch (err) {
    // mapped per caller: a session two registries wait on names the one that asked
    throw assumeRoleError(request, err);
  }
}

/**
 * An AWS SDK credentials provider (`new ECRClient({ credentials })`) for the role: every call the
 * client signs uses the cached session, and a long-lived client gets the renewed one.
 */
export function assumedRoleProvider(request: AssumeRoleRequest): () => Promise<AssumedRoleCredentials> {
  return () => assumeRole(request);
}

/** raised inside the shared session and turned into a VigilError for each caller */
class SdkMissing extends Error {}
class NoCredentialsIssued extends Error {}

async function startSession(request: AssumeRoleRequest, now: () => number): Promise<CachedSession> {
  let sdk: StsSdk;
  try {
    sdk = await (request.loadSts ?? loadSts)();
  } catch (err) {
    if (!isModuleMissing(err)) throw err;
    throw new SdkMissing('missing', { cause: err });
  }
  // no credentials given: the base identity comes from the SDK's default chain
  const client = new sdk.STSClient({ region: request.region });
  try {
    const answer = await client.send(
      new sdk.AssumeRoleCommand({ RoleArn: request.roleArn, RoleSessionName: ROLE_SESSION_NAME }),
    );
    const issued = answer.Credentials;
    if (
      issued?.AccessKeyId === undefined ||
      issued.SecretAccessKey === undefined ||
      issued.SessionToken === undefined
    ) {
      throw new NoCredentialsIssued('AssumeRole answered without credentials');
    }
    const expiration = issued.Expiration instanceof Date ? issued.Expiration : new Date(now() + SHORTEST_SESSION_MS);
    return {
      credentials: {
        accessKeyId: issued.AccessKeyId,
        secretAccessKey: issued.SecretAccessKey,
        sessionToken: issued.SessionToken,
        expiration,
      },
      renewAt: expiration.getTime() - RENEW_BEFORE_MS,
    };
  } finally {
    client.destroy();
  }
}

function isModuleMissing(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

/** Names the registry, the role and AWS's error name; never AWS's message or any credential. */
function assumeRoleError(request: AssumeRoleRequest, err: unknown): VigilError {
  const { registry, roleArn } = request;
  if (err instanceof SdkMissing) {
    return new VigilError(
      'VIGIL_AWS_SDK_MISSING',
      `registry ${registry} assumes ${roleArn}, which needs the optional package @aws-sdk/client-sts (npm install @aws-sdk/client-sts)`,
      { registry, roleArn },
      { cause: err.cause },
    );
  }
  if (err instanceof NoCredentialsIssued) {
    return new VigilError(
      'VIGIL_REGISTRY_PROTOCOL',
      `STS AssumeRole of ${roleArn} for registry ${registry} returned no credentials`,
      { registry, roleArn },
    );
  }
  const name = (err as { name?: unknown } | null)?.name;
  const awsError = typeof name === 'string' ? name : 'Error';
  const context = { registry, roleArn, awsError };
  if (awsError === 'CredentialsProviderError') {
    return new VigilError(
      'VIGIL_REGISTRY_UNAUTHORIZED',
      `no AWS credentials found to assume ${roleArn} for registry ${registry} (set AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or run with an instance or task role)`,
      context,
      { cause: err },
    );
  }
  if (
    /AccessDenied|UnrecognizedClient|InvalidClientTokenId|InvalidSignature|ExpiredToken|RegionDisabled/.test(awsError)
  ) {
    return new VigilError(
      'VIGIL_REGISTRY_DENIED',
      `AWS refused sts:AssumeRole of ${roleArn} for registry ${registry} (${awsError})`,
      context,
      { cause: err },
    );
  }
  return new VigilError(
    'VIGIL_REGISTRY_UNREACHABLE',
    `cannot assume ${roleArn} for registry ${registry} (${awsError})`,
    context,
    { cause: err },
  );
}
