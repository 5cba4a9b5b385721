import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isVigilError } from '../../../core/errors.ts';
import type { SourceItem } from '../../types.ts';
import { drain, fixtureTransport } from '../debian-tracker/fixture-transport.ts';
import { NVD_FEED_BASE, nvdFeedUrls, nvdSource } from './index.ts';
import { cvssOf, parseNvd } from './parser.ts';

const testdata = join(dirname(fileURLToPath(import.meta.url)), 'testdata');
const PAGE = join(testdata, 'nvd-cve-api-2.0-page-2023-10-18.json');
const SINGLE = join(testdata, 'nvd-cve-api-2.0-single-entry.json');
const brief = (items: readonly SourceItem[]) =>
  items.map((i) =>
    i.kind === 'nvd' ? `${i.cvss.cveId} ${i.cvss.type} ${i.cvss.baseScore} ${i.cvss.vector}` : `${i.kind}`,
  );
const metric = (source: string, type: string, vectorString: string, baseScore: number) => ({
  source,
  type,
  cvssData: { vectorString, baseScore },
});

describe('parseNvd on real API 2.0 responses', () => {
  it('keeps v3.1 and v2 of the single entry', async () => {
    const { items, error } = await drain(parseNvd([await readFile(SINGLE)]));
    expect(error).toBeUndefined();
    expect(brief(items)).toEqual([
      'CVE-2022-1576 CVSS_V3 6.5 CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:H/A:N',
      'CVE-2022-1576 CVSS_V2 4.3 AV:N/AC:M/Au:N/C:N/I:P/A:N',
    ]);
  });

  it.each([
    // NVD's own score wins over the CNA's (patchstack 5.4)
    ['CVE-2023-45109', 'CVE-2023-45109 CVSS_V3 8.8 CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H'],
    // a Primary CNA score when NVD has none
    ['CVE-2023-22068', 'CVE-2023-22068 CVSS_V3 4.9 CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:N/I:N/A:H'],
    // awaiting analysis: only the CNA's Secondary score
    ['CVE-2023-5642', 'CVE-2023-5642 CVSS_V3 9.8 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'],
  ])('%s', async (cveId, want) => {
    const { items } = await drain(parseNvd([await readFile(PAGE)]));
    expect(brief(items).filter((line) => line.startsWith(`${cveId} `))).toEqual([want]);
  });

  it('yields one vector per scored CVE of the page, nothing for the unscored', async () => {
    const { items, error } = await drain(parseNvd([await readFile(PAGE)]));
    expect(error).toBeUndefined();
    expect(items.filter((i) => i.kind === 'nvd')).toHaveLength(35);
    expect(items.filter((i) => i.kind !== 'nvd')).toEqual([]);
  });
});

describe('parseNvd streams', () => {
  it('yields a CVE before the rest of the feed has arrived', async () => {
    let rest = false;
    const element = {
      cve: { id: 'CVE-2024-0001', metrics: { cvssMetricV2: [metric('nvd@nist.gov', 'Primary', 'AV:N', 5)] } },
    };
    async function* body() {
      yield `{"format": "NVD_CVE", "vulnerabilities": [${JSON.stringify(element)},`;
      rest = true;
      yield ']}';
    }
    const items = parseNvd(body());
    const first = await items.next();
    expect(first.value).toEqual({
      kind: 'nvd',
      cvss: { cveId: 'CVE-2024-0001', type: 'CVSS_V2', vector: 'AV:N', baseScore: 5 },
    });
    expect(rest).toBe(false);
    await items.return(undefined);
  });
});

describe('cvssOf', () => {
  const cve = (fields: Record<string, unknown>) => ({ cve: { id: 'CVE-2024-0001', ...fields } });
  it.each<[string, unknown, string[]]>([
    ['no cve', { foo: 1 }, ['skipped']],
    ['bad id', { cve: { id: 'GHSA-1' } }, ['skipped']],
    ['no metrics', cve({}), []],
    [
      'rejected',
      cve({ vulnStatus: 'Rejected', metrics: { cvssMetricV31: [metric('a', 'Primary', 'CVSS:3.1/AV:N', 1)] } }),
      [],
    ],
    ['metrics not an object', cve({ metrics: [] }), ['skipped']],
    ['metric list not an array', cve({ metrics: { cvssMetricV2: {} } }), ['skipped']],
    [
      'v3.1 wins over v3.0; v4 kept',
      cve({
        metrics: {
          cvssMetricV30: [metric('nvd@nist.gov', 'Primary', 'CVSS:3.0/AV:L', 5)],
          cvssMetricV31: [metric('cna', 'Secondary', 'CVSS:3.1/AV:N', 6)],
          cvssMetricV40: [metric('cna', 'Secondary', 'CVSS:4.0/AV:N', 7)],
        },
      }),
      ['CVE-2024-0001 CVSS_V4 7 CVSS:4.0/AV:N', 'CVE-2024-0001 CVSS_V3 6 CVSS:3.1/AV:N'],
    ],
    [
      'a metric without a vector is skipped, the next used',
      cve({
        metrics: {
          cvssMetricV31: [{ source: 'nvd@nist.gov', cvssData: {} }, metric('x', 'Secondary', 'CVSS:3.1/AV:A', 3)],
        },
      }),
      ['skipped', 'CVE-2024-0001 CVSS_V3 3 CVSS:3.1/AV:A'],
    ],
    [
      'an out-of-range score is left out, the vector kept',
      cve({ metrics: { cvssMetricV2: [metric('nvd@nist.gov', 'Primary', 'AV:N/AC:L', 99)] } }),
      ['CVE-2024-0001 CVSS_V2 undefined AV:N/AC:L'],
    ],
  ])('%s', (_name, element, want) => {
    expect(brief([...cvssOf(element, 'nvd:test')])).toEqual(want);
  });
});

