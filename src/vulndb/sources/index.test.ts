import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
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
