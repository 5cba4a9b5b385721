import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isVigilError, VigilError } from '../../../core/errors.ts';
import type { SourceItem } from '../../types.ts';
import { drain, fixtureTransport } from '../debian-tracker/fixture-transport.ts';
import { lines, maybeGunzip } from './feed-text.ts';
import { EPSS_URL, epssSource } from './index.ts';
import { epssRow, parseEpss } from './parser.ts';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'testdata', 'epss_scores-excerpt-2025-02-20.csv');
const fetchEpss = (body: string | Uint8Array, url = EPSS_URL) =>
  drain(
    epssSource(url === EPSS_URL ? {} : { url }).fetch({ transport: fixtureTransport({ [url]: body }), tmpDir: '/x' }),
  );
const brief = (items: readonly SourceItem[]) =>
  items.map((i) =>
    i.kind === 'epss' ? `${i.entry.cveId} ${i.entry.score} ${i.entry.percentile} ${i.entry.date}` : `${i.kind}`,
  );
async function* chunked(bytes: Uint8Array, size: number) {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

const WANT = [
  'CVE-1999-0001 0.00383 0.73075 2025-02-20',
  'CVE-1999-0002 0.01328 0.85996 2025-02-20',
  'CVE-1999-0003 0.04409 0.9244 2025-02-20',
  'CVE-1999-0004 0.00917 0.82963 2025-02-20',
  'CVE-1999-0005 0.91963 0.99214 2025-02-20',
];

describe('epssSource on the real excerpt', () => {
  it.each([
    ['plain CSV', false],
    ['gzipped, as the feed is served', true],
  ])('%s', async (_name, gzip) => {
    const csv = await readFile(FIXTURE);
    const { items, error } = await fetchEpss(gzip ? gzipSync(csv) : FIXTURE);
    expect(error).toBeUndefined();
    expect(brief(items)).toEqual(WANT);
  });

  it('reads a mirror URL', async () => {
    const { items } = await fetchEpss(FIXTURE, 'file:///mirror/epss.csv');
    expect(items).toHaveLength(5);
  });

  it('a truncated gzip yields the rows before the cut, then throws VIGIL_SOURCE_INVALID', async () => {
    const csv = Buffer.concat([await readFile(FIXTURE), Buffer.from('CVE-2000-0001,0.5,0.5\n'.repeat(5000))]);
    const gz = gzipSync(csv);
    const { items, error } = await fetchEpss(gz.subarray(0, gz.length - 20));
    expect(brief(items).slice(0, 5)).toEqual(WANT);
    expect(isVigilError(error, 'VIGIL_SOURCE_INVALID') && error.message).toMatch(/corrupt or truncated/);
  });
});

describe('parseEpss', () => {
  it.each<[string, string, string[], RegExp | undefined]>([
    [
      'without the comment line',
      'cve,epss,percentile\nCVE-2021-44228,0.9,0.99\n',
      ['CVE-2021-44228 0.9 0.99 undefined'],
      undefined,
    ],
    [
      'CRLF and a blank last line',
      '#score_date:2024-01-02T00:00:00Z\r\ncve,epss,percentile\r\nCVE-2021-44228,1,1\r\n\r\n',
      ['CVE-2021-44228 1 1 2024-01-02'],
      undefined,
    ],
    [
      'a bad row is skipped',
      'cve,epss,percentile\nCVE-2021-44228,2,1\nCVE-2021-44229,0.1,0.2',
      ['skipped', 'CVE-2021-44229 0.1 0.2 undefined'],
      undefined,
    ],
    ['an empty feed', '', [], /no header/],
    ['an HTML error page', '<html><body>404</body></html>\n', [], /not the "cve,epss,percentile" header/],
    ['a different CSV', '#x\nid,score\n1,2\n', [], /line 2 is not the/],
  ])('%s', async (_name, text, want, error) => {
    const result = await drain(parseEpss([text]));
    expect(brief(result.items)).toEqual(want);
    if (error) expect(isVigilError(result.error, 'VIGIL_SOURCE_INVALID') && result.error.message).toMatch(error);
    else expect(result.error).toBeUndefined();
  });

  it('never throws anything but VIGIL_SOURCE_INVALID on arbitrary bytes, gzipped or not', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string(), fc.boolean(), fc.nat(40), async (text, gzip, cut) => {
        const body = `cve,epss,percentile\n${text}`;
        const bytes = gzip ? gzipSync(body).subarray(cut) : Buffer.from(text);
        const { items, error } = await drain(parseEpss(chunked(bytes, 7)));
        if (error !== undefined) expect(isVigilError(error, 'VIGIL_SOURCE_INVALID')).toBe(true);
        for (const item of items) expect(['epss', 'skipped']).toContain(item.kind);
      }),
    );
  });
});

