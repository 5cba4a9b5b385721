import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isVigilError } from '../../../core/errors.ts';
import { drain, fixtureTransport } from '../debian-tracker/fixture-transport.ts';
import { KEV_URL, kevSource } from './index.ts';
import { kevEntry, parseKev } from './parser.ts';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'testdata', 'known_exploited_vulnerabilities.json');
const fetchKev = (files: Record<string, string | Uint8Array>, url?: string) =>
  drain(kevSource(url ? { url } : {}).fetch({ transport: fixtureTransport(files), tmpDir: '/nonexistent' }));

describe('kevSource on the real catalog excerpt', () => {
  it('yields every entry, ransomware use as a boolean', async () => {
    const { items, error } = await fetchKev({ [KEV_URL]: FIXTURE });
    expect(error).toBeUndefined();
    expect(items).toEqual([
      {
        kind: 'kev',
        entry: {
          cveId: 'CVE-2025-48384',
          dateAdded: '2025-08-25',
          dueDate: '2025-09-15',
          knownRansomwareCampaignUse: false,
          vulnerabilityName: 'Git Link Following Vulnerability',
        },
      },
      expect.objectContaining({ entry: expect.objectContaining({ cveId: 'CVE-2024-8068' }) }),
      expect.objectContaining({ entry: expect.objectContaining({ cveId: 'CVE-2024-8069' }) }),
      expect.objectContaining({
        entry: expect.objectContaining({ cveId: 'CVE-2025-49704', knownRansomwareCampaignUse: true }),
      }),
      expect.objectContaining({
        entry: expect.objectContaining({ cveId: 'CVE-2025-49706', knownRansomwareCampaignUse: true }),
      }),
    ]);
  });

  it('reads a mirror URL', async () => {
    const { items } = await fetchKev({ 'file:///m/kev.json': FIXTURE }, 'file:///m/kev.json');
    expect(items).toHaveLength(5);
  });

  it('a truncated catalog yields the entries before the cut, then throws VIGIL_SOURCE_INVALID', async () => {
    const text = await readFile(FIXTURE, 'utf8');
    const { items, error } = await fetchKev({ [KEV_URL]: Buffer.from(text.slice(0, text.indexOf('CVE-2024-8069'))) });
    expect(items.map((i) => (i.kind === 'kev' ? i.entry.cveId : i.kind))).toEqual(['CVE-2025-48384', 'CVE-2024-8068']);
    expect(isVigilError(error, 'VIGIL_SOURCE_INVALID')).toBe(true);
  });
});

describe('kevEntry', () => {
  it.each<[string, unknown, unknown]>([
    [
      'minimal',
      { cveID: 'CVE-2021-44228', dateAdded: '2021-12-10' },
      { cveId: 'CVE-2021-44228', dateAdded: '2021-12-10' },
    ],
    [
      'unknown ransomware value left out',
      { cveID: 'CVE-2021-44228', dateAdded: '2021-12-10', knownRansomwareCampaignUse: 'Maybe' },
      { cveId: 'CVE-2021-44228', dateAdded: '2021-12-10' },
    ],
    [
      'long CVE number',
      { cveID: 'CVE-2021-1234567', dateAdded: '2021-12-10' },
      { cveId: 'CVE-2021-1234567', dateAdded: '2021-12-10' },
    ],
    ['not an object', [1], 'entry is not an object'],
    ['bad id', { cveID: 'GHSA-xxxx', dateAdded: '2021-12-10' }, 'cveID "GHSA-xxxx" is not a CVE id'],
    ['missing id', { dateAdded: '2021-12-10' }, 'cveID undefined is not a CVE id'],
    [
      'bad dateAdded',
      { cveID: 'CVE-2021-44228', dateAdded: '12/10/2021' },
      'CVE-2021-44228: dateAdded is not YYYY-MM-DD',
    ],
    [
      'bad dueDate',
      { cveID: 'CVE-2021-44228', dateAdded: '2021-12-10', dueDate: 5 },
      'CVE-2021-44228: dueDate is not YYYY-MM-DD',
    ],
  ])('%s', (_name, value, want) => {
    expect(kevEntry(value)).toEqual(want);
  });
});

describe('parseKev on malformed input', () => {
  it.each<[string, string, string[], RegExp | undefined]>([
    [
      'a bad entry is skipped, the rest kept',
      '{"vulnerabilities": [{"cveID": "x"}, {"cveID": "CVE-2021-44228", "dateAdded": "2021-12-10"}]}',
      ['skipped', 'kev'],
      undefined,
    ],
    [
      'an entry that is not JSON is skipped',
      '{"vulnerabilities": [{"cveID": tru}, {"cveID": "CVE-2021-44228", "dateAdded": "2021-12-10"}]}',
      ['skipped', 'kev'],
      undefined,
    ],
    ['an empty catalog is valid', '{"count": 0, "vulnerabilities": []}', [], undefined],
    ['no vulnerabilities member', '{"title": "x"}', [], /no "vulnerabilities" array/],
    ['vulnerabilities not an array', '{"vulnerabilities": {}}', [], /not an array/],
    ['an HTML error page', '<!doctype html><p>Access denied', [], /not a JSON object/],
    ['a JSON array', '[]', [], /not a JSON object/],
  ])('%s', async (_name, text, kinds, error) => {
    const result = await drain(parseKev([text]));
    expect(result.items.map((i) => i.kind)).toEqual(kinds);
    if (error) expect(isVigilError(result.error, 'VIGIL_SOURCE_INVALID') && result.error.message).toMatch(error);
    else expect(result.error).toBeUndefined();
  });

  it('never throws anything but VIGIL_SOURCE_INVALID on arbitrary text', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.json().map((j) => `{"vulnerabilities": [${j}]}`),
        ),
        async (text) => {
          const { error } = await drain(parseKev([text]));
          if (error !== undefined) expect(isVigilError(error, 'VIGIL_SOURCE_INVALID')).toBe(true);
        },
      ),
    );
  });
});
