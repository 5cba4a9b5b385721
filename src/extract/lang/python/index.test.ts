import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Package } from '../../../core/types.ts';
import { inputFromFixture } from '../../testing.ts';
import { scanTree } from '../npm/test-support.ts';
import { pythonExtractor } from './index.ts';

const testdata = join(dirname(fileURLToPath(import.meta.url)), 'testdata');
const SITE = 'usr/lib/python3.11/site-packages';

async function extractAs(root: string, fixture: string, imagePath: string) {
  const input = await inputFromFixture(root, fixture);
  return pythonExtractor.extract({ ...input, path: imagePath });
}

const nameVersion = (p: Package): string => `${p.name}@${p.version}`;

describe('an image tree', () => {
  it('venv, distro and pip-installed distributions; lockfiles; nothing twice', async () => {
    const got = await scanTree(pythonExtractor, join(testdata, 'tree'));
    expect(got.packages.map((p) => `${nameVersion(p)} ${p.purl} ${p.dev ?? ''} ${p.locations[0]}`).sort()).toEqual([
      'Flask@3.0.0 pkg:pypi/flask@3.0.0  app/requirements.txt',
      'Old_Style.Egg@1.0 pkg:pypi/old-style-egg@1.0  usr/local/lib/python3.12/site-packages/pkg-1.0-py3.12.egg/EGG-INFO/PKG-INFO',
      'PyYAML@6.0.1 pkg:pypi/pyyaml@6.0.1  opt/venv/lib/python3.12/site-packages/PyYAML-6.0.1.dist-info/METADATA',
      'flask@3.0.0 pkg:pypi/flask@3.0.0 false app/Pipfile.lock',
      'idna@3.6 pkg:pypi/idna@3.6  app/requirements.txt',
      'pip@24.0 pkg:pypi/pip@24.0  usr/local/lib/python3.12/site-packages/pip-24.0.dist-info/METADATA',
      'pytest@8.0.0 pkg:pypi/pytest@8.0.0  app/requirements-dev.txt',
      'pytest@8.0.0 pkg:pypi/pytest@8.0.0 true app/Pipfile.lock',
      'requests@2.31.0 pkg:pypi/requests@2.31.0  opt/venv/lib/python3.12/site-packages/requests-2.31.0.dist-info/METADATA',
      'setuptools@68.1.2 pkg:pypi/setuptools@68.1.2  usr/lib/python3/dist-packages/setuptools-68.1.2.egg-info/PKG-INFO',
      'six@1.16.0 pkg:pypi/six@1.16.0  usr/lib/python3/dist-packages/six-1.16.0.egg-info',
      'zope.interface@6.0 pkg:pypi/zope-interface@6.0  opt/venv/lib/python3.12/site-packages/zope.interface-6.0.dist-info/METADATA',
    ]);
    expect(got.warnings).toEqual([
      'usr/local/lib/python3.12/site-packages/broken-1.0.dist-info/METADATA: usr/local/lib/python3.12/site-packages/broken-1.0.dist-info/METADATA: no valid Name and Version in the metadata',
    ]);
    for (const p of got.packages) expect(p).toMatchObject({ type: 'pypi', ecosystem: 'PyPI' });
  });

  it('licenses: License-Expression, then classifiers, then License', async () => {
    const got = await scanTree(pythonExtractor, join(testdata, 'tree'));
    const licenses = Object.fromEntries(got.packages.filter((p) => p.licenses).map((p) => [p.name, p.licenses]));
    expect(licenses).toEqual({
      pip: ['MIT'],
      PyYAML: ['MIT'],
      requests: ['Apache Software License'],
      setuptools: ['MIT License'],
      six: ['MIT'],
      'zope.interface': ['ZPL 2.1'],
    });
  });
});

