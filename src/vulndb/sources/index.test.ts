import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createTransport } from '../transport.ts';
import type { VulnSource } from '../types.ts';
import { importSources, nativeFeedNames, resolveFeeds, selectSources } from './index.ts';

const testdata = join(import.meta.dirname, '..', 'testdata', 'osv');

describe('the source registry', () => {
  it('lists every folder under sources/', () => {
    const folders = readdirSync(import.meta.dirname, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
    expect(['osv', ...nativeFeedNames].sort()).toEqual(folders);
  });

  it('builds one source per ecosystem and feed, with stable names', () => {
    const names = selectSources({ ecosystems: ['npm', 'debian'], feeds: resolveFeeds(['kev', 'EPSS']) }).map(
      (s) => s.name,
    );
    expect(names).toEqual(['osv:npm', 'osv:Debian', 'kev', 'epss']);
  });

  it('reads the distributions and language ecosystems Vigil inventories from the bucket by default', () => {
    const names = selectSources({}).map((s) => s.name);
    expect(names).toContain('osv:Debian');
    expect(names).toContain('osv:npm');
    expect(names).not.toContain('osv:OSS-Fuzz');
    expect(names).toHaveLength(18);
  });

  it('takes the ecosystems a local mirror holds when none are named', () => {
    const names = selectSources({ osvBaseUrl: pathToFileURL(testdata).href }).map((s) => s.name);
    expect(names).toEqual(['osv:npm', 'osv:Ubuntu']);
  });

  it.each([
    [join(testdata, 'npm', 'all.zip'), ['osv:npm']],
    ['https://mirror.example/osv/Rocky%20Linux/all.zip', ['osv:Rocky Linux']],
    ['/tmp/downloads/all.zip', ['osv:import:all.zip']],
    [testdata, ['osv:npm', 'osv:Ubuntu']],
  ])('import %s reads %j', (target, names) => {
    expect(importSources(target).map((s) => s.name)).toEqual(names);
  });
});

describe('native feeds read from a mirror', () => {
  const sources = join(import.meta.dirname);
  const transport = createTransport();

  async function osvRecords(source: VulnSource): Promise<number> {
    const tmpDir = await mkdtemp(join(tmpdir(), 'vigil-feeds-'));
    try {
      let records = 0;
      for await (const item of source.fetch({ transport, tmpDir }))
        if (item.kind === 'osv' || item.kind === 'nvd') records++;
      return records;
    } finally {
      await rm(tmpDir, { recursive: true, force: true });
    }
  }

  it('alpine-secdb finds the branches and the YAML format a file:// mirror holds', async () => {
    const mirror = pathToFileURL(join(sources, 'alpine-secdb', 'testdata')).href;
    const feed = selectSources({ feeds: ['alpine-secdb'], feedUrls: { 'alpine-secdb': mirror }, ecosystems: [] });
    expect(await osvRecords(feed[0] as VulnSource)).toBeGreaterThan(0);
  });

  it('nvd reads one feed file when the URL names a .json file', async () => {
    const file = pathToFileURL(join(sources, 'nvd', 'testdata', 'nvd-cve-api-2.0-page-2023-10-18.json')).href;
    const feed = selectSources({ feeds: ['nvd'], feedUrls: { nvd: file }, ecosystems: [] });
    expect(await osvRecords(feed[0] as VulnSource)).toBeGreaterThan(0);
  });
});
