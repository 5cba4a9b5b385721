import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Package } from '../../../core/types.ts';
import { inputFromFixture } from '../../testing.ts';
import { scanTree } from '../npm/test-support.ts';
import { pythonExtractor } from './index.ts';

/** "name@version [root] [direct|indirect] [dev|prod] [licenses]" as the lockfile tells */
const brief = (p: Package): string =>
  [
    `${p.name}@${p.version}`,
    p.root ? 'root' : '',
    p.direct === undefined ? '' : p.direct ? 'direct' : 'indirect',
    p.dev === undefined ? '' : p.dev ? 'dev' : 'prod',
  ]
    .filter((part) => part !== '')
    .join(' ');

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'vigil-py-lock-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function extractText(name: string, text: string) {
  const root = await mkdtemp(join(scratch, 'lock-'));
  await writeFile(join(root, name), text);
  return pythonExtractor.extract(await inputFromFixture(root, name));
}

describe('lockfile shapes', () => {
  it('poetry 2 groups: dev only when not in main', async () => {
    const lock = [
      '[[package]]',
      'name = "a"',
      'version = "1.0"',
      'groups = ["main"]',
      '[[package]]',
      'name = "b"',
      'version = "2.0"',
      'groups = ["dev", "test"]',
      '[[package]]',
      'name = "c"',
      'version = "3.0"',
      'groups = ["main", "dev"]',
      '[[package]]',
      'name = "d"',
      'version = "4.0"',
    ].join('\n');
    const got = await extractText('poetry.lock', lock);
    expect(got.packages.map(brief)).toEqual(['a@1.0 prod', 'b@2.0 dev', 'c@3.0 prod', 'd@4.0']);
  });

  it('poetry 1.5–1.8 (no category, no groups): the pyproject.toml beside decides', async () => {
    const root = await mkdtemp(join(scratch, 'poetry-'));
    await mkdir(join(root, 'srv/app'), { recursive: true });
    const pyproject = [
      '[project]',
      'name = "shop"',
      'version = "1.2.0"',
      'dependencies = ["Flask[async]>=3; python_version>\'3.8\'"]',
      '[dependency-groups]',
      'lint = ["ruff==0.5"]',
      '[tool.poetry.group.test.dependencies]',
      'pytest = "^8"',
      '[tool.poetry.dependencies]',
      'python = "^3.11"',
    ].join('\n');
    const lock = [
      '[[package]]',
      'name = "flask"',
      'version = "3.0.0"',
      '[package.dependencies]',
      'Werkzeug = ">=3"',
      '[[package]]',
      'name = "werkzeug"',
      'version = "3.0.1"',
      '[package.dependencies]',
      'MarkupSafe = "*"',
      '[[package]]',
      'name = "markupsafe"',
      'version = "2.1.5"',
      '[[package]]',
      'name = "pytest"',
      'version = "8.2.0"',
      '[package.dependencies]',
      'pluggy = "*"',
      'markupsafe = "*"',
      '[[package]]',
      'name = "pluggy"',
      'version = "1.5.0"',
      '[[package]]',
      'name = "ruff"',
      'version = "0.5.0"',
      '[[package]]',
      'name = "orphan"',
      'version = "1.0.0"',
    ].join('\n');
    await writeFile(join(root, 'srv/app/pyproject.toml'), pyproject);
    await writeFile(join(root, 'srv/app/poetry.lock'), lock);
    const got = await scanTree(pythonExtractor, root);
    expect(got.packages.map((p) => `${brief(p)} ${p.locations[0]}`).sort()).toEqual([
      'flask@3.0.0 direct prod srv/app/poetry.lock',
      'markupsafe@2.1.5 indirect prod srv/app/poetry.lock',
      'orphan@1.0.0 indirect srv/app/poetry.lock',
      'pluggy@1.5.0 indirect dev srv/app/poetry.lock',
      'pytest@8.2.0 direct dev srv/app/poetry.lock',
      'ruff@0.5.0 direct dev srv/app/poetry.lock',
      'shop@1.2.0 root srv/app/pyproject.toml',
      'werkzeug@3.0.1 indirect prod srv/app/poetry.lock',
    ]);
    expect(got.warnings).toEqual([]);
  });

  it('uv: dev groups of the project, reachability for the rest', async () => {
    const lock = [
      'version = 1',
      '[[package]]',
      'name = "app"',
      'version = "0.1.0"',
      'source = { editable = "." }',
      'dependencies = [{ name = "httpx" }]',
      '[package.dev-dependencies]',
      'test = [{ name = "pytest" }]',
      '[[package]]',
      'name = "httpx"',
      'version = "0.28.1"',
      'source = { registry = "https://pypi.org/simple" }',
      'dependencies = [{ name = "idna" }]',
      '[[package]]',
      'name = "pytest"',
      'version = "8.3.0"',
      'source = { registry = "https://pypi.org/simple" }',
      'dependencies = [{ name = "pluggy" }, { name = "idna" }]',
      '[[package]]',
      'name = "pluggy"',
      'version = "1.5.0"',
      'source = { registry = "https://pypi.org/simple" }',
      '[[package]]',
      'name = "idna"',
      'version = "3.10"',
      'source = { registry = "https://pypi.org/simple" }',
      '[[package]]',
      'name = "vendored"',
      'version = "1.0"',
      'source = { path = "vendor/vendored.whl" }',
    ].join('\n');
    const got = await extractText('uv.lock', lock);
    expect(got.packages.map(brief).sort()).toEqual([
      'app@0.1.0 root',
      'httpx@0.28.1 direct prod',
      'idna@3.10 indirect prod',
      'pluggy@1.5.0 indirect dev',
      'pytest@8.3.0 direct dev',
    ]);
  });

  it.each([
    ['poetry.lock', '[[package]\nname = "a"', /^poetry.lock: invalid poetry.lock \(TOML\)/],
    ['uv.lock', 'version = 1\n[[package]]\nname = 3', /^uv.lock: package 3 without a valid name and version/],
    ['Pipfile.lock', '{"default": {"a": ', /^Pipfile.lock: invalid JSON/],
    ['Pipfile.lock', '[]', /^Pipfile.lock: not a JSON object/],
  ])('%s: %j is a warning naming the file', async (name, text, message) => {
    const got = await extractText(name, text);
    expect(got.packages).toEqual([]);
    expect(got.warnings).toEqual([expect.stringMatching(message)]);
  });
});