describe('core metadata', () => {
  // aquasecurity/trivy pkg/dependency/parser/python/packaging/parse_test.go; "UNKNOWN" and the
  // License-File reference trivy reports are no license names, so they are left out here
  it.each([
    ['setuptools-51.3.3-py3.8.egg-info.PKG-INFO', 'setuptools@51.3.3', undefined],
    ['unidecode-egg-info.PKG-INFO', 'Unidecode@0.4.1', undefined],
    ['distlib-0.3.1-py3.9.egg-info', 'distlib@0.3.1', ['Python license']],
    ['simple-0.1.0.METADATA', 'simple@0.1.0', undefined],
    ['distlib-0.3.1.METADATA', 'distlib@0.3.1', ['Python Software Foundation License']],
    ['asyncssh-2.14.2.METADATA', 'asyncssh@2.14.2', ['Eclipse Public License v2.0']],
    [
      'pyphen-0.14.0.METADATA',
      'pyphen@0.14.0',
      [
        'GNU General Public License v2 or later (GPLv2+)',
        'GNU Lesser General Public License v2 or later (LGPLv2+)',
        'Mozilla Public License 1.1 (MPL 1.1)',
      ],
    ],
    ['iniconfig-2.0.0.METADATA', 'iniconfig@2.0.0', ['MIT']],
    ['zipp-3.12.1.METADATA', 'zipp@3.12.1', ['MIT License']],
    ['networkx-3.0.METADATA', 'networkx@3.0', undefined],
  ])('trivy %s → %s %j', async (file, want, licenses) => {
    const got = await extractAs(join(testdata, 'trivy'), file, `${SITE}/x.dist-info/METADATA`);
    expect(got.packages.map(nameVersion)).toEqual([want]);
    expect(got.packages[0]!.licenses).toEqual(licenses);
    expect(got.warnings).toEqual([]);
  });

  it('trivy invalid.json is a warning naming the file', async () => {
    const got = await extractAs(join(testdata, 'trivy'), 'invalid.json', `${SITE}/x.dist-info/METADATA`);
    expect(got).toEqual({
      packages: [],
      warnings: [`${SITE}/x.dist-info/METADATA: no valid Name and Version in the metadata`],
    });
  });

  // anchore/syft syft/pkg/cataloger/python/cataloger_test.go and parse_wheel_egg_metadata_test.go
  it.each([
    ['site-packages/nested/egg-name/egg-info/PKG-INFO', 'requests@2.22.0', ['Apache 2.0']],
    ['site-packages/nested/dist-name/dist-info/METADATA', 'Pygments@2.6.1', ['BSD License']],
    ['site-packages/uppercase/egg-name/EGG-INFO/PKG-INFO', 'requests@2.22.0', ['Apache 2.0']],
    ['site-packages/uppercase/dist-name/DIST-INFO/METADATA', 'Pygments@2.6.1', ['BSD License']],
    ['site-packages/partial.dist-info/METADATA', 'Pygments@2.6.1', ['BSD License']],
    ['site-packages/test/test.egg-info', 'requests@2.22.0', ['Apache 2.0']],
    ['site-packages/malformed-record/dist-info/METADATA', 'Pygments@2.6.1', ['BSD License']],
    ['site-packages/nested/egg-name/egg-info/PKG-INFO-INVALID', 'mxnet@1.8.0', undefined],
    ['Python-2.7.egg-info', 'Python@2.7.13', ['PSF license']],
  ])('syft %s → %s %j', async (file, want, licenses) => {
    const got = await extractAs(join(testdata, 'syft'), file, `${SITE}/x.egg-info/PKG-INFO`);
    expect(got.packages.map(nameVersion)).toEqual([want]);
    expect(got.packages[0]!.licenses).toEqual(licenses);
  });

  it.each([
    [
      'site-packages/no-version/no-version-py3.8.egg-info',
      [`${SITE}/x.egg-info: no valid Name and Version in the metadata`],
    ],
    // an empty egg-info file (syft: empty-1.0.0-py3.8.egg-info) is no package and no problem
    ['empty-1.0.0-py3.8.egg-info', []],
  ])('syft %s', async (file, warnings) => {
    const got = await extractAs(join(testdata, 'syft'), file, `${SITE}/x.egg-info`);
    expect(got).toEqual({ packages: [], warnings });
  });

  it.each([
    [
      'folded License text is not a license name',
      'Name: a\nVersion: 1\nLicense: Copyright (c) 2020\n        Permission is hereby granted\n',
      undefined,
    ],
    ['CRLF line endings', 'Name: a\r\nVersion: 1.0\r\nLicense: MIT\r\n\r\nbody', ['MIT']],
    [
      'field names are case-insensitive',
      'name: a\nVERSION: 1.0\nlicense-expression: Apache-2.0 OR MIT\n',
      ['Apache-2.0 OR MIT'],
    ],
    ['the body is not headers', 'Name: a\nVersion: 1.0\n\nLicense: GPL\n', undefined],
    [
      'the bare "OSI Approved" classifier names nothing',
      'Name: a\nVersion: 1.0\nClassifier: License :: OSI Approved\n',
      undefined,
    ],
    ['a byte-order mark', '\ufeffName: a\nVersion: 1.0\n', undefined],
  ])('%s', async (_, text, licenses) => {
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const root = await mkdtemp(join(tmpdir(), 'vigil-py-meta-'));
    await writeFile(join(root, 'METADATA'), text);
    const got = await extractAs(root, 'METADATA', `${SITE}/a-1.0.dist-info/METADATA`);
    expect(got.packages.map((p) => [p.name, p.version.startsWith('1') ? 'ok' : p.version, p.licenses])).toEqual([
      ['a', 'ok', licenses],
    ]);
  });
});
