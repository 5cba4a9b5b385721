import { describe, expect, it } from 'vitest';
import type { Package } from '../core/types.ts';
import { dropOsOwned } from './os-owned.ts';

const pkg = (type: string, name: string, locations: string[], files?: string[]): Package => ({
  type,
  name,
  version: '1',
  purl: `pkg:${type}/${name}@1`,
  locations,
  ...(files ? { files } : {}),
});

const pythonYamlDeb = pkg(
  'deb',
  'python3-yaml',
  ['var/lib/dpkg/status'],
  ['/usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA', '/usr/lib/python3/dist-packages/yaml/__init__.py'],
);
const registryDeb = pkg('deb', 'docker-registry', ['var/lib/dpkg/status'], ['/usr/bin/docker-registry']);

describe('dropOsOwned', () => {
  it.each([
    [
      'a dist-info the deb installed',
      pkg('pypi', 'PyYAML', ['usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA']),
      false,
    ],
    [
      'a pip-installed dist-info elsewhere',
      pkg('pypi', 'PyYAML', ['usr/local/lib/python3.11/site-packages/PyYAML-6.0.dist-info/METADATA']),
      true,
    ],
    ['a Go binary the deb installed', pkg('golang', 'github.com/x/y', ['usr/bin/docker-registry']), false],
    ['the same binary through the merged-/usr alias', pkg('golang', 'github.com/x/y', ['bin/docker-registry']), false],
    ['a binary the deb does not own', pkg('golang', 'github.com/x/y', ['usr/local/bin/app']), true],
    [
      'a package read from several files, one not owned',
      pkg('npm', 'a', ['usr/bin/docker-registry', 'app/package.json']),
      true,
    ],
    ['a package without locations', pkg('npm', 'a', []), true],
    [
      'a jar nested in an archive the deb installed',
      pkg('maven', 'g:a', ['usr/bin/docker-registry!/lib/a.jar']),
      false,
    ],
  ])('%s: kept=%s', (_label, language, kept) => {
    const result = dropOsOwned([pythonYamlDeb, registryDeb, language]);
    expect(result.kept.includes(language)).toBe(kept);
    expect(result.dropped).toBe(kept ? 0 : 1);
    expect(result.kept).toContain(pythonYamlDeb);
  });

  it('keeps everything when no OS package lists its files', () => {
    const language = pkg('pypi', 'PyYAML', ['usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA']);
    expect(dropOsOwned([pkg('deb', 'python3-yaml', ['var/lib/dpkg/status']), language]).kept).toHaveLength(2);
  });
});
