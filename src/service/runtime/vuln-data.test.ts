import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTransport, updateDatabase } from '../../vulndb/index.ts';
import { inlineSource, osvRecord } from '../../vulndb/testing.ts';
import { openVulnData, type VulnData } from './vuln-data.ts';

const T0 = new Date('2026-11-01T00:00:00Z');
const DAY = 86_400_000;
let dir: string;
let data: VulnData;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-vuln-data-'));
  data = openVulnData(join(dir, 'vuln.db'));
});
afterEach(() => {
  data.close();
  rmSync(dir, { recursive: true, force: true });
});

const build = (names: string[], failWith?: Error) =>
  updateDatabase({
    dbPath: data.path,
    sources: [
      inlineSource(
        'osv:npm',
        names.map((name) => ({ kind: 'osv' as const, record: osvRecord(`GHSA-${name}`, { name }) })),
        failWith,
      ),
    ],
    transport: createTransport(),
    now: () => T0,
  });

describe('the service vuln DB handle', () => {
  it('is undefined until the file exists, then follows each swap', async () => {
    expect(data.reader()).toBeUndefined();
    await build(['left-pad']);
    expect(data.reader()?.recordsFor('npm', 'left-pad')).toHaveLength(1);
    await build(['minimist']);
    expect(data.reader()?.recordsFor('npm', 'minimist')).toHaveLength(1);
    expect(data.reader()?.recordsFor('npm', 'left-pad')).toHaveLength(0);
  });

  it.each([
    ['fresh data', [], 1, true],
    ['data older than the stale limit', [], 4, false],
    ['a failed source', [new Error('mirror unreachable')], 1, false],
  ] as const)('%s: complete = %s', async (_label, failure, ageDays, complete) => {
    await build(['left-pad']);
    if (failure.length > 0) await build(['left-pad'], failure[0]);
    const reader = data.reader()!;
    expect(data.completeness(reader, new Date(T0.getTime() + ageDays * DAY), 3 * DAY).complete).toBe(complete);
  });
});
