import { copyFile, mkdir, mkdtemp, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collect, osvRecord, writeMirrorZip } from '../../testing.ts';
import { createTransport } from '../../transport.ts';
import type { SourceItem } from '../../types.ts';
import { osvSource, osvZipUrl, resolveOsvEcosystems } from './index.ts';
import { parseOsvRecord } from './record.ts';

const testdata = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'testdata', 'osv');
const transport = createTransport();

let dir: string;
let tmp: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-osv-'));
  tmp = await mkdtemp(join(tmpdir(), 'vigil-osv-tmp-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(tmp, { recursive: true, force: true });
});

function fetchAll(ecosystem: string, base: string): Promise<SourceItem[]> {
  return collect(osvSource(ecosystem, base).fetch({ transport, tmpDir: tmp }));
}

describe('osvSource', () => {
  it('yields every record of the real npm fixture, withdrawn ones included', async () => {
    const items = await fetchAll('npm', pathToFileURL(testdata).href);
    expect(items).toHaveLength(62);
    expect(items.every((item) => item.kind === 'osv')).toBe(true);
    const withdrawn = items.flatMap((item) => (item.kind === 'osv' && item.record.withdrawn ? [item.record.id] : []));
    expect(withdrawn.sort()).toEqual(['GHSA-7fhm-mqm4-2wp7', 'GHSA-pgv6-jrvv-75jp']);
  });

  it('skips bad entries with a reason and yields the rest', async () => {
    await writeMirrorZip(dir, 'PyPI', [
      osvRecord('PYSEC-1', { ecosystem: 'PyPI', name: 'requests' }),
      ['BROKEN.json', '{"id": "BROKEN", '],
      ['NOID.json', JSON.stringify({ modified: '2025-01-01T00:00:00Z', affected: [] })],
      ['BADTIME.json', JSON.stringify({ id: 'BADTIME', modified: 'yesterday' })],
      [
        'BADPKG.json',
        JSON.stringify({ id: 'BADPKG', modified: '2025-01-01T00:00:00Z', affected: [{ package: { name: 1 } }] }),
      ],
      ['../../escape.json', JSON.stringify(osvRecord('ESCAPE'))],
      osvRecord('PYSEC-2', { ecosystem: 'PyPI', name: 'urllib3' }),
    ]);
    const items = await fetchAll('PyPI', pathToFileURL(dir).href);
    expect(items.map((item) => (item.kind === 'osv' ? item.record.id : item.kind))).toEqual([
      'PYSEC-1',
      'skipped',
      'skipped',
      'skipped',
      'skipped',
      'skipped',
      'PYSEC-2',
    ]);
    const reasons = items.flatMap((item) =>
      item.kind === 'skipped' ? [`${item.where.split(':').pop()} ${item.reason}`] : [],
    );
    expect(reasons[0]).toMatch(/^BROKEN\.json invalid JSON/);
    expect(reasons[1]).toMatch(/^NOID\.json not an OSV record: id/);
    expect(reasons[2]).toMatch(/^BADTIME\.json not an OSV record: modified/);
    expect(reasons[3]).toMatch(/^BADPKG\.json not an OSV record: affected\.0\.package/);
    expect(reasons[4]).toMatch(/path traversal/);
  });

  it('throws VIGIL_SOURCE_INVALID for a truncated zip', async () => {
    const path = join(dir, 'npm', 'all.zip');
    await mkdir(dirname(path), { recursive: true });
    await copyFile(join(testdata, 'npm', 'all.zip'), path);
    await truncate(path, 30_000);
    await expect(fetchAll('npm', pathToFileURL(dir).href)).rejects.toMatchObject({ code: 'VIGIL_SOURCE_INVALID' });
  });

  it('throws VIGIL_SOURCE_UNREACHABLE when the mirror lacks the ecosystem', async () => {
    await expect(fetchAll('Debian', pathToFileURL(dir).href)).rejects.toMatchObject({
      code: 'VIGIL_SOURCE_UNREACHABLE',
      message: expect.stringContaining('Debian/all.zip'),
    });
  });
});

