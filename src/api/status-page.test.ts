import { describe, expect, it } from 'vitest';
import type { VulnDbStatus } from '../core/osv.ts';
import { aFinding, digestOf } from '../service/store/testing.ts';
import type { FindingSummary } from '../service/store/types.ts';
import { escapeHtml, renderStatusPage, type StatusModel } from './status-page.ts';
import { type ApiHarness, apiDialects, FIXED_NOW, harnessPerTest } from './testing.ts';

const DAY = 86_400_000;
const HOSTILE = `<script>alert("x")</script><img src=x onerror='alert(1)'>&amp;`;

describe.each(apiDialects)('GET / (status page) on $name', (dialect) => {
  let h: ApiHarness;
  harnessPerTest(dialect, { set: (opened) => (h = opened), get: () => h });

  const page = (query = '') => h.app.inject({ method: 'GET', url: `/${query}`, headers: h.auth('viewer') });

  it('renders for an empty store', async () => {
    const response = await page();
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['content-security-policy']).toContain("default-src 'none'");
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.body).toContain(`store: ${dialect.name === 'postgres' ? 'PostgreSQL' : 'SQLite'}`);
    expect(response.body).toContain('0 live images');
    expect(response.body).toContain('No vulnerability database is configured');
    expect(response.body).toContain('No scans yet.');
    expect(response.body).toContain('Every live image was scanned within 30 days.');
    expect(response.body).not.toMatch(/<script/i);
  });

  it.each([
    ['no token', {}, '', 401],
    ['a viewer token in the query string', {}, 'token', 200],
    ['an admin token in the query string (acts as viewer)', {}, 'admin', 200],
  ] as const)('answers %s', async (_label, headers, via, status) => {
    const query = via === '' ? '' : `?token=${encodeURIComponent(h.tokens[via === 'token' ? 'viewer' : via])}`;
    const response = await h.app.inject({ method: 'GET', url: `/${query}`, headers });
    expect(response.statusCode).toBe(status);
  });

  it('shows a seeded store and escapes hostile repository names, digests and errors', async () => {
    const registry = await h.store.createRegistry({ name: 'r', url: 'https://r.example', kind: 'oci' }, FIXED_NOW);
    const longAgo = new Date(FIXED_NOW.getTime() - 40 * DAY);
    await h.store.upsertImage({ registryId: registry.id, repository: HOSTILE, digest: digestOf(1) }, longAgo);
    await h.store.upsertImage({ registryId: registry.id, repository: 'team/app', digest: digestOf(2) }, FIXED_NOW);
    await h.store.applyMatchResult(
      digestOf(2),
      [aFinding('CVE-2026-0001', 'openssl', 'CRITICAL'), aFinding('CVE-2026-0002', 'zlib', 'LOW')],
      { complete: true, now: FIXED_NOW },
    );
    const done = await h.store.createScan({ digest: digestOf(2) }, FIXED_NOW);
    await h.store.startScan(done.id, FIXED_NOW);
    await h.store.completeScan(done.id, { CRITICAL: 1, HIGH: 0, MEDIUM: 0, LOW: 1, NONE: 0, UNKNOWN: 0 }, FIXED_NOW);
    const failed = await h.store.createScan({ digest: digestOf(1) }, FIXED_NOW);
    await h.store.startScan(failed.id, FIXED_NOW);
    await h.store.failScan(failed.id, `VIGIL_REGISTRY_UNAUTHORIZED: ${HOSTILE}`, FIXED_NOW);

    const { body } = await page();
    expect(body).toContain('2 live images');
    expect(body).toMatch(/<tr><td>open<\/td><td>1<\/td><td>0<\/td><td>0<\/td><td>1<\/td><td>0<\/td><td>0<\/td><\/tr>/);
    expect(body).toContain('CRITICAL 1, LOW 1');
    expect(body).toContain('1 live image not scanned within 30 days');
    expect(body).toContain(escapeHtml(HOSTILE));
    expect(body).not.toContain(HOSTILE);
    expect(body).not.toMatch(/<script|<img|onerror='/i);
  });
});

const status = (sources: VulnDbStatus['sources']): VulnDbStatus => ({
  path: '/var/lib/vigil/vuln.db',
  schemaVersion: 1,
  builtAt: new Date(FIXED_NOW.getTime() - DAY).toISOString(),
  sources,
});

const summary: FindingSummary = {
  images: 0,
  counts: Object.fromEntries(
    ['open', 'resolved', 'suppressed', 'archived'].map((s) => [
      s,
      { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, NONE: 0, UNKNOWN: 0 },
    ]),
  ) as FindingSummary['counts'],
};

const model = (vulnDb: StatusModel['vulnDb']): StatusModel => ({
  version: '1.2.3',
  dialect: 'sqlite',
  now: FIXED_NOW,
  vulnDb,
  summary,
  lastScans: [],
  scanWindowDays: 30,
  overdue: [],
});

const fresh = new Date(FIXED_NOW.getTime() - 3_600_000).toISOString();

describe('renderStatusPage, vulnerability DB', () => {
  it.each([
    ['none configured', undefined, ['No vulnerability database is configured'], []],
    ['configured, no file yet', null, ['No vulnerability database yet'], []],
    [
      'current',
      { status: status([{ name: 'osv:Debian', records: 12_000, updatedAt: fresh, stale: false }]), stale: [] },
      ['osv:Debian', '12,000', '(60 minutes ago)', 'current', 'Built 2026-11-01T10:00:00.000Z'],
      ['Stale vulnerability data'],
    ],
    [
      'stale, with a hostile source name and error',
      {
        status: status([{ name: `osv:${HOSTILE}`, records: 1, stale: true, lastError: HOSTILE }]),
        stale: [{ name: `osv:${HOSTILE}`, reason: `last update failed: ${HOSTILE}` }],
      },
      ['Stale vulnerability data (1 of 1 sources)', `stale: last update failed: ${escapeHtml(HOSTILE)}`],
      [HOSTILE],
    ],
    ['no source', { status: status([]), stale: [] }, ['holds no source'], []],
  ] as const)('%s', (_label, vulnDb, present, absent) => {
    const html = renderStatusPage(model(vulnDb as StatusModel['vulnDb']));
    for (const text of present) expect(html).toContain(text);
    for (const text of absent) expect(html).not.toContain(text);
    expect(html).not.toMatch(/<script/i);
  });
});

describe('escapeHtml', () => {
  it.each([
    ['<b>', '&lt;b&gt;'],
    ['a & b', 'a &amp; b'],
    [`"quoted" 'single'`, '&quot;quoted&quot; &#39;single&#39;'],
    ['&amp;', '&amp;amp;'],
    ['plain/repo-name_1.0', 'plain/repo-name_1.0'],
  ])('escapes %j', (text, escaped) => {
    expect(escapeHtml(text)).toBe(escaped);
  });
});
