/**
 * `vigil serve` with its API in two threads on one port (SO_REUSEPORT), on each dialect: every
 * thread answers, /metrics counts them all, a revoke is honoured by every thread before it answers,
 * and what only the main thread has (the job queue, the push hooks' work) is reached from either.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import pg from 'pg';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { issueToken } from '../src/api/index.ts';
import { ApiThreads } from '../src/service/runtime/api-threads.ts';
import { type Service, startService } from '../src/service/runtime/service.ts';
import { dialects, digestOf, type TestDatabase } from '../src/service/store/testing.ts';

const HOOK_SECRET = 'api-threads-test-secret-0123';
/** enough fresh connections that two listening threads both get some (a miss is 2^-39) */
const CONNECTIONS = 40;

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** one request on a connection of its own, so that the kernel picks a thread for each */
function once(
  base: string,
  path: string,
  init: { method?: string; token?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}${path}`,
      {
        agent: false,
        method: init.method ?? 'GET',
        headers: {
          ...(init.token !== undefined && { authorization: `Bearer ${init.token}` }),
          ...(init.body !== undefined && { 'content-type': 'application/json' }),
          ...init.headers,
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

const many = (n: number, ask: () => Promise<Answer>) => Promise.all(Array.from({ length: n }, ask));

describe.each(dialects)('the API in two threads on $name', (dialect) => {
  let database: TestDatabase;
  let service: Service;
  let stopped: boolean;
  let work: string;

  beforeEach(async (context) => {
    if (dialect.skipReason !== undefined) context.skip(dialect.skipReason);
    database = await dialect.open();
    stopped = false;
    work = await mkdtemp(join(tmpdir(), 'vigil-api-threads-'));
    service = await startService({
      database: database.url,
      ...(database.schema !== undefined && { schema: database.schema }),
      dataDir: work,
      vulnDbPath: join(work, 'vuln.db'),
      staleAfterMs: 3 * 86_400_000,
      host: '127.0.0.1',
      port: 0,
      workers: 0,
      scheduler: false,
      hookSecret: HOOK_SECRET,
      apiThreads: 2,
      logger: pino({ level: 'silent' }),
    });
  }, 60_000);

  afterEach(async () => {
    if (!stopped) await service?.stop(0);
    await database?.cleanup();
    if (database?.schema !== undefined) {
      // pg-boss's own schema beside the store's
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      await client.query(`drop schema if exists ${database.schema}_jobs cascade`);
      await client.end();
    }
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('both threads answer, and /metrics counts every thread’s requests', async () => {
    const { token } = await issueToken(database.store, { name: 'viewer', role: 'viewer' }, new Date());
    const answers = await many(CONNECTIONS, () => once(service.url, '/api/v1/summary', { token }));
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    const perThread = await service.apiThreads?.requestsPerThread();
    expect(perThread).toHaveLength(2);
    expect(
      perThread?.every((n) => n > 0),
      `requests per thread: ${perThread}`,
    ).toBe(true);
    // whichever thread answers /metrics, it reports both threads' requests
    for (const metrics of await many(4, () => once(service.url, '/metrics', { token }))) {
      const line = metrics.body
        .split('\n')
        .find((l) => l.startsWith('vigil_http_requests_total{method="GET",route="/api/v1/summary",status="200"}'));
      expect(line?.split(' ').at(-1)).toBe(String(CONNECTIONS));
    }
  });

  it('a revoked token is refused by every thread as soon as the revoke answers', async () => {
    const admin = await issueToken(database.store, { name: 'admin', role: 'admin' }, new Date());
    const doomed = await issueToken(database.store, { name: 'doomed', role: 'viewer' }, new Date());
    // both threads remember the token (TOKEN_CACHE_MS) before it is revoked
    expect(
      (await many(CONNECTIONS, () => once(service.url, '/api/v1/images', { token: doomed.token }))).map(
        (a) => a.status,
      ),
    ).toEqual(Array(CONNECTIONS).fill(200));
    const revoked = await once(service.url, `/api/v1/tokens/${doomed.record.id}`, {
      method: 'DELETE',
      token: admin.token,
    });
    expect(revoked.status, revoked.body).toBeLessThan(300);
    const after = await many(CONNECTIONS, () => once(service.url, '/api/v1/images', { token: doomed.token }));
    expect(after.map((a) => a.status)).toEqual(Array(CONNECTIONS).fill(401));
  });

  it('on-demand scans and pushes through either thread reach the main thread’s queue', async () => {
    const operator = await issueToken(database.store, { name: 'op', role: 'operator' }, new Date());
    const now = new Date();
    const registry = await database.store.createRegistry(
      { name: 'local', url: 'http://registry.test:5000', kind: 'oci' },
      now,
    );
    await database.store.upsertImage({ registryId: registry.id, repository: 'team/app', digest: digestOf(1) }, now);
    const scans = await many(10, () =>
      once(service.url, `/api/v1/images/${digestOf(1)}/scan`, { method: 'POST', token: operator.token, body: '{}' }),
    );
    expect(
      scans.map((a) => a.status),
      scans.map((a) => a.body).join('\n'),
    ).toEqual(Array(10).fill(202));
    const pushes = await many(10, () =>
      once(service.url, '/hooks/registry', {
        method: 'POST',
        headers: { authorization: `Bearer ${HOOK_SECRET}` },
        body: JSON.stringify({
          events: [
            {
              action: 'push',
              target: {
                mediaType: 'application/vnd.oci.image.manifest.v1+json',
                digest: digestOf(2),
                repository: 'team/app',
                url: `http://registry.test:5000/v2/team/app/manifests/${digestOf(2)}`,
              },
            },
          ],
        }),
      }),
    );
    expect(pushes.map((a) => [a.status, JSON.parse(a.body)])).toEqual(Array(10).fill([202, { queued: 1, ignored: 0 }]));
    // a scan whose job the queue refused would read failed
    for (const digest of [digestOf(1), digestOf(2)]) {
      const stored = await database.store.listScans({ digest });
      expect(stored.map((s) => s.status)).toEqual(Array(10).fill('queued'));
    }
  });

  it('stops every thread: nothing listens on the port afterwards', async () => {
    const url = service.url;
    expect((await once(url, '/healthz')).status).toBe(200);
    stopped = true;
    await service.stop(0);
    await expect(many(8, () => once(url, '/healthz'))).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('ApiThreads', () => {
  it('a thread that cannot start fails the start with its error, and stops the rest', async () => {
    const app = Fastify();
    try {
      const threads = new ApiThreads();
      const listen = { host: '127.0.0.1', port: 0 };
      await expect(threads.start(app, listen, 2, { database: 'mysql://db.test/vigil' }, {})).rejects.toThrow(
        /database URL must be/,
      );
      expect(await threads.requestsPerThread()).toEqual([0]);
      await threads.stop();
    } finally {
      await app.close();
    }
  });
});