describe('osvZipUrl', () => {
  it.each([
    [
      'https://osv-vulnerabilities.storage.googleapis.com',
      'npm',
      'https://osv-vulnerabilities.storage.googleapis.com/npm/all.zip',
    ],
    ['https://mirror.example/osv/', 'Rocky Linux', 'https://mirror.example/osv/Rocky%20Linux/all.zip'],
    ['file:///srv/osv', 'crates.io', 'file:///srv/osv/crates.io/all.zip'],
  ])('%s + %s', (base, ecosystem, expected) => {
    expect(osvZipUrl(base, ecosystem)).toBe(expected);
  });

  it('reaches a mirror directory whose ecosystem name has a space', () => {
    expect(fileURLToPath(osvZipUrl('file:///srv/osv', 'Red Hat'))).toBe('/srv/osv/Red Hat/all.zip');
  });
});

describe('resolveOsvEcosystems', () => {
  it('accepts any spelling of a known ecosystem and returns osv.dev’s', () => {
    expect(resolveOsvEcosystems(['debian', 'PYPI', ' npm ', 'rocky linux'])).toEqual([
      'Debian',
      'PyPI',
      'npm',
      'Rocky Linux',
    ]);
  });

  it('rejects an unknown ecosystem as a usage error', () => {
    expect(() => resolveOsvEcosystems(['Debain'])).toThrow(expect.objectContaining({ code: 'VIGIL_USAGE' }));
  });
});

describe('parseOsvRecord', () => {
  it('returns the JSON as written, unknown fields included', () => {
    const parsed = parseOsvRecord(JSON.stringify({ id: 'X-1', modified: '2025-01-01T00:00:00Z', x_custom: [1] }));
    expect(parsed).toEqual({ ok: true, record: { id: 'X-1', modified: '2025-01-01T00:00:00Z', x_custom: [1] } });
  });

  it.each([
    ['[]', /not an OSV record/],
    ['null', /not an OSV record/],
    ['{"id":"", "modified":"2025-01-01T00:00:00Z"}', /id/],
    ['{"id":"X", "modified":"2025-01-01T00:00:00Z", "affected":[{"ranges":[{"type":"SEMVER"}]}]}', /events/],
    ['{"id":"X", "modified":"2025-01-01T00:00:00Z", "aliases":"CVE-1"}', /aliases/],
    // the reasons zod gave before the check was written by hand, word for word
    ['[]', /^not an OSV record: record: Invalid input: expected object, received array$/],
    [
      '{"modified":"2025-01-01T00:00:00Z"}',
      /^not an OSV record: id: Invalid input: expected string, received undefined$/,
    ],
    [
      `{"id":"${'x'.repeat(257)}", "modified":"2025-01-01T00:00:00Z"}`,
      /^not an OSV record: id: Too big: expected string to have <=256 characters$/,
    ],
    ['{"id":"X", "modified":"yesterday"}', /^not an OSV record: modified: is not an RFC 3339 time$/],
    [
      '{"id":"X", "modified":"2025-01-01T00:00:00Z", "withdrawn":null}',
      /^not an OSV record: withdrawn: Invalid input: expected string, received null$/,
    ],
    [
      '{"id":"X", "modified":"2025-01-01T00:00:00Z", "affected":[{"package":{"ecosystem":"npm","name":""}}]}',
      /^not an OSV record: affected\.0\.package\.name: Too small: expected string to have >=1 characters$/,
    ],
    [
      '{"id":"X", "modified":"2025-01-01T00:00:00Z", "affected":[{"ranges":[{"type":"SEMVER","events":[{"fixed":1}]}]}]}',
      /^not an OSV record: affected\.0\.ranges\.0\.events\.0\.fixed: Invalid input: expected string, received number$/,
    ],
    [
      '{"id":"X", "modified":"2025-01-01T00:00:00Z", "affected":[{"versions":["1", 2]}]}',
      /^not an OSV record: affected\.0\.versions\.1: Invalid input: expected string, received number$/,
    ],
  ])('rejects %s', (text, reason) => {
    const parsed = parseOsvRecord(text);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.reason).toMatch(reason);
  });
});
