import { VigilError } from '../../core/errors.ts';
import { type CredentialOptions, RegistryClient, type RegistrySourceOptions } from '../../image/registry/index.ts';
import type { Registry, RegistryCredentials } from '../store/types.ts';
import type { RuntimeContext } from './context.ts';

/**
 * The purpose registry credentials are sealed under. The API seals them (src/api/admin-routes.ts,
 * CREDENTIALS_PURPOSE); the value must stay the same on both sides or no credential opens.
 */
const CREDENTIALS_PURPOSE = 'registry-credentials';

/** How to reach one stored registry: its host for image references, and the options to read it. */
export interface RegistryAccess {
  /** host[:port], as an image reference names the registry */
  readonly host: string;
  /** SourceOptions plus the registry client's own (an ECR registry's role) */
  readonly options: RegistrySourceOptions;
  client(): RegistryClient;
}

export function registryAccess(ctx: RuntimeContext, registry: Registry): RegistryAccess {
  let url: URL;
  try {
    url = new URL(registry.url);
  } catch {
    throw new VigilError('VIGIL_USAGE', `registry ${registry.name} has a URL that cannot be parsed`, {
      registryId: registry.id,
    });
  }
  const options: RegistrySourceOptions = {
    // a registry stored as http:// is one the operator chose to reach without TLS
    insecure: url.protocol === 'http:',
    ...credentialsOf(ctx, registry),
    ...ecrRoleOf(registry),
    ...ctx.sourceOptions?.(registry),
  };
  return {
    host: url.host,
    options,
    client: () => new RegistryClient(url.host, options),
  };
}

/**
 * A registry with a role logs in to ECR as that role (STS AssumeRole in the registry's region);
 * the registry client consults the role only for ECR hosts.
 */
function ecrRoleOf(registry: Registry): { awsRoleArn?: string; awsRegion?: string } {
  if (registry.awsRoleArn === undefined) return {};
  return {
    awsRoleArn: registry.awsRoleArn,
    ...(registry.region !== undefined && { awsRegion: registry.region }),
  };
}

function credentialsOf(ctx: RuntimeContext, registry: Registry): CredentialOptions {
  if (registry.credentials === undefined) return {};
  if (ctx.secretBox === undefined) {
    throw new VigilError(
      'VIGIL_USAGE',
      `registry ${registry.name} has stored credentials but VIGIL_SECRET_KEY is not set on this process`,
      { registryId: registry.id },
    );
  }
  const opened = JSON.parse(ctx.secretBox.open(registry.credentials, CREDENTIALS_PURPOSE)) as RegistryCredentials;
  if (opened.identityToken !== undefined) return { identityToken: opened.identityToken };
  if (opened.username !== undefined && (opened.password ?? opened.token) !== undefined) {
    // a personal access token given with a user name goes as the password (GHCR, Harbor robots, Quay)
    return { username: opened.username, password: opened.password ?? opened.token };
  }
  if (opened.token !== undefined) return { registryToken: opened.token };
  return {};
}
