import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isVigilError } from '../../../core/errors.ts';
import type { OsvRecord } from '../../../core/osv.ts';
import type { SourceItem } from '../../types.ts';
import { drain, fixtureTransport } from './fixture-transport.ts';
import { DEBIAN_TRACKER_URL, debianTrackerSource } from './index.ts';
import { parseDebianTracker } from './parser.ts';

const testdata = join(dirname(fileURLToPath(import.meta.url)), 'testdata');
const FIXTURE = join(testdata, 'vunnel-debian.json');
const MODIFIED = '2026-12-01T00:00:00.000Z';

let tmpDir: string;
beforeAll(async () => {
  tmpDir = await mkdtemp(join(tmpdir(), 'vigil-debian-'));
});
afterAll(async () => {
  await rm(tmpDir, { recursive: true, force: true });
});

const parse = (text: string) => drain(parseDebianTracker([text], { modified: MODIFIED }));
const records = (items: readonly SourceItem[]) => items.flatMap((item) => (item.kind === 'osv' ? [item.record] : []));
const skips = (items: readonly SourceItem[]) =>
  items.flatMap((item) => (item.kind === 'skipped' ? [`${item.where}: ${item.reason}`] : []));
/** "ecosystem name introduced..fixed" for each affected entry */
const ranges = (record: OsvRecord | undefined) =>
  (record?.affected ?? []).map((a) => {
    const events = a.ranges?.[0]?.events ?? [];
    return `${a.package?.ecosystem} ${a.package?.name} ${events.map((e) => e.introduced ?? e.fixed).join('..')}`;
  });

describe('parser on the vunnel excerpt of the real export', () => {
  let byId: Map<string, OsvRecord>;
  let skipped: string[];
  beforeAll(async () => {
    const { items, error } = await parse(await readFile(FIXTURE, 'utf8'));
    expect(error).toBeUndefined();
    byId = new Map(records(items).map((r) => [`${r.id} ${r.affected?.[0]?.package?.name}`, r]));
    skipped = skips(items);
  });

  it('yields one record per (CVE, source package) that affects a numbered release', () => {
    expect([...byId.keys()].sort()).toEqual([
      'DEBIAN-CVE-2005-3111 backupninja',
      'DEBIAN-CVE-2008-7220 prototypejs',
      'DEBIAN-CVE-2013-1444 txt2man',
      'DEBIAN-CVE-2022-0456 chromium',
      'DEBIAN-CVE-2025-53603 sope',
    ]);
    expect(skipped).toEqual([]);
  });

  it.each([
    // sid has no version number, so osv.dev (and Vigil) leave it out
    [
      'DEBIAN-CVE-2008-7220 prototypejs',
      ['Debian:9 prototypejs 0..1.6.0.2-1', 'Debian:8 prototypejs 0..1.6.0.2-1', 'Debian:10 prototypejs 0..1.6.0.2-1'],
    ],
    // open (end-of-life) releases are affected with no fix
    [
      'DEBIAN-CVE-2022-0456 chromium',
      [
        'Debian:12 chromium 0..98.0.4758.80-1',
        'Debian:11 chromium 0..98.0.4758.80-1~deb11u1',
        'Debian:10 chromium 0',
        'Debian:9 chromium 0',
      ],
    ],
    [
      'DEBIAN-CVE-2025-53603 sope',
      ['Debian:12 sope 0..5.8.0-1+deb12u1', 'Debian:11 sope 0..5.0.1-2+deb11u1', 'Debian:13 sope 0..5.12.1-2'],
    ],
  ])('%s', (key, want) => {
    expect(ranges(byId.get(key))).toEqual(want);
  });

  it('shapes the record as osv.dev does, with the CVE as alias and urgency kept', () => {
    const record = byId.get('DEBIAN-CVE-2022-0456 chromium')!;
    expect(record).toMatchObject({
      id: 'DEBIAN-CVE-2022-0456',
      modified: MODIFIED,
      aliases: ['CVE-2022-0456'],
      upstream: ['CVE-2022-0456'],
      references: [{ type: 'ADVISORY', url: 'https://security-tracker.debian.org/tracker/CVE-2022-0456' }],
    });
    expect(record.affected?.[2]?.ecosystem_specific).toEqual({
      urgency: 'end-of-life',
      status: 'open',
      codename: 'buster',
      wont_fix: true,
    });
    expect(record.affected?.[0]?.ecosystem_specific).toEqual({
      urgency: 'not yet assigned',
      status: 'resolved',
      codename: 'bookworm',
    });
    expect(byId.get('DEBIAN-CVE-2008-7220 prototypejs')?.database_specific).toEqual({
      source: 'debian-tracker',
      scope: 'remote',
      debianbug: 555217,
    });
  });
});

