/**
 * `vigil serve` as operators run it: a child process on SQLite with the API, push hooks and
 * workers; a registry push notification queues a scan that the in-process worker completes, and
 * SIGTERM shuts down cleanly (exit 0).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OsvRecord } from '../src/core/osv.ts';
import { parseImageRef } from '../src/image/index.ts';
import { pushOciLayout } from '../src/image/registry/index.ts';
import { npmAdvisory } from '../src/service/runtime/testing.ts';
import { openStore } from '../src/service/store/index.ts';
import { createTransport, updateDatabase } from '../src/vulndb/index.ts';
import { inlineSource } from '../src/vulndb/testing.ts';
import { buildImage } from './support/build-image.ts';
import { startRegistry, type TestRegistry } from './support/registry.ts';

const BIN = new URL('../src/cli/bin.ts', import.meta.url).pathname;
const HOOK_SECRET = 'serve-test-hook-secret-0123';

let work: string;
let registry: TestRegistry;
let digest: string;
let serve: ChildProcess;
let base: string;
let stderr = '';
let token: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vigil-service-serve-'));
  registry = await startRegistry();
  const image = await buildImage(
    {
      layers: [
        {
          files: { 'srv/app/node_modules/lodash/package.json': JSON.stringify({ name: 'lodash', version: '4.17.15' }) },
        },
      ],
    },
    join(work, 'layout'),
  );
  await pushOciLayout(image.layoutDir, parseImageRef(`${registry.host}/team/app:1.0`), { insecure: true });
  digest = image.manifestDigest;
  await updateDatabase({
    dbPath: join(work, 'vuln.db'),
    sources: [
      inlineSource('osv:npm', [{ kind: 'osv', record: npmAdvisory('GHSA-test-l', 'lodash', '4.17.21', 'CVE-2099-7') }]),
    ],
    transport: createTransport(),
  });
}, 60_000);

afterAll(async () => {
  if (serve?.exitCode === null) serve.kill('SIGKILL');
  await registry?.stop();
  await rm(work, { recursive: true, force: true });
});

const api = (path: string, init: RequestInit = {}) =>
  fetch(`${base}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
  });

/** an admin token made by `vigil token create`, as an operator makes the first one */
async function createToken(name: string, args: string[]): Promise<string> {
  const created = await promisify(execFile)(process.execPath, [
    BIN,
    'token',
    'create',
    '--role',
    'admin',
    '--name',
    name,
    ...args,
  ]);
  return created.stdout.trim();
}

describe('vigil serve on SQLite', () => {
  beforeAll(async () => {
    const database = `sqlite://${join(work, 'vigil.db')}`;
    token = await createToken('test', ['--database', database]);

    serve = spawn(
      process.execPath,
      [
        BIN,
        'serve',
        '--data-dir',
        work,
        '--listen',
        '127.0.0.1:0',
        '--db',
        join(work, 'vuln.db'),
        '--workers',
        '1',
        // the file is updated beside the service below, never from the network
        '--no-db-update',
        '--db-watch',
        '1s',
      ],
      { env: { ...process.env, VIGIL_HOOK_SECRET: HOOK_SECRET }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    serve.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    while (!/serving on (http:\/\/\S+)/.test(stderr)) {
      if (serve.exitCode !== null) throw new Error(`vigil serve exited: ${stderr}`);
      await delay(50);
    }
    base = /serving on (http:\/\/\S+)/.exec(stderr)?.[1] as string;
  }, 60_000);

  it('answers health checks and asks for a token elsewhere', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await fetch(`${base}/api/v1/images`)).status).toBe(401);
  });

  it('a push notification queues a scan that a worker completes', async () => {
    const created = await api('/api/v1/registries', {
      method: 'POST',
      body: JSON.stringify({ name: 'local', url: registry.url, kind: 'oci' }),
    });
    expect(created.status, await created.clone().text()).toBeLessThan(300);
    const hook = await fetch(`${base}/hooks/registry`, {
      method: 'POST',
      headers: {
        'content-type': 'application/vnd.docker.distribution.events.v1+json',
        authorization: `Bearer ${HOOK_SECRET}`,
      },
      body: JSON.stringify({
        events: [
          {
            action: 'push',
            target: {
              mediaType: 'application/vnd.oci.image.manifest.v1+json',
              digest,
              repository: 'team/app',
              tag: '1.0',
              url: `${registry.url}/v2/team/app/manifests/${digest}`,
            },
          },
        ],
      }),
    });
    expect(hook.status).toBe(202);
    expect(await hook.json()).toEqual({ queued: 1, ignored: 0 });
    let scans: Array<{ status: string; counts?: Record<string, number> }> = [];
    while (scans[0]?.status !== 'completed' && scans[0]?.status !== 'failed') {
      await delay(100);
      const body = (await (await api(`/api/v1/scans?digest=${digest}`)).json()) as
        | { scans?: typeof scans }
        | typeof scans;
      scans = Array.isArray(body) ? body : (body.scans ?? []);
    }
    expect(scans[0]?.status, stderr).toBe('completed');
  }, 30_000);

  it('an on-demand scan through the API runs on the same queue', async () => {
    const queued = await api(`/api/v1/images/${digest}/scan`, { method: 'POST', body: '{}' });
    expect(queued.status, await queued.clone().text()).toBe(202);
    const { id } = (await queued.json()) as { id: string };
    let scan: { status?: string } = {};
    while (scan.status !== 'completed' && scan.status !== 'failed') {
      await delay(100);
      scan = (await (await api(`/api/v1/scans/${id}`)).json()) as { status?: string };
    }
    expect(scan.status, stderr).toBe('completed');
  }, 30_000);

  it('re-matches the stored image when the DB file is updated beside it (a db import)', async () => {
    const openIds = async () => {
      const body = (await (await api(`/api/v1/findings?digest=${digest}&state=open`)).json()) as {
        findings: Array<{ vulnerabilityId: string }>;
      };
      return body.findings.map((f) => f.vulnerabilityId).sort();
    };
    expect(await openIds()).toEqual(['CVE-2099-7']);
    const advisories = (...records: OsvRecord[]) =>
      updateDatabase({
        dbPath: join(work, 'vuln.db'),
        sources: [
          inlineSource(
            'osv:npm',
            records.map((record) => ({ kind: 'osv' as const, record })),
          ),
        ],
        transport: createTransport(),
      });
    const lodash7 = npmAdvisory('GHSA-test-l', 'lodash', '4.17.21', 'CVE-2099-7');
    await advisories(lodash7, npmAdvisory('GHSA-test-m', 'lodash', '4.17.22', 'CVE-2099-8'));
    try {
      const deadline = Date.now() + 20_000;
      while ((await openIds()).length < 2 && Date.now() < deadline) await delay(100);
      expect(await openIds(), stderr).toEqual(['CVE-2099-7', 'CVE-2099-8']);
    } finally {
      // the PostgreSQL tests below scan against this file as it was
      await advisories(lodash7);
    }
  }, 30_000);

  it('shuts down on SIGTERM and exits 0', async () => {
    const exited = new Promise<number | null>((resolve) => serve.once('exit', (code) => resolve(code)));
    serve.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain('shutting down');
  }, 30_000);
});

