/**
 * A store made before migration 0007 keeps every finding's last sighting: digest_matches is filled
 * from the images' last_scanned, and the findings' own last_seen (which the old re-matches wrote)
 * still reads as it did.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrationProvider } from './migrations.ts';
import { openStore } from './open-store.ts';
import { openSqlite } from './sqlite-database.ts';
import { aFinding, digestOf } from './testing.ts';

const T1 = Date.parse('2026-10-01T00:00:00Z');
const T2 = Date.parse('2026-10-02T00:00:00Z');
const T3 = new Date('2026-10-03T00:00:00Z');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-migrations-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('migration 0007 (digest_matches)', () => {
  it('keeps the last sightings a store written before it holds', async () => {
    const path = join(dir, 'vigil.db');
    const old = openSqlite(path);
    const { error } = await new Migrator({ db: old, provider: migrationProvider('sqlite') }).migrateTo(
      '0006-rematch-dispatches',
    );
    expect(error).toBeUndefined();
    const digest = digestOf(7);
    const [open, gone] = [aFinding('CVE-2026-0001', 'openssl'), aFinding('CVE-2026-0002', 'zlib')];
    await sql`insert into images (id, registry_id, repository, digest, first_seen, last_scanned)
      values ('i1', 'r1', 'app', ${digest}, ${T1}, ${T2})`.execute(old);
    // as the old re-match at T2 left them: the open finding seen at T2, the other resolved then
    for (const [finding, state, lastSeen] of [
      [open, 'open', T2],
      [gone, 'resolved', T1],
    ] as const) {
      await sql`insert into findings (digest, vulnerability_id, purl, package_name, package_version, ecosystem,
          severity, severity_rank, fix_state, fix_available, kev, state, first_seen, last_seen, resolved_at, finding)
        values (${digest}, ${finding.id}, ${finding.package.purl}, ${finding.package.name}, '1.0-1', 'Debian:12',
          'HIGH', 1, 'not-fixed', 0, 0, ${state}, ${T1}, ${lastSeen}, ${state === 'resolved' ? T2 : null},
          ${JSON.stringify(finding)})`.execute(old);
    }
    await old.destroy();

    const store = await openStore(`sqlite://${path}`);
    try {
      const seen = async () =>
        Object.fromEntries(
          (await store.findingsPage({ digest }, undefined, 10)).findings.map((f) => [
            f.vulnerabilityId,
            f.lastSeen.getTime(),
          ]),
        );
      expect(await seen()).toEqual({ [open.id]: T2, [gone.id]: T1 });
      const reader = openSqlite(path);
      const { rows } = await sql<{ digest: string; matched_at: number }>`select * from digest_matches`.execute(reader);
      await reader.destroy();
      expect(rows).toEqual([{ digest, matched_at: T2 }]);
      // the first match after the upgrade moves the open one only
      await store.applyMatchResult(digest, [open], { complete: true, now: T3 });
      expect(await seen()).toEqual({ [open.id]: T3.getTime(), [gone.id]: T1 });
    } finally {
      await store.close();
    }
  });
});
