import { VigilError } from '../../core/errors.ts';
import { assumedRoleProvider, type LoadStsSdk } from './aws-assume-role.ts';

/**
 * AWS ECR: registries `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]` take the user "AWS" and a
 * 12-hour password from ecr:GetAuthorizationToken. The SDK is an optional dependency, loaded only
 * when an ECR host is scanned, and it finds AWS credentials through its standard chain (env,
 * shared config/SSO, web identity, container and instance metadata). A registry that names an IAM
 * role logs in with that role's temporary credentials (aws-assume-role.ts).
 */

export type EcrSdk = Pick<typeof import('@aws-sdk/client-ecr'), 'ECRClient' | 'GetAuthorizationTokenCommand'>;
export type LoadEcrSdk = () => Promise<EcrSdk>;

const ECR_HOST = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;

export function parseEcrHost(registry: string): { account: string; region: string } | undefined {
  const match = ECR_HOST.exec(registry.toLowerCase());
  return match === null ? undefined : { account: match[1]!, region: match[2]! };
}

export function isEcrRegistry(registry: string): boolean {
  return parseEcrHost(registry) !== undefined;
}

const loadSdk: LoadEcrSdk = () => import('@aws-sdk/client-ecr');

function isModuleMissing(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

interface CachedLogin {
  readonly credentials: { username: string; password: string };
  readonly expiresAt: number;
}

/**
 * ECR logins last 12 hours; every image of a watched registry would otherwise cost an STS/ECR round
 * trip. Renewed 10 minutes before AWS says they expire.
 */
const logins = new Map<string, Promise<CachedLogin>>();
const RENEW_BEFORE_MS = 10 * 60 * 1000;
const ASSUMED_LIFETIME_MS = 60 * 60 * 1000;

export function forgetEcrCredentials(): void {
  logins.clear();
}

export interface EcrLoginOptions {
  /** IAM role assumed (STS AssumeRole) before GetAuthorizationToken; absent: the default chain's identity */
  readonly roleArn?: string;
  /** where STS is called; default the region in the host name */
  readonly region?: string;
  /** replaced in tests; default `import('@aws-sdk/client-ecr')` */
  readonly loadEcrSdk?: LoadEcrSdk;
  /** replaced in tests; default `import('@aws-sdk/client-sts')` */
  readonly loadStsSdk?: LoadStsSdk;
  readonly now?: () => number;
}

/**
 * The "AWS" login for an ECR registry, cached per registry and role until shortly before it
 * expires: two registries on one host with different roles may see different repositories.
 */
export async function ecrCredentials(
  registry: string,
  options: EcrLoginOptions = {},
): Promise<{ username: string; password: string }> {
  const now = options.now ?? Date.now;
  const key = `${registry.toLowerCase()}\n${options.roleArn ?? ''}`;
  const cached = logins.get(key);
  if (cached !== undefined) {
    const login = await cached.catch(() => undefined);
    if (login !== undefined && login.expiresAt > now()) return login.credentials;
    if (logins.get(key) === cached) logins.delete(key);
  }
  const pending = login(registry, options, now);
  logins.set(key, pending);
  pending.catch(() => {
    if (logins.get(key) === pending) logins.delete(key);
  });
  return (await pending).credentials;
}

async function login(registry: string, options: EcrLoginOptions, now: () => number): Promise<CachedLogin> {
  const host = parseEcrHost(registry);
  if (host === undefined) {
    throw new VigilError('VIGIL_INTERNAL', `${registry} is not an ECR registry`, { registry });
  }
  let sdk: EcrSdk;
  try {
    sdk = await (options.loadEcrSdk ?? loadSdk)();
  } catch (err) {
    if (!isModuleMissing(err)) throw err;
    throw new VigilError(
      'VIGIL_AWS_SDK_MISSING',
      `scanning ${registry} needs the optional package @aws-sdk/client-ecr (npm install @aws-sdk/client-ecr), or pass registry credentials`,
      { registry },
    );
  }
  const credentials =
    options.roleArn === undefined
      ? undefined
      : assumedRoleProvider({
          roleArn: options.roleArn,
          region: options.region ?? host.region,
          registry,
          now,
          ...(options.loadStsSdk !== undefined && { loadSts: options.loadStsSdk }),
        });
  // a refused AssumeRole surfaces as itself, naming the role, before ECR is asked anything
  if (credentials !== undefined) await credentials();
  const client = new sdk.ECRClient({ region: host.region, ...(credentials !== undefined && { credentials }) });
  try {
    const answer = await client.send(new sdk.GetAuthorizationTokenCommand({}));
    const data = answer.authorizationData?.[0];
    const token = data?.authorizationToken;
    const decoded = token === undefined ? '' : Buffer.from(token, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) {
      throw new VigilError('VIGIL_REGISTRY_PROTOCOL', `ECR GetAuthorizationToken for ${registry} returned no token`, {
        registry,
      });
    }
    const expiry = data?.expiresAt instanceof Date ? data.expiresAt.getTime() : now() + ASSUMED_LIFETIME_MS;
    return {
      credentials: { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) },
      expiresAt: expiry - RENEW_BEFORE_MS,
    };
  } catch (err) {
    if (err instanceof VigilError) throw err;
    throw ecrError(registry, options.roleArn, err);
  } finally {
    client.destroy();
  }
}

function ecrError(registry: string, roleArn: string | undefined, err: unknown): VigilError {
  const name = (err as { name?: unknown } | null)?.name;
  const errorName = typeof name === 'string' ? name : 'Error';
  const context = { registry, awsError: errorName, ...(roleArn !== undefined && { roleArn }) };
  const as = roleArn === undefined ? '' : ` as ${roleArn}`;
  if (errorName === 'CredentialsProviderError') {
    return new VigilError(
      'VIGIL_REGISTRY_UNAUTHORIZED',
      `no AWS credentials found to log in to ${registry} (set AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a role)`,
      context,
      { cause: err },
    );
  }
  if (/AccessDenied|UnrecognizedClient|InvalidSignature|ExpiredToken/.test(errorName)) {
    return new VigilError(
      'VIGIL_REGISTRY_DENIED',
      `AWS refused ecr:GetAuthorizationToken for ${registry}${as} (${errorName})`,
      context,
      { cause: err },
    );
  }
  return new VigilError(
    'VIGIL_REGISTRY_UNREACHABLE',
    `cannot get an ECR token for ${registry}${as} (${errorName})`,
    context,
    { cause: err },
  );
}
