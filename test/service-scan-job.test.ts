/**
 * The scan job against real parts: a docker-registry holding images built from tar layers, a
 * vulnerability DB file built by updateDatabase, and the Store on SQLite and PostgreSQL.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseImageRef } from '../src/image/index.ts';
import { pushOciLayout } from '../src/image/registry/index.ts';
import { runScan } from '../src/service/runtime/scan-job.ts';
import { npmAdvisory, openRuntimeHarness, type RuntimeHarness, T0 } from '../src/service/runtime/testing.ts';
import { dialects, type TestDatabase } from '../src/service/store/testing.ts';
import type { Registry } from '../src/service/store/types.ts';
import { buildImage } from './support/build-image.ts';
import { startRegistry, type TestRegistry } from './support/registry.ts';

const DAY = 86_400_000;
const LODASH_ADVISORY = npmAdvisory('GHSA-test-lodash', 'lodash', '4.17.21', 'CVE-2099-1001');
const MINIMIST_ADVISORY = npmAdvisory('GHSA-test-minimist', 'minimist', '1.2.6', 'CVE-2099-1002');

let work: string;
let registry: TestRegistry;
let digest: string;

const packageJson = (name: string, version: string) => JSON.stringify({ name, version, license: 'MIT' });

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vigil-service-scan-'));
  registry = await startRegistry();
  const image = await buildImage(
    {
      layers: [
        { files: { 'etc/os-release': 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n' } },
        {
          files: {
            'srv/app/package.json': JSON.stringify({ name: 'shop', version: '2.0.0' }),
            'srv/app/node_modules/lodash/package.json': packageJson('lodash', '4.17.15'),
            'srv/app/node_modules/minimist/package.json': packageJson('minimist', '1.2.0'),
          },
        },
      ],
    },
    join(work, 'layout'),
  );
  await pushOciLayout(image.layoutDir, parseImageRef(`${registry.host}/team/app:1.0`), { insecure: true });
  digest = image.manifestDigest;
}, 60_000);

afterAll(async () => {
  await registry?.stop();
  await rm(work, { recursive: true, force: true });
});

describe.each(dialects)('scan job on $name', (dialect) => {
  const run = dialect.skipReason === undefined ? it : it.skip;
  let database: TestDatabase;
  let harness: RuntimeHarness;
  let registryRow: Registry;
  const requests: string[] = [];

  const open = async () => {
    database = await dialect.open();
    harness = await openRuntimeHarness(database);
    requests.length = 0;
    (harness.ctx as { sourceOptions?: unknown }).sourceOptions = () => ({
      fetch: (input: string | URL | Request, init?: RequestInit) => {
        requests.push(
          `${init?.method ?? 'GET'} ${new URL(String(input instanceof Request ? input.url : input)).pathname}`,
        );
        return fetch(input, init);
      },
    });
    registryRow = await database.store.createRegistry({ name: 'local', url: registry.url, kind: 'oci' }, T0);
  };
  const close = async () => {
    await harness.close();
    await database.cleanup();
  };
  const blobReads = () => requests.filter((r) => r.includes('/blobs/')).length;

  run('scans a tag: tag recorded, inventory kept, findings open, one dispatch with the events', async () => {
    await open();
    try {
      await harness.updateVulnDb([LODASH_ADVISORY, MINIMIST_ADVISORY]);
      // a scan no config queued (a push) is told under the config the image falls under
      await database.store.createConfig({ registryId: registryRow.id, repository: 'other/app', owner: 'search' }, T0);
      const owning = await database.store.createConfig(
        { registryId: registryRow.id, repositoryPattern: 'team/*', owner: 'payments' },
        T0,
      );
      const outcome = await runScan(harness.ctx, { registryId: registryRow.id, repository: 'team/app', tag: '1.0' });
      expect(outcome).toMatchObject({ status: 'completed', complete: true, digest });
      expect(outcome.counts?.UNKNOWN).toBe(2);
      const scan = await database.store.getScan(outcome.scanId);
      expect(scan).toMatchObject({ status: 'completed', counts: outcome.counts });
      expect(
        (await database.store.tagHistory({ registryId: registryRow.id, repository: 'team/app', tag: '1.0' }))[0]
          ?.digest,
      ).toBe(digest);
      expect((await database.store.getInventory(digest))?.inventory.packages.map((p) => p.name).sort()).toContain(
        'lodash',
      );
      const page = await database.store.findingsPage({ digest }, undefined, 50);
      expect(page.findings.map((f) => `${f.vulnerabilityId} ${f.state}`).sort()).toEqual([
        'CVE-2099-1001 open',
        'CVE-2099-1002 open',
      ]);
      expect(harness.dispatched).toHaveLength(1);
      const events = harness.dispatched[0] ?? [];
      expect(events.map((e) => e.type)).toEqual(['finding.new', 'finding.new', 'scan.completed']);
      expect(events[0]?.image).toEqual({ registry: registry.host, repository: 'team/app', tag: '1.0', digest });
      expect(events.map((e) => e.config)).toEqual(events.map(() => ({ configId: owning.id, owner: 'payments' })));
      expect(events.at(-1)).toMatchObject({ type: 'scan.completed', newCount: 2, resolvedCount: 0 });
    } finally {
      await close();
    }
  });

  run('missing or stale data never resolves; fresh complete data does', async () => {
    await open();
    try {
      await harness.updateVulnDb([LODASH_ADVISORY, MINIMIST_ADVISORY]);
      const request = { registryId: registryRow.id, repository: 'team/app', digest };
      await runScan(harness.ctx, request);
      // the minimist advisory is gone from the data, but the data is 4 days old
      await harness.updateVulnDb([LODASH_ADVISORY]);
      harness.setNow(new Date(T0.getTime() + 4 * DAY));
      const stale = await runScan(harness.ctx, request);
      expect(stale).toMatchObject({ status: 'completed', complete: false });
      expect(stale.events.map((e) => e.type)).toEqual(['scan.completed']);
      expect((await database.store.findingsPage({ digest, state: 'open' }, undefined, 50)).findings).toHaveLength(2);

      await harness.updateVulnDb([LODASH_ADVISORY]);
      const fresh = await runScan(harness.ctx, request);
      expect(fresh).toMatchObject({ complete: true });
      expect(fresh.events.map((e) => `${e.type} ${e.payload.vulnerabilityId ?? ''}`.trim())).toEqual([
        'finding.resolved CVE-2099-1002',
        'scan.completed',
      ]);
    } finally {
      await close();
    }
  });

  run('with no vulnerability database the scan fails, says why, and keeps the inventory', async () => {
    await open();
    try {
      const outcome = await runScan(harness.ctx, { registryId: registryRow.id, repository: 'team/app', digest });
      expect(outcome.status).toBe('failed');
      expect(outcome.error).toMatch(/^VIGIL_DB_MISSING: /);
      expect(await database.store.getInventory(digest)).toBeDefined();
      expect((await database.store.findingsPage({ digest }, undefined, 50)).findings).toEqual([]);
      expect(harness.dispatched.flat()).toMatchObject([
        { type: 'scan.failed', error: { code: 'VIGIL_DB_MISSING' }, image: { repository: 'team/app' } },
      ]);
    } finally {
      await close();
    }
  });

  run('re-indexes only when the stored inventory came from other extractors, or when forced', async () => {
    await open();
    try {
      await harness.updateVulnDb([LODASH_ADVISORY]);
      const request = { registryId: registryRow.id, repository: 'team/app', digest };
      await runScan(harness.ctx, request);
      expect(blobReads()).toBeGreaterThan(0);

      requests.length = 0;
      await runScan(harness.ctx, request);
      expect(requests).toEqual([]);

      const stored = await database.store.getInventory(digest);
      await database.store.saveInventory(digest, stored!.inventory, 'an-older-extractor-set', T0);
      await runScan(harness.ctx, request);
      expect(requests.some((r) => r.includes('/manifests/'))).toBe(true);
      expect((await database.store.getInventory(digest))?.extractorKey).not.toBe('an-older-extractor-set');

      requests.length = 0;
      await runScan(harness.ctx, { ...request, force: true });
      expect(blobReads()).toBeGreaterThan(0);
      // re-running the same result wrote no second finding
      expect((await database.store.findingsPage({ digest }, undefined, 50)).findings).toHaveLength(1);
    } finally {
      await close();
    }
  });
});
