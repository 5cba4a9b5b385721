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
