/**
 * Scan on push: the two notification formats parsed (and what they must ignore), the shared secret,
 * and a real docker-registry configured with `notifications.endpoints` pointing at a listening
 * Vigil hook: a push queues a scan of the pushed digest.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseImageRef } from '../src/image/index.ts';
import { pushOciLayout } from '../src/image/registry/index.ts';
import { hookSecretMatches, parseDistributionEnvelope, parseEcrEvent } from '../src/service/runtime/push-events.ts';
import { pushAcceptor, registerPushHooks } from '../src/service/runtime/push-hooks.ts';
import { createSqliteQueue } from '../src/service/runtime/sqlite-queue.ts';
import { openRuntimeHarness, type RuntimeHarness, T0 } from '../src/service/runtime/testing.ts';
import { dialects, type TestDatabase } from '../src/service/store/testing.ts';
import { buildImage } from './support/build-image.ts';

const DIGEST = `sha256:${'b'.repeat(64)}`;
const SECRET = 'push-hook-secret-0123456789';
const manifestPush = (extra: Record<string, unknown> = {}) => ({
  action: 'push',
  target: {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: DIGEST,
    repository: 'team/app',
    url: `http://registry.test:5000/v2/team/app/manifests/${DIGEST}`,
    tag: '1.0',
    ...extra,
  },
});

describe('push notification parsing', () => {
  it.each([
    [
      'a tagged manifest push',
      [manifestPush()],
      [{ repository: 'team/app', digest: DIGEST, tag: '1.0', registryHost: 'registry.test:5000' }],
    ],
    [
      'a push by digest',
      [manifestPush({ tag: undefined })],
      [{ repository: 'team/app', digest: DIGEST, registryHost: 'registry.test:5000' }],
    ],
    ['a pull', [{ ...manifestPush(), action: 'pull' }], []],
    ['a blob push', [manifestPush({ mediaType: 'application/octet-stream' })], []],
    ['a layer push', [manifestPush({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' })], []],
    ['a malformed digest', [manifestPush({ digest: 'sha256:../../etc' })], []],
    ['a hostile repository name', [manifestPush({ repository: '../admin' })], []],
  ])('Distribution: %s', (_label, events, expected) => {
    expect(parseDistributionEnvelope({ events })).toEqual(expected);
  });

  it('Distribution: a body that is not an envelope gives nothing', () => {
    expect(parseDistributionEnvelope({ events: 'x' })).toEqual([]);
    expect(parseDistributionEnvelope(null)).toEqual([]);
  });

  const ecr = (detail: Record<string, unknown>) => ({
    version: '0',
    id: '4f5ec4d5-4de4-7aad-a046-56d5cfe1df0e',
    'detail-type': 'ECR Image Action',
    source: 'aws.ecr',
    account: '123456789012',
    time: '2026-11-01T08:00:00Z',
    region: 'us-west-2',
    resources: [],
    detail: {
      result: 'SUCCESS',
      'repository-name': 'test/ubuntu',
      'image-digest': DIGEST,
      'action-type': 'PUSH',
      'image-tag': '16.04',
      ...detail,
    },
  });
  it.each([
    [
      'a successful push',
      ecr({}),
      [
        {
          repository: 'test/ubuntu',
          digest: DIGEST,
          tag: '16.04',
          ecr: { account: '123456789012', region: 'us-west-2' },
        },
      ],
    ],
    ['a delete', ecr({ 'action-type': 'DELETE' }), []],
    ['a failed push', ecr({ result: 'FAILURE' }), []],
    ['another detail type', { ...ecr({}), 'detail-type': 'ECR Image Scan' }, []],
  ])('ECR: %s', (_label, event, expected) => {
    expect(parseEcrEvent(event)).toEqual(expected);
  });

  it.each([
    [{ authorization: `Bearer ${SECRET}` }, true],
    [{ 'x-vigil-hook-secret': SECRET }, true],
    [{ authorization: `Bearer ${SECRET}x` }, false],
    [{ authorization: SECRET }, false],
    [{}, false],
  ])('secret in %o: %s', (headers, expected) => {
    expect(hookSecretMatches(headers, SECRET)).toBe(expected);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject()));
    });
  });
}

const sqlite = dialects.find((d) => d.name === 'sqlite')!;

describe('a real docker-registry notifying Vigil', () => {
  let work: string;
  let registryProcess: ChildProcess;
  let registryHost: string;
  let database: TestDatabase;
  let harness: RuntimeHarness;
  let app: FastifyInstance;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'vigil-service-push-'));
    database = await sqlite.open();
    harness = await openRuntimeHarness(database);
    app = Fastify();
    registerPushHooks(app, { accept: pushAcceptor(harness.ctx, createSqliteQueue(harness.ctx)), secret: SECRET });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const hookUrl = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/hooks/registry`;

    registryHost = `127.0.0.1:${await freePort()}`;
    await writeFile(
      join(work, 'config.yml'),
      [
        'version: 0.1',
        'log:',
        '  level: warn',
        'storage:',
        '  filesystem:',
        `    rootdirectory: ${join(work, 'data')}`,
        'http:',
        `  addr: ${registryHost}`,
        '  secret: vigil-test-secret',
        'notifications:',
        '  endpoints:',
        '    - name: vigil',
        `      url: ${hookUrl}`,
        '      headers:',
        `        Authorization: [Bearer ${SECRET}]`,
        '      timeout: 2s',
        '      threshold: 3',
        '      backoff: 200ms',
        '    - name: intruder',
        `      url: ${hookUrl}`,
        '      headers:',
        '        Authorization: [Bearer not-the-secret-at-all]',
        '      timeout: 2s',
        '      threshold: 3',
        '      backoff: 10s',
        '',
      ].join('\n'),
    );
    registryProcess = spawn('/usr/bin/docker-registry', ['serve', join(work, 'config.yml')], { stdio: 'ignore' });
    for (;;) {
      try {
        const response = await fetch(`http://${registryHost}/v2/`);
        if (response.status === 200) break;
      } catch {
        // not listening yet
      }
      await delay(50);
    }
  }, 30_000);

  afterAll(async () => {
    registryProcess?.kill('SIGTERM');
    await app?.close();
    await harness?.close();
    await database?.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  it('a push queues a scan of the pushed digest, with its tag', async () => {
    const registry = await database.store.createRegistry(
      { name: 'local', url: `http://${registryHost}`, kind: 'oci' },
      T0,
    );
    const image = await buildImage({ layers: [{ files: { 'srv/marker': 'pushed' } }] }, join(work, 'layout'));
    await pushOciLayout(image.layoutDir, parseImageRef(`${registryHost}/team/app:1.0`), { insecure: true });

    // the registry notifies asynchronously: wait (bounded by the test timeout) for the scan row
    let scans = await database.store.listScans({ digest: image.manifestDigest });
    while (scans.length === 0) {
      await delay(50);
      scans = await database.store.listScans({ digest: image.manifestDigest });
    }
    expect(scans).toHaveLength(1);
    expect(scans[0]?.status).toBe('queued');
    expect(
      await database.store.tagHistory({ registryId: registry.id, repository: 'team/app', tag: '1.0' }),
    ).toMatchObject([{ digest: image.manifestDigest }]);
  }, 30_000);

  it('refuses a wrong secret with 401 and records nothing', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/hooks/registry',
      headers: { 'content-type': 'application/vnd.docker.distribution.events.v1+json', authorization: 'Bearer nope' },
      payload: JSON.stringify({ events: [manifestPush()] }),
    });
    expect(response.statusCode).toBe(401);
    expect(await database.store.getImages(DIGEST)).toEqual([]);
  });
});
