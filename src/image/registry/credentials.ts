import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DOCKER_HUB_REGISTRY } from '../reference.ts';
import type { LoadStsSdk } from './aws-assume-role.ts';
import { ecrCredentials, isEcrRegistry, type LoadEcrSdk } from './ecr.ts';

/** Basic credentials: a password, or a personal access token given as one (GHCR, Docker Hub, Harbor, Quay). */
export interface BasicCredentials {
  readonly username: string;
  readonly password: string;
}

/**
 * A registry token: presented as `Authorization: Bearer` to the registry as it is, with no trip to
 * the token service (docker config.json `registrytoken`). Its scopes are whatever it was issued with.
 */
export interface RegistryTokenCredentials {
  readonly registryToken: string;
}

/**
 * An OAuth2 refresh token (docker config.json `identitytoken`, what `docker login` keeps for Azure
 * Container Registry and other OAuth registries): traded at the token service for an access token
 * per scope set (distribution docs/spec/auth/oauth.md).
 */
export interface IdentityTokenCredentials {
  readonly identityToken: string;
}

export type Credentials = BasicCredentials | RegistryTokenCredentials | IdentityTokenCredentials;

export interface CredentialOptions {
  readonly username?: string;
  readonly password?: string;
  /** see RegistryTokenCredentials */
  readonly registryToken?: string;
  /** see IdentityTokenCredentials */
  readonly identityToken?: string;
  readonly dockerConfig?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** ECR: the IAM role to log in as (a stored registry's awsRoleArn) */
  readonly awsRoleArn?: string;
  /** ECR: the region STS is called in for awsRoleArn; default the host's */
  readonly awsRegion?: string;
  /** replaced in tests; defaults to `import('@aws-sdk/client-ecr')` */
  readonly loadEcrSdk?: LoadEcrSdk;
  /** replaced in tests; defaults to `import('@aws-sdk/client-sts')` */
  readonly loadStsSdk?: LoadStsSdk;
}

/** Where credentials came from; logged and shown in messages instead of the secret itself. */
export type CredentialOrigin = 'options' | 'env' | 'docker-config' | 'aws-ecr';

export type ResolvedCredentials = Credentials & { readonly origin: CredentialOrigin };

const CONFIG_SIZE_LIMIT = 1024 * 1024;
const DOCKER_HUB_KEYS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** docker config.json `auths` keys come as "https://index.docker.io/v1/", "host:port", "http://host/". */
export function normalizeAuthKey(key: string): string {
  const host = key
    .trim()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
  return DOCKER_HUB_KEYS.has(host) ? DOCKER_HUB_REGISTRY : host;
}

function decodeAuthField(auth: string): BasicCredentials | undefined {
  const decoded = Buffer.from(auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1).replace(/\n$/, '') };
}

export function dockerConfigPath(options: CredentialOptions): string {
  if (options.dockerConfig !== undefined) return options.dockerConfig;
  const env = options.env ?? process.env;
  const dir = env.DOCKER_CONFIG ?? join(env.HOME ?? homedir(), '.docker');
  return join(dir, 'config.json');
}

/**
 * Credentials for `registry` from a docker config.json `auths` map: `registrytoken`, else
 * `identitytoken`, else basic (`auth` = base64 "user:pass", or `username`/`password`), the order
 * Docker's own client uses. A missing or unreadable file means "no credentials": public images
 * must stay pullable when a developer's config is broken. Credential helpers (`credsStore`,
 * `credHelpers`) are not consulted.
 */
export async function dockerConfigCredentials(path: string, registry: string): Promise<Credentials | undefined> {
  let text: string;
  try {
    const info = await stat(path);
    if (!info.isFile() || info.size > CONFIG_SIZE_LIMIT) return undefined;
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch {
    return undefined;
  }
  const auths = (config as { auths?: unknown } | null)?.auths;
  if (typeof auths !== 'object' || auths === null) return undefined;
  const wanted = normalizeAuthKey(registry);
  for (const [key, entry] of Object.entries(auths as Record<string, unknown>)) {
    if (normalizeAuthKey(key) !== wanted || typeof entry !== 'object' || entry === null) continue;
    const { auth, username, password, registrytoken, identitytoken } = entry as Record<string, unknown>;
    if (typeof registrytoken === 'string' && registrytoken !== '') return { registryToken: registrytoken };
    if (typeof identitytoken === 'string' && identitytoken !== '') return { identityToken: identitytoken };
    if (typeof auth === 'string' && auth !== '') {
      const decoded = decodeAuthField(auth);
      if (decoded !== undefined) return decoded;
    }
    if (typeof username === 'string' && typeof password === 'string' && username !== '') {
      return { username, password };
    }
  }
  return undefined;
}

/**
 * The credentials to present to `registry`, first found wins: explicit options (a registry token,
 * an identity token, or username and password), the VIGIL_REGISTRY_TOKEN or
 * VIGIL_REGISTRY_USERNAME/VIGIL_REGISTRY_PASSWORD environment, docker config.json, and for ECR hosts
 * a token from the AWS SDK's standard credential chain. An ECR host with `awsRoleArn` goes to AWS
 * right after explicit options: the role was named for this registry, and a docker config entry for
 * an ECR host is usually a stale `docker login`. `undefined` means anonymous.
 */
export async function resolveCredentials(
  registry: string,
  options: CredentialOptions,
): Promise<ResolvedCredentials | undefined> {
  if (options.registryToken !== undefined) return { registryToken: options.registryToken, origin: 'options' };
  if (options.identityToken !== undefined) return { identityToken: options.identityToken, origin: 'options' };
  if (options.username !== undefined && options.password !== undefined) {
    return { username: options.username, password: options.password, origin: 'options' };
  }
  const ecr = isEcrRegistry(registry);
  if (ecr && options.awsRoleArn !== undefined) return ecrLogin(registry, options);
  const env = options.env ?? process.env;
  if (env.VIGIL_REGISTRY_TOKEN) return { registryToken: env.VIGIL_REGISTRY_TOKEN, origin: 'env' };
  const envUser = env.VIGIL_REGISTRY_USERNAME;
  const envPassword = env.VIGIL_REGISTRY_PASSWORD;
  if (envUser && envPassword !== undefined) {
    return { username: envUser, password: envPassword, origin: 'env' };
  }
  const fromConfig = await dockerConfigCredentials(dockerConfigPath(options), registry);
  if (fromConfig !== undefined) return { ...fromConfig, origin: 'docker-config' };
  if (ecr) return ecrLogin(registry, options);
  return undefined;
}

async function ecrLogin(registry: string, options: CredentialOptions): Promise<ResolvedCredentials> {
  const login = await ecrCredentials(registry, {
    ...(options.awsRoleArn !== undefined && { roleArn: options.awsRoleArn }),
    ...(options.awsRegion !== undefined && { region: options.awsRegion }),
    ...(options.loadEcrSdk !== undefined && { loadEcrSdk: options.loadEcrSdk }),
    ...(options.loadStsSdk !== undefined && { loadStsSdk: options.loadStsSdk }),
  });
  return { ...login, origin: 'aws-ecr' };
}
