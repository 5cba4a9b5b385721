/**
 * Every credential kind against a real docker-registry behind token auth (distribution 2.8 verifies
 * the ES256 tokens of ./support/token-service.ts through its rootcertbundle): Basic credentials
 * traded at the token service, an OAuth2 identity token traded with the refresh-token grant, and a
 * registry token sent as it is; from options, a docker config.json and a service's stored registry.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseImageRef } from '../src/image/reference.ts';
import { pushOciLayout, RegistryClient, type RegistryClientOptions } from '../src/image/registry/index.ts';
import type { RuntimeContext } from '../src/service/runtime/context.ts';
import { registryAccess } from '../src/service/runtime/registry-access.ts';
import { createSecretBox } from '../src/service/secrets.ts';
import type { Registry, RegistryCredentials } from '../src/service/store/types.ts';
import { buildImage } from './support/build-image.ts';
import { startRegistry, type TestRegistry } from './support/registry.ts';
import { startTokenService, type TokenService } from './support/token-service.ts';

const usable = existsSync('/usr/bin/docker-registry') && existsSync('/usr/bin/openssl');
const user = 'ci-pusher';
const password = 'pass-Zq81';
const refreshToken = 'refresh-Kx52-secret';

let work: string;
let tokens: TokenService;
let registry: TestRegistry;
let digest: string;

const client = (options: RegistryClientOptions) =>
  new RegistryClient(registry.host, { insecure: true, retries: 0, env: {}, dockerConfig: '/nonexistent', ...options });

describe.skipIf(!usable)('a registry behind token auth', () => {
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'vigil-token-auth-'));
    tokens = await startTokenService(work, { user, password, refreshToken });
    registry = await startRegistry({ token: tokens.registryConfig });
    const image = await buildImage({ layers: [{ files: { 'srv/marker': 'token auth' } }] }, join(work, 'layout'));
    await pushOciLayout(image.layoutDir, parseImageRef(`${registry.host}/team/app:1.0`), {
      insecure: true,
      username: user,
      password,
    });
    digest = image.manifestDigest;
  }, 60_000);

  afterAll(async () => {
    await registry?.stop();
    await tokens?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('trades username and password for a token with a GET (the push above did too)', async () => {
    const before = tokens.requests.length;
    expect((await client({ username: user, password }).getManifest('team/app', '1.0')).digest).toBe(digest);
    expect(tokens.requests.slice(before)).toEqual([
      { method: 'GET', basicUser: user, scopes: ['repository:team/app:pull'] },
    ]);
  });

  it('sends a registry token as it is, never asking the token service', async () => {
    const before = tokens.requests.length;
    const registryToken = tokens.mint(['repository:team/app:pull']);
    expect((await client({ registryToken }).getManifest('team/app', '1.0')).digest).toBe(digest);
    expect(tokens.requests.length).toBe(before);
  });

  it('a registry token without the scope is refused, and the error says so without the token', async () => {
    const registryToken = tokens.mint(['repository:team/other:pull']);
    const failure = client({ registryToken }).getManifest('team/app', '1.0');
    await expect(failure).rejects.toMatchObject({ code: 'VIGIL_REGISTRY_UNAUTHORIZED' });
    await expect(failure).rejects.not.toThrow(registryToken);
  });

  it('trades an identity token with the OAuth2 refresh-token grant, once per scope set', async () => {
    const before = tokens.requests.length;
    const reader = client({ identityToken: refreshToken });
    expect((await reader.getManifest('team/app', '1.0')).digest).toBe(digest);
    expect((await reader.getManifest('team/app', digest)).digest).toBe(digest);
    expect(tokens.requests.slice(before)).toEqual([
      { method: 'POST', grantType: 'refresh_token', clientId: 'vigil', scopes: ['repository:team/app:pull'] },
    ]);
  });

  it('a refused identity token names the token service, not the token', async () => {
    const failure = client({ identityToken: 'refresh-wrong-Pp09' }).getManifest('team/app', '1.0');
    await expect(failure).rejects.toMatchObject({
      code: 'VIGIL_REGISTRY_UNAUTHORIZED',
      message: expect.stringContaining('token service 127.0.0.1'),
    });
    await expect(failure).rejects.not.toThrow('refresh-wrong-Pp09');
  });

  it('reads registrytoken and identitytoken from a docker config.json', async () => {
    const registryToken = tokens.mint(['repository:team/app:pull']);
    for (const entry of [{ registrytoken: registryToken }, { identitytoken: refreshToken, auth: 'PHRva2VuPjo=' }]) {
      const dockerConfig = join(work, 'config.json');
      await writeFile(dockerConfig, JSON.stringify({ auths: { [registry.host]: entry } }));
      const reader = client({ dockerConfig });
      expect((await reader.getManifest('team/app', '1.0')).digest).toBe(digest);
    }
  });

  it("reads through a service registry's stored credentials of each kind", async () => {
    const secretBox = createSecretBox('vigil-test-secret-key-with-enough-entropy-42');
    // registryAccess reads only the secret box and the source options of the runtime context
    const ctx = { secretBox } as unknown as RuntimeContext;
    const kinds: RegistryCredentials[] = [
      { username: user, password },
      { username: user, token: password },
      { token: tokens.mint(['repository:team/app:pull']) },
      { identityToken: refreshToken },
    ];
    for (const credentials of kinds) {
      const stored = {
        id: 'r1',
        name: 'private',
        url: registry.url,
        kind: 'oci',
        production: false,
        credentials: secretBox.seal(JSON.stringify(credentials), 'registry-credentials'),
        createdAt: new Date(),
        updatedAt: new Date(),
      } satisfies Registry;
      const reader = registryAccess(ctx, stored).client();
      expect((await reader.getManifest('team/app', '1.0')).digest).toBe(digest);
    }
  });
});