/** a Vigil child process; resolves once its stderr says `ready` */
async function startVigil(args: string[], ready: RegExp, env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log += chunk.toString();
  });
  while (!ready.test(log)) {
    if (child.exitCode !== null) throw new Error(`vigil ${args[0]} exited: ${log}`);
    await delay(50);
  }
  return { child, log: () => log };
}

const pgUrl = process.env.VIGIL_TEST_PG;

describe('vigil worker', () => {
  it.each([
    ['no database at all', {}, []],
    ['a SQLite $VIGIL_DATABASE', { VIGIL_DATABASE: 'sqlite:///tmp/vigil-worker.db' }, []],
    ['a SQLite --database', {}, ['--database', 'sqlite:///tmp/vigil-worker.db']],
  ])('refuses %s: it takes jobs from PostgreSQL only', async (_label, env: NodeJS.ProcessEnv, args: string[]) => {
    const { VIGIL_DATABASE: _unset, ...rest } = process.env;
    const failed = await promisify(execFile)(process.execPath, [BIN, 'worker', ...args], {
      env: { ...rest, ...env },
    }).catch((err: { code: number; stderr: string }) => err);
    expect(failed).toMatchObject({ code: 2, stderr: expect.stringContaining('takes jobs from PostgreSQL') });
  });
});

describe.skipIf(pgUrl === undefined)('vigil serve --no-workers and vigil worker on PostgreSQL', () => {
  it('the API node queues a pushed image, a separate worker process scans it, both stop on SIGTERM', async () => {
    const schema = `vigil_serve_${Date.now().toString(36)}`;
    const url = pgUrl as string;
    const common = ['--database', url, '--schema', schema, '--db', join(work, 'vuln.db'), '--data-dir', work];
    const api = await startVigil(
      ['serve', ...common, '--listen', '127.0.0.1:0', '--no-workers', '--no-scheduler'],
      /serving on http:\/\/\S+ \(0 workers, \d+ API threads\)/,
      { VIGIL_HOOK_SECRET: HOOK_SECRET },
    );
    // the database from the environment, as `vigil serve` and `vigil token` read it
    const worker = await startVigil(['worker', ...common.slice(2), '--concurrency', '1'], /worker taking scan jobs/, {
      VIGIL_DATABASE: url,
    });
    const store = await openStore(url, { schema });
    try {
      const apiBase = /serving on (http:\/\/\S+)/.exec(api.log())?.[1] as string;
      // as an operator would: a token for the schema from the CLI, the registry through the API
      const admin = await createToken('pg', ['--database', url, '--schema', schema]);
      const registered = await fetch(`${apiBase}/api/v1/registries`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
        body: JSON.stringify({ name: 'local', url: registry.url, kind: 'oci' }),
      });
      expect(registered.status, await registered.clone().text()).toBe(201);
      const hook = await fetch(`${apiBase}/hooks/registry`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${HOOK_SECRET}` },
        body: JSON.stringify({
          events: [
            {
              action: 'push',
              target: {
                mediaType: 'application/vnd.oci.image.manifest.v1+json',
                digest,
                repository: 'team/app',
                url: `${registry.url}/v2/team/app/manifests/${digest}`,
              },
            },
          ],
        }),
      });
      expect(await hook.json()).toEqual({ queued: 1, ignored: 0 });
      let scans = await store.listScans({ digest });
      while (scans[0]?.status !== 'completed' && scans[0]?.status !== 'failed') {
        await delay(100);
        scans = await store.listScans({ digest });
      }
      expect(scans[0]?.status, worker.log()).toBe('completed');
      expect(scans[0]?.counts?.UNKNOWN).toBe(1);

      for (const child of [api.child, worker.child]) {
        const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
        child.kill('SIGTERM');
        expect(await exited).toBe(0);
      }
    } finally {
      for (const child of [api.child, worker.child]) if (child.exitCode === null) child.kill('SIGKILL');
      await store.close();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.query(`drop schema if exists ${schema}_jobs cascade`);
      await client.end();
    }
  }, 60_000);
});
