/**
 * The OCI Distribution API v2 client behind `registry:` references.
 *
 * - Transport: https always; plain http only with `insecure` (no automatic fallback, and loopback
 *   hosts are not special-cased, as with skopeo's --tls-verify=false and go-containerregistry's
 *   name.Insecure). Self-signed TLS is not skipped: trust its CA with NODE_EXTRA_CA_CERTS.
 * - Credentials, first found wins: options, VIGIL_REGISTRY_USERNAME/VIGIL_REGISTRY_PASSWORD,
 *   docker config.json `auths` ($DOCKER_CONFIG or ~/.docker), then AWS ECR through the optional
 *   @aws-sdk/client-ecr. With `awsRoleArn` an ECR host logs in as that IAM role (STS AssumeRole
 *   through the optional @aws-sdk/client-sts) before env and docker config are consulted.
 *   Credential helpers (credsStore/credHelpers) are not run.
 * - Bounds: manifests 4 MiB, configs 16 MiB, blobs their declared size, 5 redirects, 4 retries.
 */
export { RegistryAuth } from './auth.ts';
export {
  type AssumedRoleCredentials,
  type AssumeRoleRequest,
  assumedRoleProvider,
  assumeRole,
  forgetAssumedRoles,
  type LoadStsSdk,
  ROLE_SESSION_NAME,
} from './aws-assume-role.ts';
export { type Challenge, parseWwwAuthenticate } from './challenge.ts';
export { type FetchedManifest, MANIFEST_SIZE_LIMIT, RegistryClient, type RegistryClientOptions } from './client.ts';
export {
  type CredentialOptions,
  type Credentials,
  dockerConfigCredentials,
  resolveCredentials,
} from './credentials.ts';
export { isEcrRegistry, parseEcrHost } from './ecr.ts';
export { layerCompression, MediaType, selectPlatform } from './manifest.ts';
export { type PushResult, pushOciLayout } from './push.ts';
export { resolveRegistryImage } from './resolve.ts';
export { createRegistrySource, RegistrySource, type RegistrySourceOptions } from './source.ts';
