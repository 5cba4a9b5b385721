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

describe('package-lock.json v1, v2, v3 (trivy package-lock_v1/v2/v3.json)', () => {
  // aquasecurity/trivy pkg/dependency/parser/nodejs/npm/parse_testcase.go: npmV1Pkgs / npmV2Pkgs, the
  // same 31 packages in every version; debug@2.5.2 and ms@0.7.2 are dev. v2/v3 say which are direct
  // (npm install finalhandler body-parser ms @babel/helper-string-parser, --save-dev debug, --save-optional promise).
  const packages = [
    '@babel/helper-string-parser@7.19.4',
    'asap@2.0.6',
    'body-parser@1.18.3',
    'bytes@3.0.0',
    'content-type@1.0.5',
    'debug@2.5.2',
    'debug@2.6.9',
    'depd@1.1.2',
    'ee-first@1.1.1',
    'encodeurl@1.0.2',
    'escape-html@1.0.3',
    'finalhandler@1.1.1',
    'http-errors@1.6.3',
    'iconv-lite@0.4.23',
    'inherits@2.0.3',
    'media-typer@0.3.0',
    'mime-db@1.52.0',
    'mime-types@2.1.35',
    'ms@0.7.2',
    'ms@1.0.0',
    'ms@2.0.0',
    'on-finished@2.3.0',
    'parseurl@1.3.3',
    'promise@8.3.0',
    'qs@6.5.2',
    'raw-body@2.3.3',
    'safer-buffer@2.1.2',
    'setprototypeof@1.1.0',
    'statuses@1.4.0',
    'type-is@1.6.18',
    'unpipe@1.0.0',
  ];
  const dev = new Set(['debug@2.5.2', 'ms@0.7.2']);
  const direct = new Set([
    '@babel/helper-string-parser@7.19.4',
    'body-parser@1.18.3',
    'debug@2.5.2',
    'finalhandler@1.1.1',
    'ms@1.0.0',
    'promise@8.3.0',
  ]);

  it('v1: no record of direct dependencies without the manifest', async () => {
    const got = await extract('trivy/npm/v1/package-lock.json');
    expect(got.packages.map(brief).sort()).toEqual(packages.map((id) => `${id} ${dev.has(id) ? 'dev' : 'prod'}`));
    expect(got.warnings).toEqual([]);
  });

  it.each(['v2', 'v3'])('%s', async (version) => {
    const got = await extract(`trivy/npm/${version}/package-lock.json`);
    expect(got.packages.map(brief).sort()).toEqual(
      packages.map((id) => `${id} ${direct.has(id) ? 'direct' : 'indirect'} ${dev.has(id) ? 'dev' : 'prod'}`),
    );
    for (const p of got.packages)
      expect(p).toMatchObject({ type: 'npm', ecosystem: 'npm', locations: [`trivy/npm/${version}/package-lock.json`] });
  });

  it('licenses recorded in the lockfile, legacy arrays too', async () => {
    const got = await extract('trivy/npm/v3_with_legacy_licenses/package-lock.json');
    expect(got.packages.map((p) => [p.name, p.licenses])).toEqual([
      ['tv4', ['Public Domain', 'MIT']],
      ['pause-stream', ['MIT', 'Apache2']],
      ['mustache', ['MIT']],
    ]);
  });
});