describe('parser on the statuses the tracker uses', () => {
  const release = (fields: Record<string, unknown>) =>
    JSON.stringify({ zlib: { 'CVE-2023-45853': { description: 'd', releases: { bookworm: fields } } } });
  const common = { codename: 'bookworm' };
  it.each<[string, Record<string, unknown>, string[], unknown]>([
    [
      "open, won't fix",
      { status: 'open', urgency: 'unimportant', nodsa: 'contrib/minizip not built', nodsa_reason: 'ignored' },
      ['Debian:12 zlib 0'],
      {
        ...common,
        status: 'open',
        urgency: 'unimportant',
        nodsa: 'contrib/minizip not built',
        nodsa_reason: 'ignored',
        wont_fix: true,
      },
    ],
    [
      'open, postponed: a fix may still come',
      { status: 'open', urgency: 'low', nodsa: 'Minor issue', nodsa_reason: 'postponed' },
      ['Debian:12 zlib 0'],
      { ...common, status: 'open', urgency: 'low', nodsa: 'Minor issue', nodsa_reason: 'postponed' },
    ],
    [
      'open, end-of-life: no fix will come',
      { status: 'open', urgency: 'end-of-life' },
      ['Debian:12 zlib 0'],
      { ...common, status: 'open', urgency: 'end-of-life', wont_fix: true },
    ],
    [
      'undetermined counts as affected, as osv.dev does',
      { status: 'undetermined', urgency: 'not yet assigned' },
      ['Debian:12 zlib 0'],
      { ...common, status: 'undetermined', urgency: 'not yet assigned' },
    ],
    [
      'resolved with 0: not affected',
      { status: 'resolved', fixed_version: '0', urgency: 'unimportant' },
      [],
      undefined,
    ],
    [
      'resolved, even if ignored elsewhere, is fixed',
      { status: 'resolved', fixed_version: '1:1.2.13.dfsg-1+deb12u1', urgency: 'medium', nodsa_reason: 'ignored' },
      ['Debian:12 zlib 0..1:1.2.13.dfsg-1+deb12u1'],
      { ...common, status: 'resolved', urgency: 'medium', nodsa_reason: 'ignored' },
    ],
  ])('%s', async (_name, fields, want, specific) => {
    const { items } = await parse(release(fields));
    expect(skips(items)).toEqual([]);
    const record = records(items)[0];
    expect(ranges(record)).toEqual(want);
    expect(record?.affected?.[0]?.ecosystem_specific).toEqual(specific);
  });
});

describe('parser on malformed and hostile input', () => {
  it.each([
    [
      'package entry not an object',
      '{"a": [1], "b": {"CVE-2020-0001": {"releases": {"sid": {"status": "open"}}}}}',
      ['debian-tracker:a: package entry is not an object'],
    ],
    ['issue not an object', '{"a": {"CVE-2020-0001": 3}}', ['debian-tracker:a/CVE-2020-0001: issue is not an object']],
    [
      'releases not an object',
      '{"a": {"CVE-2020-0001": {"releases": "x"}}}',
      ['debian-tracker:a/CVE-2020-0001: releases is not an object'],
    ],
    [
      'unknown status',
      '{"a": {"CVE-2020-0001": {"releases": {"bookworm": {"status": "fixed"}}}}}',
      ['debian-tracker:a/CVE-2020-0001: bookworm: unknown status "fixed"'],
    ],
    [
      'resolved without version',
      '{"a": {"CVE-2020-0001": {"releases": {"bookworm": {"status": "resolved"}}}}}',
      ['debian-tracker:a/CVE-2020-0001: bookworm: resolved without a fixed_version'],
    ],
    [
      'wrong field type',
      '{"a": {"CVE-2020-0001": {"releases": {"bookworm": {"status": "open", "urgency": 3}}}}}',
      ['debian-tracker:a/CVE-2020-0001: bookworm: fixed_version, urgency or nodsa is not a string'],
    ],
    [
      'TEMP ids are not converted, as osv.dev does',
      '{"a": {"TEMP-0000000-1A2B3C": {"releases": {"bookworm": {"status": "open"}}}}}',
      [],
    ],
    [
      'deeply nested package entry',
      `{"a": ${'['.repeat(200_000)}${']'.repeat(200_000)}}`,
      ['debian-tracker:a: package entry is not an object'],
    ],
    [
      '__proto__ as package and codename',
      '{"__proto__": {"CVE-2020-0001": {"releases": {"__proto__": {"status": "open"}, "toString": {"status": "open"}}}}}',
      [],
    ],
  ])('%s', async (_name, text, want) => {
    const { items, error } = await parse(text);
    expect(error).toBeUndefined();
    expect(skips(items)).toEqual(want);
  });

  it('skips a package entry above the size bound and keeps the next one', async () => {
    const text =
      '{"big": {"CVE-2020-0001": {"description": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}}, "ok": {"CVE-2020-0002": {"releases": {"trixie": {"status": "open"}}}}}';
    const { items } = await drain(parseDebianTracker([text], { modified: MODIFIED, maxPackageChars: 64 }));
    expect(skips(items)).toEqual(['debian-tracker:big: package entry of 90 characters exceeds the 64 limit']);
    expect(records(items).map((r) => r.id)).toEqual(['DEBIAN-CVE-2020-0002']);
  });

  it('streams: a package is yielded before the rest of the export has arrived', async () => {
    let rest = false;
    async function* body() {
      yield '{"a": {"CVE-2020-0001": {"releases": {"trixie": {"status": "open"}}}}, ';
      rest = true;
      yield '"b": {}}';
    }
    const items = parseDebianTracker(body(), { modified: MODIFIED });
    const first = await items.next();
    expect(first.value).toMatchObject({ kind: 'osv', record: { id: 'DEBIAN-CVE-2020-0001' } });
    expect(rest).toBe(false);
    await items.return(undefined);
  });

  it('yields what came before a truncation, then throws VIGIL_SOURCE_INVALID', async () => {
    const text = await readFile(FIXTURE, 'utf8');
    const { items, error } = await parse(text.slice(0, text.indexOf('"chromium"') + 30));
    expect(records(items).map((r) => r.id)).toEqual([
      'DEBIAN-CVE-2008-7220',
      'DEBIAN-CVE-2013-1444',
      'DEBIAN-CVE-2005-3111',
    ]);
    expect(isVigilError(error, 'VIGIL_SOURCE_INVALID')).toBe(true);
  });

  it('never throws anything but VIGIL_SOURCE_INVALID on arbitrary text', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.json().map((j) => `{"p": {"CVE-2000-0001": ${j}}}`),
        ),
        async (text) => {
          const { error } = await parse(text);
          if (error !== undefined) expect(isVigilError(error, 'VIGIL_SOURCE_INVALID')).toBe(true);
        },
      ),
    );
  });
});