describe('parseNvd on malformed input', () => {
  it.each<[string, string, RegExp]>([
    ['another format', '{"format": "NVD_CPE", "products": []}', /format is "NVD_CPE"/],
    ['no vulnerabilities', '{"resultsPerPage": 0}', /no "vulnerabilities" array/],
    ['vulnerabilities not an array', '{"vulnerabilities": 1}', /not an array/],
    ['the legacy 1.1 feed', '{"CVE_data_type": "CVE", "CVE_Items": []}', /no "vulnerabilities" array/],
    ['an HTML page', '<html>rate limited</html>', /not a JSON object/],
  ])('%s throws VIGIL_SOURCE_INVALID', async (_name, text, want) => {
    const { error } = await drain(parseNvd([text]));
    expect(isVigilError(error, 'VIGIL_SOURCE_INVALID') && error.message).toMatch(want);
  });

  it('never throws anything but VIGIL_SOURCE_INVALID on arbitrary text', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.json().map((j) => `{"vulnerabilities": [{"cve": ${j}}]}`),
        ),
        async (text) => {
          const { error } = await drain(parseNvd([text]));
          if (error !== undefined) expect(isVigilError(error, 'VIGIL_SOURCE_INVALID')).toBe(true);
        },
      ),
    );
  });
});

describe('nvdSource through a fixture transport', () => {
  const now = () => new Date('2003-06-01T00:00:00Z');

  it('lists the yearly 2.0 feeds up to the current year', () => {
    expect(nvdFeedUrls(NVD_FEED_BASE, new Date('2004-01-01T00:00:00Z'))).toEqual([
      'https://nvd.nist.gov/feeds/json/cve/2.0/nvdcve-2.0-2002.json.gz',
      'https://nvd.nist.gov/feeds/json/cve/2.0/nvdcve-2.0-2003.json.gz',
      'https://nvd.nist.gov/feeds/json/cve/2.0/nvdcve-2.0-2004.json.gz',
    ]);
  });

  it('reads every gzipped yearly feed of a mirror', async () => {
    const transport = fixtureTransport({
      'file:///m/nvd/nvdcve-2.0-2002.json.gz': gzipSync(await readFile(SINGLE)),
      'file:///m/nvd/nvdcve-2.0-2003.json.gz': PAGE,
    });
    const source = nvdSource({ baseUrl: 'file:///m/nvd/', now });
    const { items, error } = await drain(source.fetch({ transport, tmpDir: '/x' }));
    expect(error).toBeUndefined();
    expect(items).toHaveLength(37);
    expect(transport.opened).toEqual([
      'file:///m/nvd/nvdcve-2.0-2002.json.gz',
      'file:///m/nvd/nvdcve-2.0-2003.json.gz',
    ]);
  });

  it('a truncated gzip feed throws VIGIL_SOURCE_INVALID after the CVEs before the cut', async () => {
    const gz = gzipSync(await readFile(PAGE));
    const transport = fixtureTransport({ 'file:///page.json.gz': gz.subarray(0, Math.floor(gz.length * 0.8)) });
    const { items, error } = await drain(
      nvdSource({ urls: ['file:///page.json.gz'] }).fetch({ transport, tmpDir: '/x' }),
    );
    expect(items.length).toBeGreaterThan(0);
    expect(isVigilError(error, 'VIGIL_SOURCE_INVALID')).toBe(true);
  });

  it('a missing yearly feed fails the source', async () => {
    const transport = fixtureTransport({ 'file:///m/nvdcve-2.0-2002.json.gz': SINGLE });
    const { error } = await drain(nvdSource({ baseUrl: 'file:///m', now }).fetch({ transport, tmpDir: '/x' }));
    expect(isVigilError(error, 'VIGIL_SOURCE_UNREACHABLE')).toBe(true);
  });
});