describe('trivy lockfile fixtures', () => {
  // package sets as in trivy's parse_testcase.go for npm, pnpm and yarn; direct/dev where the lockfile says
  it.each([
    [
      'trivy/npm/v3_with-same-dev-and-non-dev/package-lock.json',
      [
        'fsevents@1.2.9 direct dev',
        'minimist@0.0.8 direct prod',
        'mkdirp@0.5.1 indirect dev',
        'node-pre-gyp@0.12.0 indirect dev',
      ],
    ],
    [
      'trivy/npm/v3_with_workspace/package-lock.json',
      [
        'debug@2.5.2 direct prod',
        'debug@2.6.9 direct prod',
        'ms@0.7.2 indirect prod',
        'ms@2.0.0 indirect prod',
        'nested_func@1.0.0 direct prod',
      ],
    ],
    [
      'trivy/npm/v3_without_root_deps_field/package-lock.json',
      ['debug@2.6.9 direct prod', 'func1@1.0.0 direct prod', 'ms@2.0.0 indirect prod'],
    ],
    [
      'trivy/npm/v3_with_workspace_as_object/package-lock.json',
      ['lodash@4.17.21 direct prod', 'testapp@1.0.0 direct prod'],
    ],
    [
      'trivy/npm/v3_with_peer/package-lock.json',
      [
        'lodash@4.17.21 direct prod',
        'mustache@2.3.2 indirect prod',
        'triple-beam@1.4.1 indirect prod',
        'winston-mail@2.0.0 direct prod',
        'winston@3.17.0 indirect prod',
      ],
    ],
    ['trivy/npm/v3_broken_link/package-lock.json', []],
    [
      'trivy/pnpm/normal/pnpm-lock.yaml',
      ['asap@2.0.6 indirect prod', 'jquery@3.6.0 direct prod', 'promise@8.1.0 direct prod'],
    ],
    [
      'trivy/pnpm/v6/pnpm-lock.yaml',
      ['asap@2.0.6 indirect prod', 'jquery@3.6.0 direct prod', 'promise@8.1.0 direct prod'],
    ],
    [
      'trivy/pnpm/v9/pnpm-lock.yaml',
      [
        '@babel/helper-string-parser@7.24.1 direct prod',
        'asap@2.0.6 indirect prod',
        'asynckit@0.4.0 indirect prod',
        'await-sleep@0.0.1 direct dev',
        'debug@4.3.4 indirect prod',
        'debug@4.3.5 direct prod',
        'ee-first@1.1.1 indirect prod',
        'encodeurl@1.0.2 indirect prod',
        'escape-html@1.0.3 indirect prod',
        'finalhandler@1.1.1 direct prod',
        'is-negative@2.0.1 direct prod',
        'jquery@3.6.0 direct dev',
        'lodash@4.17.21 direct dev',
        'ms@2.0.0 direct prod',
        'ms@2.1.2 indirect prod',
        'on-finished@2.3.0 direct prod',
        'parseurl@1.3.3 indirect prod',
        'promise@8.1.0 direct prod',
        'sleep-utils@1.0.3 direct prod',
        'statuses@1.4.0 indirect prod',
        'unpipe@1.0.0 indirect prod',
      ],
    ],
    ['trivy/pnpm/v9_multi_version/pnpm-lock.yaml', ['is-number@6.0.0 direct prod', 'is-number@7.0.0 direct prod']],
    ['trivy/pnpm/v9_multiple_documents/pnpm-lock.yaml', ['is-number@7.0.0 direct prod']],
    [
      'trivy/pnpm/v9_cyclic_import/pnpm-lock.yaml',
      [
        'browserslist@4.23.0 indirect prod',
        'caniuse-lite@1.0.30001627 indirect prod',
        'electron-to-chromium@1.4.789 indirect prod',
        'escalade@3.1.2 indirect prod',
        'node-releases@2.0.14 indirect prod',
        'picocolors@1.0.1 indirect prod',
        'update-browserslist-db@1.0.16 direct prod',
      ],
    ],
    [
      'trivy/pnpm/v9_same-vers-diff-peers/pnpm-lock.yaml',
      [
        'jest-config@30.0.3 direct prod',
        'jest-pnp-resolver@1.2.3 indirect prod',
        'jest-resolve@27.5.1 indirect prod',
        'jest-resolve@30.0.2 indirect prod',
        'jest-runner@27.5.1 direct dev',
        'jest-runner@30.0.3 indirect prod',
      ],
    ],
    [
      'trivy/pnpm/archives/pnpm-lock.yaml',
      [
        'asynckit@0.4.0 indirect prod',
        'debug@4.3.4 direct prod',
        'is-negative@2.0.1 direct prod',
        'lodash@4.17.21 direct prod',
        'ms@2.1.2 indirect prod',
        'package1@1.0.0 direct prod',
      ],
    ],
    [
      'trivy/yarn/happy/yarn.lock',
      [
        '@babel/helper-regex@7.4.4',
        'ansi-regex@2.1.1',
        'ansi-regex@3.0.0',
        'asap@2.0.6',
        'inherits@2.0.3',
        'is-fullwidth-code-point@2.0.0',
        'jquery@3.4.1',
        'js-tokens@4.0.0',
        'lodash@4.17.11',
        'promise@8.0.3',
        'safe-buffer@5.1.2',
        'safer-buffer@2.1.2',
        'statuses@1.5.0',
        'string-width@2.1.1',
        'strip-ansi@3.0.1',
        'strip-ansi@4.0.0',
        'whatwg-fetch@3.0.0',
        'wide-align@1.1.3',
      ],
    ],
    [
      'trivy/yarn/v2_happy/yarn.lock',
      [
        '@types/color-name@1.1.1 indirect',
        'abbrev@1.1.1 indirect',
        'ansi-styles@3.2.1 indirect',
        'ansi-styles@4.2.1 indirect',
        'assert-plus@1.0.0 indirect',
        'async@3.2.0 direct',
        'color-convert@1.9.3 indirect',
        'color-convert@2.0.1 indirect',
        'color-name@1.1.3 indirect',
        'color-name@1.1.4 indirect',
        'fsevents@2.1.3 indirect',
        'ipaddr.js@1.9.1 indirect',
        'js-tokens@4.0.0 indirect',
        'loose-envify@1.4.0 indirect',
        'node-gyp@7.1.0 indirect',
        'once@1.4.0 indirect',
        'wrappy@1.0.2 indirect',
      ],
    ],
    ['trivy/yarn/v2_deps_with_protocol/yarn.lock', ['debug@4.3.4 direct', 'ms@2.1.2 indirect']],
    ['trivy/yarn/with_bad_protocol/yarn.lock', ['jquery@3.4.1']],
    ['trivy/yarn/with_git/yarn.lock', []],
    ['trivy/yarn/with_local/yarn.lock', ['asap@2.0.6', 'jquery@3.4.1', 'promise@8.0.3']],
    ['trivy/yarn/with_npm/yarn.lock', ['jquery@3.6.0']],
  ])('%s', async (file, want) => {
    const got = await extract(file);
    expect(got.packages.map(brief).sort()).toEqual(want);
    expect(got.warnings).toEqual([]);
  });
});

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
