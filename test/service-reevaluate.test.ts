/**
 * Re-evaluation without pulling: a DB update re-matches only the images holding a changed package,
 * the daily full re-match touches every image and moves last_scanned, incomplete data resolves
 * nothing, and the scan-age check tells once per image per lapse. Both dialects.
 */
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OsvRecord } from '../src/core/osv.ts';
import type { Inventory } from '../src/core/types.ts';
import { extractors } from '../src/extract/registry.ts';
import { extractorsKey } from '../src/scan/extractor-key.ts';
import { runDbUpdate } from '../src/service/runtime/db-update-job.ts';
import { createDbWatch, type DbWatch } from '../src/service/runtime/db-watch.ts';
import { redispatchRematches, reevaluate } from '../src/service/runtime/reevaluate.ts';
import { queueReindex } from '../src/service/runtime/reindex.ts';
import { checkScanAge } from '../src/service/runtime/scan-age.ts';
import { createScheduler } from '../src/service/runtime/scheduler.ts';
import { createSqliteQueue } from '../src/service/runtime/sqlite-queue.ts';
import { npmAdvisory, openRuntimeHarness, type RuntimeHarness, T0 } from '../src/service/runtime/testing.ts';
import { dialects, digestOf, executeRaw, type TestDatabase } from '../src/service/store/testing.ts';
import { createTransport } from '../src/vulndb/index.ts';
import { inlineSource } from '../src/vulndb/testing.ts';

const DAY = 86_400_000;
const LODASH = npmAdvisory('GHSA-test-lodash', 'lodash', '4.17.21', 'CVE-2099-1001');
const MINIMIST = npmAdvisory('GHSA-test-minimist', 'minimist', '1.2.6', 'CVE-2099-1002');
const at = (days: number) => new Date(T0.getTime() + days * DAY);
/** the number a test digest was made from */
const i = (digest: string) => Number.parseInt(digest.slice('sha256:'.length), 16);

function npmInventory(digest: string, packages: Array<[string, string]>): Inventory {
  return {
    schemaVersion: 1,
    image: {
      ref: `registry.test/app@${digest}`,
      transport: 'registry',
      manifestDigest: digest,
      configDigest: digest,
      platform: { os: 'linux', architecture: 'amd64' },
      layers: [],
    },
    packages: packages.map(([name, version]) => ({
      name,
      version,
      type: 'npm',
      ecosystem: 'npm',
      purl: `pkg:npm/${name}@${version}`,
      locations: [`srv/app/node_modules/${name}/package.json`],
    })),
    warnings: [],
    extractors: ['lang/npm@1'],
  } as unknown as Inventory;
}

const images = {
  lodash: digestOf(1),
  minimist: digestOf(2),
  express: digestOf(3),
};

