import { describe, expect, it } from 'vitest';
import { pythonExtractor } from './index.ts';
import { classify } from './paths.ts';

describe('classify', () => {
  it.each([
    ['usr/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA', 'metadata'],
    ['opt/venv/lib/python3.12/site-packages/PyYAML-6.0.1.dist-info/METADATA', 'metadata'],
    ['usr/lib/python3/dist-packages/six-1.16.0.egg-info', 'metadata'],
    ['usr/lib/python3/dist-packages/setuptools-68.1.2.egg-info/PKG-INFO', 'metadata'],
    ['usr/lib/python3/dist-packages/pkg-1.0-py3.12.egg/EGG-INFO/PKG-INFO', 'metadata'],
    // syft glob-paths: suffixes compare case-insensitively
    ['site-packages/v.DIST-INFO/METADATA', 'metadata'],
    ['site-packages/w.EGG-INFO/PKG-INFO', 'metadata'],
    ['site-packages/x.dist-info/METADATA', 'metadata'],
    ['site-packages/y.egg-info/PKG-INFO', 'metadata'],
    ['site-packages/z.egg-info', 'metadata'],
    ['usr/lib/python3.11/site-packages/requests-2.31.0.dist-info/RECORD', undefined],
    ['usr/lib/python3.11/site-packages/requests-2.31.0.dist-info/LICENSE', undefined],
    ['usr/lib/python3.11/site-packages/.dist-info/METADATA', undefined],
    ['usr/lib/python3.11/site-packages/requests/METADATA', undefined],
    // outside site-packages: a source tree's build output, not an installed distribution
    ['src/app/requests.egg-info/PKG-INFO', undefined],
    ['home/user/project/x.dist-info/METADATA', undefined],
    ['app/poetry.lock', 'poetry-lock'],
    ['poetry.lock', 'poetry-lock'],
    ['app/Pipfile.lock', 'pipfile-lock'],
    ['app/uv.lock', 'uv-lock'],
    ['app/requirements.txt', 'requirements'],
    ['app/requirements-dev.txt', 'requirements'],
    ['app/1-requirements-dev.txt', 'requirements'],
    ['app/extra-requirements.txt', 'requirements'],
    ['app/requirements/base.txt', undefined],
    ['app/requirements.in', undefined],
    ['app/script.py.lock', undefined],
    ['app/pdm.lock', undefined],
    // a lockfile shipped inside an installed package describes nothing installed
    ['usr/lib/python3/site-packages/foo/requirements.txt', undefined],
    ['usr/lib/python3/site-packages/foo/poetry.lock', undefined],
  ])('%s → %s', (path, want) => {
    expect(classify(path)).toBe(want);
    expect(pythonExtractor.required(path)).toBe(want !== undefined);
  });
});

describe('wants', () => {
  it.each([
    ['app/pyproject.toml', true],
    ['pyproject.toml', true],
    ['usr/lib/python3/site-packages/foo/pyproject.toml', false],
    ['app/pyproject.toml.bak', false],
    ['app/setup.py', false],
  ])('%s → %s', (path, want) => {
    expect(pythonExtractor.wants(path)).toBe(want);
    expect(pythonExtractor.required(path)).toBe(false);
  });
});