describe('debianTrackerSource through a fixture transport', () => {
  const fetchAll = (files: Record<string, string | Uint8Array>, buckets?: number) => {
    const transport = fixtureTransport(files);
    const source = debianTrackerSource({
      now: () => new Date(MODIFIED),
      ...(buckets ? { mergeBuckets: buckets } : {}),
    });
    return drain(source.fetch({ transport, tmpDir }));
  };

  it('reads the default URL and yields one record per CVE', async () => {
    const { items, error } = await fetchAll({ [DEBIAN_TRACKER_URL]: FIXTURE });
    expect(error).toBeUndefined();
    expect(
      records(items)
        .map((r) => r.id)
        .sort(),
    ).toEqual([
      'DEBIAN-CVE-2005-3111',
      'DEBIAN-CVE-2008-7220',
      'DEBIAN-CVE-2013-1444',
      'DEBIAN-CVE-2022-0456',
      'DEBIAN-CVE-2025-53603',
    ]);
  });

  it.each([1, 2, 64])('merges a CVE shared by two source packages (%i buckets)', async (buckets) => {
    const shared = (fixed: string) => ({
      'CVE-2024-0001': { description: 'd', releases: { bookworm: { status: 'resolved', fixed_version: fixed } } },
    });
    const text = JSON.stringify({ linux: shared('6.1.1-1'), other: shared('1.0-1'), 'linux-6.1': shared('6.1.2-1') });
    const { items } = await fetchAll({ [DEBIAN_TRACKER_URL]: Buffer.from(text) }, buckets);
    const merged = records(items);
    expect(merged.map((r) => r.id)).toEqual(['DEBIAN-CVE-2024-0001']);
    expect(ranges(merged[0])).toEqual([
      'Debian:12 linux 0..6.1.1-1',
      'Debian:12 other 0..1.0-1',
      'Debian:12 linux-6.1 0..6.1.2-1',
    ]);
    expect(merged[0]?.aliases).toEqual(['CVE-2024-0001']);
  });

  it('a truncated export still yields what it read, then throws VIGIL_SOURCE_INVALID', async () => {
    const text = await readFile(FIXTURE);
    const { items, error } = await fetchAll({ [DEBIAN_TRACKER_URL]: text.subarray(0, text.length - 10) });
    expect(records(items).length).toBeGreaterThan(0);
    expect(isVigilError(error, 'VIGIL_SOURCE_INVALID')).toBe(true);
  });

  it("a missing mirror file is the transport's error", async () => {
    const { items, error } = await fetchAll({});
    expect(items).toEqual([]);
    expect(isVigilError(error, 'VIGIL_SOURCE_UNREACHABLE')).toBe(true);
  });

  it('takes its URL from the options', async () => {
    const transport = fixtureTransport({ 'file:///mirror/debian.json': FIXTURE });
    const source = debianTrackerSource({ url: 'file:///mirror/debian.json' });
    const { error } = await drain(source.fetch({ transport, tmpDir }));
    expect(error).toBeUndefined();
    expect(transport.opened).toEqual(['file:///mirror/debian.json']);
  });
});
