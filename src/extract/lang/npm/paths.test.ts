import { describe, expect, it } from 'vitest';
import { npmExtractor } from './index.ts';
import { classify, isInstalledManifest } from './paths.ts';

describe('classify', () => {
  it.each([
    ['app/node_modules/express/package.json', 0o100644, 'installed'],
    ['node_modules/express/package.json', 0o100644, 'installed'],
    ['app/node_modules/@types/node/package.json', 0o100644, 'installed'],
    ['app/node_modules/a/node_modules/@s/b/package.json', 0o100644, 'installed'],
    ['app/node_modules/.pnpm/lodash@4.17.21/node_modules/lodash/package.json', 0o100644, 'installed'],
    ['usr/lib/node_modules/npm/package.json', 0o100644, 'installed'],
    // module-type markers and fixtures inside a package are not packages
    ['app/node_modules/@acme/util/dist/esm/package.json', 0o100644, undefined],
    ['app/node_modules/express/lib/package.json', 0o100644, undefined],
    ['app/node_modules/@types/package.json', 0o100644, undefined],
    ['app/node_modules/.bin/package.json', 0o100644, undefined],
    ['app/node_modules/package.json', 0o100644, undefined],
    ['app/my_node_modules/x/package.json', 0o100644, 'manifest'],
    ['app/package.json', 0o100644, 'manifest'],
    ['package.json', 0o100644, 'manifest'],
    ['app/package-lock.json', 0o100644, 'package-lock'],
    ['app/npm-shrinkwrap.json', 0o100644, 'package-lock'],
    ['app/yarn.lock', 0o100644, 'yarn-lock'],
    ['app/pnpm-lock.yaml', 0o100644, 'pnpm-lock'],
    // a published package's own lockfile was never installed from
    ['app/node_modules/x/package-lock.json', 0o100644, undefined],
    ['app/node_modules/.package-lock.json', 0o100644, undefined],
    ['app/node_modules/x/yarn.lock', 0o100644, undefined],
    ['usr/local/bin/node', 0o100755, 'node-binary'],
    ['usr/bin/node', 0o755, 'node-binary'],
    ['bin/node', 0, 'node-binary'],
    ['usr/local/bin/node', 0o100644, undefined],
    ['usr/local/bin/nodejs', 0o100755, undefined],
    ['usr/local/lib/node', 0o100755, undefined],
    ['usr/local/sbin/node.exe', 0o100755, undefined],
    ['app/yarn.lock.bak', 0o100644, undefined],
  ])('%s (mode %o) → %s', (path, mode, want) => {
    expect(classify(path, mode)).toBe(want);
    expect(npmExtractor.required(path, 100, mode)).toBe(want !== undefined);
  });

  it('a long path of node_modules segments is classified in linear time', () => {
    const path = `${'node_modules/a/'.repeat(50_000)}package.json`;
    expect(isInstalledManifest(path)).toBe(true);
  });
});

describe('wants', () => {
  it.each([
    ['app/node_modules/.package-lock.json', true],
    ['node_modules/.package-lock.json', true],
    // a nested tree's record belongs to the package that shipped it, not to the application
    ['app/node_modules/x/node_modules/.package-lock.json', false],
    ['app/.package-lock.json', false],
    ['app/node_modules/package-lock.json', false],
  ])('%s → %s', (path, want) => {
    expect(npmExtractor.wants(path)).toBe(want);
    expect(npmExtractor.required(path, 100, 0o100644)).toBe(false);
  });
});