describe.each(dialects)('re-evaluation on $name', (dialect) => {
  const run = dialect.skipReason === undefined ? it : it.skip;
  let database: TestDatabase;
  let harness: RuntimeHarness;
  let dbWatch: DbWatch | undefined;
  /** the service's watch: one per service, kept across its updates */
  const watch = () => {
    dbWatch ??= createDbWatch(harness.ctx, 'test');
    return dbWatch;
  };

  beforeEach(async () => {
    if (dialect.skipReason !== undefined) return;
    dbWatch = undefined;
    database = await dialect.open();
    harness = await openRuntimeHarness(database);
    const registry = await database.store.createRegistry({ name: 'r', url: 'https://registry.test', kind: 'oci' }, T0);
    const contents: Record<string, Array<[string, string]>> = {
      [images.lodash]: [['lodash', '4.17.15']],
      [images.minimist]: [['minimist', '1.2.0']],
      [images.express]: [['express', '4.0.0']],
    };
    for (const [digest, packages] of Object.entries(contents)) {
      await database.store.upsertImage({ registryId: registry.id, repository: 'team/app', digest }, T0);
      await database.store.saveInventory(digest, npmInventory(digest, packages), 'key', T0);
    }
  });
  afterEach(async () => {
    if (dialect.skipReason !== undefined) return;
    await harness.close();
    await database.cleanup();
  });

  const update = (records: readonly OsvRecord[]) =>
    runDbUpdate(harness.ctx, watch(), {
      sources: [
        inlineSource(
          'osv:npm',
          records.map((record) => ({ kind: 'osv' as const, record })),
        ),
      ],
      transport: createTransport(),
    });
  const states = async (digest: string) =>
    (await database.store.findingsPage({ digest }, undefined, 50)).findings.map(
      (f) => `${f.vulnerabilityId} ${f.state}`,
    );
  const lastScanned = async (digest: string) => (await database.store.getImages(digest))[0]?.lastScanned?.getTime();

  run(
    "a DB changed beside the service (db import) is re-matched at the watch's next check, its delta only",
    async () => {
      await harness.updateVulnDb([LODASH]);
      // the first check of a service finds no link: it takes one and leaves the data to the daily re-match
      expect(await watch().check()).toBeUndefined();
      expect(await states(images.lodash)).toEqual([]);

      harness.setNow(at(1));
      await harness.updateVulnDb([LODASH, MINIMIST]);
      const changed = await watch().check();
      expect(changed?.changedPackages?.map((k) => `${k.ecosystem} ${k.name}`)).toEqual(['npm minimist']);
      expect(changed?.rematch).toMatchObject({ images: 1, newFindings: 1, resolvedFindings: 0 });
      expect(await states(images.minimist)).toEqual(['CVE-2099-1002 open']);
      // nothing changed since: nothing to do
      expect(await watch().check()).toBeUndefined();

      // the link is the file re-matched, and nothing else is left beside it
      const dir = dirname(harness.ctx.vulnDb.path);
      const kept = readdirSync(dir).filter((name) => name !== 'vuln.db');
      expect(kept).toHaveLength(1);
      expect(statSync(join(dir, kept[0] as string)).ino).toBe(statSync(harness.ctx.vulnDb.path).ino);
    },
  );

  run('a DB that appears after the first check (none before) is re-matched whole', async () => {
    expect(await watch().check()).toBeUndefined();
    await harness.updateVulnDb([LODASH, MINIMIST]);
    const changed = await watch().check();
    expect(changed?.changedPackages).toBeUndefined();
    expect(changed?.rematch).toMatchObject({ images: 3, newFindings: 2 });
  });

  run('where no hard link can be made, a changed file re-matches every image', async () => {
    const noLinks = createDbWatch(harness.ctx, 'test', () => {
      throw Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' });
    });
    await harness.updateVulnDb([LODASH]);
    expect(await noLinks.check()).toBeUndefined();
    expect(await noLinks.check()).toBeUndefined();
    await harness.updateVulnDb([LODASH, MINIMIST]);
    const changed = await noLinks.check();
    expect(changed?.changedPackages).toBeUndefined();
    expect(changed?.rematch).toMatchObject({ images: 3, newFindings: 2 });
    expect(await noLinks.check()).toBeUndefined();
    expect(readdirSync(dirname(harness.ctx.vulnDb.path))).toEqual(['vuln.db']);
  });

  run('the scheduler checks the DB file on its own: an import beside the service is re-matched', async () => {
    await harness.updateVulnDb([LODASH]);
    const scheduler = createScheduler(harness.ctx, {
      queue: createSqliteQueue(harness.ctx),
      dbWatch: watch(),
      dbWatchMs: 20,
      configRefreshMs: 3_600_000,
    });
    try {
      await scheduler.start();
      await harness.updateVulnDb([LODASH, MINIMIST]);
      const deadline = Date.now() + 10_000;
      while ((await states(images.minimist)).length === 0 && Date.now() < deadline) await delay(20);
      expect(await states(images.minimist)).toEqual(['CVE-2099-1002 open']);
      // what the scheduler's first check found was left to the daily re-match
      expect(await states(images.lodash)).toEqual([]);
    } finally {
      await scheduler.stop();
    }
  });

  run('re-match events carry the config the image falls under: the oldest naming an owner', async () => {
    const registry = (await database.store.listRegistries())[0]?.id ?? '';
    // covers team/app but names no owner; then one naming an owner; then another repository's
    await database.store.createConfig({ registryId: registry, repositoryPattern: 'team/**' }, T0);
    const payments = await database.store.createConfig(
      { registryId: registry, repository: 'team/app', owner: 'payments' },
      at(1),
    );
    await database.store.createConfig({ registryId: registry, repository: 'other/app', owner: 'search' }, T0);
    await update([LODASH]);
    expect(harness.dispatched.flat().map((e) => [e.type, e.config])).toEqual([
      ['finding.new', { configId: payments.id, owner: 'payments' }],
    ]);
  });

  run('a DB update re-matches only the images holding a changed package', async () => {
    const first = await update([LODASH]);
    // no DB before: everything is new
    expect(first.changedPackages).toBeUndefined();
    expect(first.rematch.images).toBe(3);
    expect(await states(images.lodash)).toEqual(['CVE-2099-1001 open']);

    harness.setNow(at(1));
    const second = await update([LODASH, MINIMIST]);
    expect(second.changedPackages).toBe(1);
    expect(second.rematch).toMatchObject({ images: 1, newFindings: 1, resolvedFindings: 0 });
    expect(await states(images.minimist)).toEqual(['CVE-2099-1002 open']);
    expect(await lastScanned(images.lodash)).toBe(T0.getTime());
    expect(await lastScanned(images.minimist)).toBe(at(1).getTime());

    harness.setNow(at(2));
    const third = await update([MINIMIST]);
    expect(third.rematch).toMatchObject({ images: 1, newFindings: 0, resolvedFindings: 1 });
    expect(await states(images.lodash)).toEqual(['CVE-2099-1001 resolved']);
    // one dispatch per re-matched image that changed, carrying the image's identity
    const dispatched = harness.dispatched.map((events) => events.map((e) => `${e.type} ${e.image.digest}`));
    expect(dispatched).toEqual([
      [`finding.new ${images.lodash}`],
      [`finding.new ${images.minimist}`],
      [`finding.resolved ${images.lodash}`],
    ]);
    expect(harness.dispatched[0]?.[0]?.image.registry).toBe('registry.test');
  });

  run(
    'a delta re-evaluates only the packages it can hit, in batches, and ends where a full re-match would',
    async () => {
      const registry = (await database.store.listRegistries())[0]?.id ?? '';
      // more images than a full re-match's batch holds, each with lodash (which the delta changes) and minimist
      const fleet = Array.from({ length: 60 }, (_, i) => digestOf(1000 + i));
      for (const digest of fleet) {
        await database.store.upsertImage({ registryId: registry, repository: 'team/fleet', digest }, T0);
        const packages: Array<[string, string]> = [
          ['lodash', '4.17.15'],
          ['minimist', i(digest) % 2 === 0 ? '1.2.0' : '1.2.8'],
        ];
        await database.store.saveInventory(digest, npmInventory(digest, packages), 'key', T0);
      }
      await update([LODASH, MINIMIST]);
      const before = await database.store.findingsPage({ repository: 'team/fleet' }, undefined, 500);
      expect(before.findings.filter((f) => f.state === 'open')).toHaveLength(90);

      // images indexed before the index carried packages: a third without them, a sixth without a
      // header too; they take the whole-inventory path and must end the same
      const digestIn = (n: number) => fleet.filter((_, k) => k % n === 0).map((d) => `'${d}'`);
      await executeRaw(database, `update inventory_packages set packages = null where digest in (${digestIn(3)})`);
      await executeRaw(database, `delete from inventory_headers where digest in (${digestIn(6)})`);

      harness.setNow(at(1));
      // lodash's advisory now says the fix came before 4.17.15; minimist's is unchanged
      const fixedEarlier = { ...npmAdvisory('GHSA-test-lodash', 'lodash', '4.17.10', 'CVE-2099-1001') };
      const delta = await update([{ ...fixedEarlier, modified: '2026-01-01T00:00:00Z' }, MINIMIST]);
      expect(delta.changedPackages).toBe(1);
      expect(delta.rematch).toMatchObject({ images: 61, newFindings: 0, resolvedFindings: 61 });
      const after = (await database.store.findingsPage({ repository: 'team/fleet' }, undefined, 500)).findings;
      const lodash = after.filter((f) => f.finding.package.name === 'lodash');
      const minimist = after.filter((f) => f.finding.package.name === 'minimist');
      expect(new Set(lodash.map((f) => f.state))).toEqual(new Set(['resolved']));
      expect(minimist.map((f) => f.state)).toEqual(minimist.map(() => 'open'));
      // minimist was not matched again, but its advisory did not change: it stands as of the delta,
      // as the image's last_scanned does
      expect(new Set(minimist.map((f) => f.lastSeen.getTime()))).toEqual(new Set([at(1).getTime()]));
      for (const digest of fleet) expect(await lastScanned(digest)).toBe(at(1).getTime());

      // a full re-match on the same data changes no state: the delta missed nothing
      const full = await reevaluate(harness.ctx);
      expect(full).toMatchObject({ newFindings: 0, resolvedFindings: 0 });
      const again = (await database.store.findingsPage({ repository: 'team/fleet' }, undefined, 500)).findings;
      expect(again.map((f) => `${f.id} ${f.state}`).sort()).toEqual(after.map((f) => `${f.id} ${f.state}`).sort());
      const summary = await database.store.summary();
      expect(summary.counts.open.UNKNOWN + summary.counts.resolved.UNKNOWN).toBe(again.length + 2);
    },
  );

  run('a full re-match resolves what the new data fixes and leaves the rest as it was, seen now', async () => {
    await update([LODASH, MINIMIST]);
    const before = await database.store.findingsPage({}, undefined, 50);
    expect(before.findings.map((f) => `${f.vulnerabilityId} ${f.state}`).sort()).toEqual([
      'CVE-2099-1001 open',
      'CVE-2099-1002 open',
    ]);
    harness.setNow(at(1));
    // lodash's fix now comes before 4.17.15: its finding resolves; minimist's stays as it was
    await harness.updateVulnDb([
      { ...npmAdvisory('GHSA-test-lodash', 'lodash', '4.17.10', 'CVE-2099-1001'), modified: '2026-01-01T00:00:00Z' },
      MINIMIST,
    ]);
    const result = await reevaluate(harness.ctx);
    expect(result).toMatchObject({ images: 3, newFindings: 0, resolvedFindings: 1, complete: true });
    const after = await database.store.findingsPage({}, undefined, 50);
    expect(after.findings.map((f) => `${f.vulnerabilityId} ${f.state}`).sort()).toEqual([
      'CVE-2099-1001 resolved',
      'CVE-2099-1002 open',
    ]);
    // the finding found again is the one stored, to the byte (the store compares them as JSON)
    const minimist = (page: typeof before) => page.findings.find((f) => f.vulnerabilityId === 'CVE-2099-1002');
    expect(JSON.stringify(minimist(after)?.finding)).toBe(JSON.stringify(minimist(before)?.finding));
    expect(minimist(after)?.lastSeen.getTime()).toBe(at(1).getTime());
    for (const digest of Object.values(images)) expect(await lastScanned(digest)).toBe(at(1).getTime());
  });

  run('a re-match that died before its dispatch is dispatched by the redispatch sweep, once', async () => {
    await harness.updateVulnDb([LODASH, MINIMIST]);
    // the process "dies" in its first dispatch: the notifier never answers
    let stuck = 0;
    const hang = () => {
      stuck++;
      return new Promise<never>(() => {});
    };
    const dying = { ...harness.ctx, notifier: { dispatch: hang } };
    void reevaluate(dying);
    for (let i = 0; i < 200 && stuck === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(stuck).toBe(1);
    expect(harness.dispatched).toEqual([]);

    // a run younger than the grace period may still be going: left alone
    expect(await redispatchRematches(harness.ctx)).toBe(0);
    harness.setNow(at(1));
    expect(await redispatchRematches(harness.ctx)).toBe(2);
    const dispatched = harness.dispatched.map((events) => events.map((e) => `${e.type} ${e.image.digest}`));
    expect(dispatched.sort()).toEqual([[`finding.new ${images.lodash}`], [`finding.new ${images.minimist}`]].sort());
    expect(harness.dispatched[0]?.[0]?.image.registry).toBe('registry.test');
    // dispatched once: nothing left for the next sweep, and a finished re-match leaves nothing
    expect(await redispatchRematches(harness.ctx)).toBe(0);
    await harness.updateVulnDb([MINIMIST]);
    await reevaluate(harness.ctx);
    harness.setNow(at(2));
    expect(await redispatchRematches(harness.ctx)).toBe(0);
  });

  run('the full re-match touches every image; stale data raises but never resolves', async () => {
    await harness.updateVulnDb([MINIMIST]);
    await reevaluate(harness.ctx);
    await database.store.applyMatchResult(images.express, [], { complete: true, now: T0 });

    harness.setNow(at(5));
    // the data is five days old now: minimist's advisory went away upstream, but that is not known
    const stale = await reevaluate(harness.ctx);
    expect(stale).toMatchObject({ images: 3, complete: false, resolvedFindings: 0 });
    for (const digest of Object.values(images)) expect(await lastScanned(digest)).toBe(at(5).getTime());
    expect(await states(images.minimist)).toEqual(['CVE-2099-1002 open']);

    await harness.updateVulnDb([LODASH]);
    const fresh = await reevaluate(harness.ctx);
    expect(fresh).toMatchObject({ images: 3, complete: true, newFindings: 1, resolvedFindings: 1 });
  });

  run('with no vulnerability DB nothing is re-matched and last_scanned stays', async () => {
    const result = await reevaluate(harness.ctx);
    expect(result).toMatchObject({ images: 0, skipped: 'no vulnerability database' });
    expect(await lastScanned(images.lodash)).toBeUndefined();
  });

  run('the scan-age check tells once per image per lapse', async () => {
    await harness.updateVulnDb([LODASH]);
    await reevaluate(harness.ctx);
    harness.setNow(at(29));
    expect(await checkScanAge(harness.ctx)).toBe(0);
    harness.setNow(at(31));
    expect(await checkScanAge(harness.ctx)).toBe(3);
    harness.setNow(at(32));
    expect(await checkScanAge(harness.ctx)).toBe(0);
    const events = await database.store.listEvents({ type: 'image.scan-expired' });
    expect(events.map((e) => e.payload.lastScannedAt)).toEqual([T0.toISOString(), T0.toISOString(), T0.toISOString()]);
    expect(harness.dispatched.at(-1)?.[0]).toMatchObject({ type: 'image.scan-expired', windowDays: 30 });

    // scanned again, then lapsed again: told again
    await harness.updateVulnDb([LODASH]);
    await reevaluate(harness.ctx);
    harness.setNow(at(63));
    expect(await checkScanAge(harness.ctx)).toBe(3);
  });

  run('an extractor upgrade queues one re-index scan per image indexed by other extractors', async () => {
    const queue = createSqliteQueue(harness.ctx);
    const current = extractorsKey(extractors);
    const stored = await database.store.getInventory(images.express);
    await database.store.saveInventory(images.express, stored!.inventory, current, T0);
    expect(await queueReindex(harness.ctx, queue)).toBe(2);
    const queued = await database.store.listScans({ status: 'queued' });
    expect(queued.map((s) => s.digest).sort()).toEqual([images.lodash, images.minimist].sort());
    // their scans are pending: nothing more to queue
    expect(await queueReindex(harness.ctx, queue)).toBe(0);
  });
});
