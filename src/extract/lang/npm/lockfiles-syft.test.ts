import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Package } from '../../../core/types.ts';
import { inputFromFixture } from '../../testing.ts';
import { npmExtractor } from './index.ts';

const testdata = join(dirname(fileURLToPath(import.meta.url)), 'testdata');

/** "name@version [direct|indirect] [dev|prod]", flags only where the lockfile (or its manifest) tells */
const brief = (p: Package): string =>
  [
    `${p.name}@${p.version}`,
    p.direct === undefined ? '' : p.direct ? 'direct' : 'indirect',
    p.dev === undefined ? '' : p.dev ? 'dev' : 'prod',
  ]
    .filter((part) => part !== '')
    .join(' ');

async function extract(file: string) {
  return npmExtractor.extract(await inputFromFixture(testdata, file));
}

describe('syft lockfile fixtures', () => {
  // anchore/syft syft/pkg/cataloger/javascript parse_{package,yarn,pnpm}_lock_test.go; a package.json beside
  // the lockfile (yarn-dev-deps, yarn-berry-dev-deps) decides direct and dev, as syft's dev-deps tests expect
  it.each([
    [
      'syft/pkg-lock-v1/package-lock.json',
      [
        '@actions/core@1.6.0 prod',
        'ansi-regex@3.0.0 prod',
        'async@3.2.4 dev',
        'cowsay@1.4.0 prod',
        'get-stdin@5.0.1 prod',
        'is-fullwidth-code-point@2.0.0 prod',
        'minimist@0.0.10 prod',
        'optimist@0.6.1 prod',
        'string-width@2.1.1 prod',
        'strip-ansi@4.0.0 prod',
        'strip-eof@1.0.0 prod',
        'wordwrap@0.0.3 prod',
      ],
    ],
    [
      'syft/pkg-lock-nested-package-lock-1/package-lock.json',
      [
        'dev-nested@1.0.0 dev',
        'dev-parent@1.0.0 dev',
        'duplicate@1.0.0 prod',
        'middle@1.0.0 prod',
        'parent@1.0.0 prod',
        'shared@0.5.0 prod',
        'shared@1.0.0 prod',
        'shared@2.0.0 prod',
      ],
    ],
    [
      'syft/pkg-lock-alias-package-lock-1/package-lock.json',
      ['@bundled-es-modules/chai@4.2.2 prod', 'case@1.6.2 prod', 'case@1.6.3 prod'],
    ],
    [
      'syft/pkg-lock-alias-package-lock-2/package-lock.json',
      ['@bundled-es-modules/chai@4.2.2 direct prod', 'case@1.6.2 direct prod', 'case@1.6.3 direct prod'],
    ],
    [
      'syft/pkg-lock-array-license-package-lock/package-lock.json',
      ['pause-stream@0.0.11 direct prod', 'through@2.3.8 indirect prod'],
    ],
    [
      'syft/pkg-lock-package-lock-2/package-lock.json',
      [
        '@types/prop-types@15.7.5 indirect prod',
        '@types/react@18.0.17 direct prod',
        '@types/scheduler@0.16.2 indirect prod',
        'async@3.2.4 direct dev',
        'csstype@3.1.0 indirect prod',
      ],
    ],
    [
      'syft/pkg-lock-package-lock-3/package-lock.json',
      [
        '@types/prop-types@15.7.5 indirect prod',
        '@types/react@18.0.20 direct prod',
        '@types/scheduler@0.16.2 indirect prod',
        'async@3.2.4 direct dev',
        'csstype@3.1.1 indirect prod',
      ],
    ],
    [
      'syft/yarn/yarn.lock',
      [
        '@babel/code-frame@7.10.4',
        '@types/minimatch@3.0.3',
        '@types/qs@6.9.4',
        'ajv@6.12.3',
        'asn1.js@4.10.1',
        'atob@2.1.2',
        'aws-sdk@2.706.0',
        'c0n-fab_u.laTION@7.7.7',
        'jhipster-core@7.3.4',
      ],
    ],
    [
      'syft/yarn-v1-deps/yarn.lock',
      [
        '@babel/code-frame@7.10.4',
        '@types/minimatch@3.0.3',
        '@types/qs@6.9.4',
        'ajv@6.12.3',
        'asn1.js@4.10.1',
        'atob@2.1.2',
        'aws-sdk@2.706.0',
        'c0n-fab_u.laTION@7.7.7',
        'jhipster-core@7.3.4',
      ],
    ],
    [
      'syft/yarn-dups/yarn.lock',
      ['async@0.9.2', 'async@3.2.3', 'merge-objects@1.0.5', 'resize-observer-polyfill@1.5.2'],
    ],
    [
      'syft/yarn-berry/yarn.lock',
      [
        '@babel/code-frame@7.10.4 direct',
        '@types/minimatch@3.0.3 direct',
        '@types/qs@6.9.4 direct',
        'ajv@6.12.3 direct',
        'asn1.js@4.10.1 direct',
        'atob@2.1.2 direct',
        'aws-sdk@2.706.0 indirect',
        // the workspace itself, as syft reports it, since no package.json is beside this lockfile
        'c0n-fab_u.laTION@7.7.7',
        'jhipster-core@7.3.4 indirect',
      ],
    ],
    ['syft/yarn-berry-dups/yarn.lock', ['async@0.9.2', 'async@3.2.6']],
    [
      'syft/yarn-berry-dev-deps/yarn.lock',
      [
        'dev-only-transitive@1.0.0 indirect dev',
        'dev-pkg@1.0.0 direct dev',
        'prod-pkg@1.0.0 direct prod',
        'shared-pkg@1.0.0 indirect prod',
      ],
    ],
    [
      'syft/yarn-dev-deps/yarn.lock',
      [
        'dev-only-transitive@1.0.0 indirect dev',
        'dev-pkg@1.0.0 direct dev',
        'prod-pkg@1.0.0 direct prod',
        'shared-pkg@1.0.0 indirect prod',
      ],
    ],
    [
      'syft/pnpm-v9/pnpm-lock.yaml',
      [
        '@babel/core@7.24.7 indirect prod',
        '@babel/helper-plugin-utils@7.24.7 indirect prod',
        'is-positive@3.1.0 direct prod',
        'rollup@4.18.0 direct prod',
      ],
    ],
    ['syft/pnpm-multi-doc/pnpm-lock.yaml', ['minimist@1.2.0 direct prod']],
    [
      'syft/pnpm-v5-peer-suffix/pnpm-lock.yaml',
      ['acorn-jsx@5.3.2 direct prod', 'acorn@8.8.0 direct prod', 'webpack-cli@4.10.0 direct prod'],
    ],
    [
      'syft/pnpm-v6/pnpm-lock.yaml',
      [
        '@babel/core@7.21.4 indirect prod',
        '@testing-library/jest-dom@5.16.5 direct prod',
        '@testing-library/react@13.4.0 direct prod',
        '@testing-library/user-event@13.5.0 direct prod',
        '@types/eslint@8.37.0 indirect prod',
        'react-dom@18.2.0 direct prod',
        'react@18.2.0 direct prod',
        'read-cache@1.0.0 indirect prod',
        'schema-utils@3.1.2 indirect prod',
        'web-vitals@2.1.4 direct prod',
      ],
    ],
    [
      'syft/pnpm-v9-snapshots/pnpm-lock.yaml',
      [
        'cross-spawn@7.0.6 direct prod',
        'isexe@2.0.0 indirect prod',
        'path-key@3.1.1 indirect prod',
        'shebang-command@2.0.0 indirect prod',
        'shebang-regex@3.0.0 indirect prod',
        'which@2.0.2 indirect prod',
      ],
    ],
  ])('%s', async (file, want) => {
    const got = await extract(file);
    expect(got.packages.map(brief).sort()).toEqual(want);
    expect(got.warnings).toEqual([]);
  });

  it('syft/pnpm (v5.4, `packages` trimmed): importers still name what the application depends on', async () => {
    // syft expects nanoid, picocolors and source-map-js from `dependencies` and @bcoe/v8-coverage from
    // `packages`; the 26 devDependencies missing from `packages` are reported too, flagged dev
    const got = await extract('syft/pnpm/pnpm-lock.yaml');
    expect(
      got.packages
        .filter((p) => !p.dev)
        .map(brief)
        .sort(),
    ).toEqual(['nanoid@3.3.4 direct prod', 'picocolors@1.0.0 direct prod', 'source-map-js@1.0.2 direct prod']);
    expect(got.packages.find((p) => p.name === '@bcoe/v8-coverage')).toMatchObject({ version: '0.2.3', dev: true });
    expect(got.packages.filter((p) => p.dev && p.direct)).toHaveLength(26);
  });

  it.each([
    ['syft/corrupt/package-lock.json', /invalid JSON/],
    ['syft/corrupt/pnpm-lock.yaml', /invalid pnpm-lock.yaml/],
  ])('%s is a warning naming the file', async (file, message) => {
    const got = await extract(file);
    expect(got.packages).toEqual([]);
    expect(got.warnings).toEqual([expect.stringMatching(message)]);
    expect(got.warnings[0]).toContain(file);
  });
});