describe('epssRow', () => {
  it.each<[string, string | undefined, string]>([
    ['too few fields', 'CVE-2021-44228,0.5', '2 fields, expected 3'],
    ['too many fields', 'CVE-2021-44228,0.5,0.5,1', '4 fields, expected 3'],
    ['not a CVE', 'GHSA-1,0.5,0.5', '"GHSA-1" is not a CVE id'],
    ['negative', 'CVE-2021-44228,-0.1,0.5', 'CVE-2021-44228: epss and percentile must be numbers in [0, 1]'],
    ['not a number', 'CVE-2021-44228,NaN,0.5', 'CVE-2021-44228: epss and percentile must be numbers in [0, 1]'],
    ['empty', 'CVE-2021-44228,,0.5', 'CVE-2021-44228: epss and percentile must be numbers in [0, 1]'],
    ['hex', 'CVE-2021-44228,0x1,0.5', 'CVE-2021-44228: epss and percentile must be numbers in [0, 1]'],
    ['overlong', undefined, 'longer than 1024 characters'],
  ])('%s', (_name, text, want) => {
    expect(epssRow({ number: 3, text })).toBe(want);
  });

  it('accepts exponent notation', () => {
    expect(epssRow({ number: 3, text: 'CVE-2021-44228,4e-05,0.01' })).toEqual({
      cveId: 'CVE-2021-44228',
      score: 0.00004,
      percentile: 0.01,
    });
  });
});

describe('feed-text', () => {
  it('reports an overlong line and goes on with the next', async () => {
    const text = `a\n${'x'.repeat(100)}\nb`;
    const got = [];
    for await (const line of lines(chunked(Buffer.from(text), 9), 10)) got.push(line);
    expect(got).toEqual([
      { number: 1, text: 'a' },
      { number: 2, text: undefined },
      { number: 3, text: 'b' },
    ]);
  });

  it('stops a gzip bomb at the bound', async () => {
    const bomb = gzipSync(Buffer.alloc(10 * 1024 * 1024));
    const read = async () => {
      for await (const _ of maybeGunzip(chunked(bomb, 1000), { maxBytes: 1024 * 1024 })) {
        // drain
      }
    };
    await expect(read()).rejects.toMatchObject({ code: 'VIGIL_SOURCE_INVALID', message: /more than 1048576 bytes/ });
  });

  it.each([
    [
      'corrupt',
      Buffer.concat([gzipSync('x'.repeat(100)).subarray(0, 12), Buffer.alloc(20, 0xff)]),
      'VIGIL_SOURCE_INVALID',
    ],
    ['cut short', gzipSync('x'.repeat(100)).subarray(0, 15), 'VIGIL_SOURCE_INVALID'],
  ])('a %s gzip stream is VIGIL_SOURCE_INVALID', async (_name, bytes, code) => {
    const read = async () => {
      for await (const _ of maybeGunzip([bytes])) {
        // drain
      }
    };
    await expect(read()).rejects.toMatchObject({ code });
  });

  it('an error of the transport passes through unchanged', async () => {
    const failure = new VigilError('VIGIL_SOURCE_UNREACHABLE', 'connection reset');
    async function* body() {
      yield gzipSync('x'.repeat(100_000)).subarray(0, 50);
      throw failure;
    }
    const read = async () => {
      for await (const _ of maybeGunzip(body())) {
        // drain
      }
    };
    await expect(read()).rejects.toBe(failure);
  });

  it.each([
    ['empty', ''],
    ['one byte', 'x'],
    ['gzip magic only', '\u001f'],
  ])('passes short plain input through: %s', async (_name, text) => {
    const out: Uint8Array[] = [];
    for await (const chunk of maybeGunzip([Buffer.from(text, 'latin1')])) out.push(chunk);
    expect(Buffer.concat(out).toString('latin1')).toBe(text);
  });
});
