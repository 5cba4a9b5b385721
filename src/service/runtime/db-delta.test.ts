import { existsSync, linkSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTransport, updateDatabase, type VulnSource } from '../../vulndb/index.ts';
import { inlineSource, osvRecord } from '../../vulndb/testing.ts';
import type { PackageKey } from '../store/types.ts';
import { diffPackages } from './db-delta.ts';

let dir: string;
let dbPath: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-db-delta-'));
  dbPath = join(dir, 'vuln.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const osv = (...records: ReturnType<typeof osvRecord>[]) =>
  inlineSource(
    'osv:npm',
    records.map((record) => ({ kind: 'osv' as const, record })),
  );
const kev = (...cves: string[]) =>
  inlineSource(
    'kev',
    cves.map((cveId) => ({ kind: 'kev' as const, entry: { cveId, dateAdded: '2026-10-01' } })),
  );
/** an update diffed as DbWatch diffs one: a hard link to the file before, diffPackages after */
async function update(sources: VulnSource[]): Promise<{ changedPackages: PackageKey[] | undefined }> {
  const before = join(dir, 'before.db');
  const existed = existsSync(dbPath);
  if (existed) linkSync(dbPath, before);
  try {
    await updateDatabase({ dbPath, sources, transport: createTransport() });
    return { changedPackages: existed ? diffPackages(before, dbPath) : undefined };
  } finally {
    rmSync(before, { force: true });
  }
}
const keys = (result: Awaited<ReturnType<typeof update>>) =>
  result.changedPackages?.map((k) => `${k.ecosystem} ${k.name}`).sort();

const base = [
  osvRecord('GHSA-a', { name: 'left-pad', aliases: ['CVE-2099-1'] }),
  osvRecord('GHSA-b', { name: 'minimist', aliases: ['CVE-2099-2'] }),
  osvRecord('PYSEC-c', { ecosystem: 'PyPI', name: 'Django_Utils', aliases: ['CVE-2099-3'] }),
];

describe('diffPackages', () => {
  it.each([
    ['nothing changed', [osv(...base)], []],
    [
      'a record modified',
      [osv(osvRecord('GHSA-a', { name: 'left-pad', modified: '2026-01-01T00:00:00Z' }), base[1]!, base[2]!)],
      ['npm left-pad'],
    ],
    ['a record removed', [osv(base[0]!, base[1]!)], ['PyPI django-utils']],
    [
      'a record withdrawn (its old packages still need a re-match)',
      [
        osv(
          osvRecord('GHSA-b', {
            name: 'minimist',
            modified: '2026-01-01T00:00:00Z',
            withdrawn: '2026-01-01T00:00:00Z',
          }),
          base[0]!,
          base[2]!,
        ),
      ],
      ['npm minimist'],
    ],
    [
      'a record added that moved to another package',
      [osv(...base, osvRecord('GHSA-d', { name: 'express' }))],
      ['npm express'],
    ],
    ['a CVE added to KEV (reached through the alias)', [osv(...base), kev('CVE-2099-2')], ['npm minimist']],
  ])('%s', async (_label, sources, expected) => {
    await update([osv(...base)]);
    expect(keys(await update(sources as VulnSource[]))).toEqual(expected);
  });
});
