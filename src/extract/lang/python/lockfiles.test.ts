import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Package } from '../../../core/types.ts';
import { inputFromFixture } from '../../testing.ts';
import { pythonExtractor } from './index.ts';
import { parsePinned } from './requirements.ts';

const testdata = join(dirname(fileURLToPath(import.meta.url)), 'testdata');

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

describe('syft lockfile fixtures', () => {
  // anchore/syft syft/pkg/cataloger/python parse_{poetry,uv,pipfile}_lock_test.go. Poetry writes
  // category (dev-deps) or groups (case-sensitivity); uv.lock records the project and its direct
  // dependencies; Pipfile.lock's develop section is dev.
  it.each([
    [
      'syft/poetry/dev-deps/poetry.lock',
      ['added-value@0.14.2 dev', 'alabaster@0.7.12 dev', 'appnope@0.1.0 dev', 'asciitree@0.3.3 dev'],
    ],
    [
      'syft/poetry/case-sensitivity/poetry.lock',
      ['dj-rest-auth@7.0.1 prod', 'django@5.2.6 prod', 'djangorestframework@3.16.1 prod'],
    ],
    [
      'syft/poetry/simple-deps/poetry.lock',
      ['certifi@2024.2.2', 'charset-normalizer@3.3.2', 'idna@3.7', 'requests@2.32.2', 'urllib3@2.2.1'],
    ],
    [
      'syft/poetry/multiple-extras/poetry.lock',
      [
        'anyio@4.3.0',
        'brotli@1.1.0',
        'brotlicffi@1.1.0.0',
        'certifi@2024.2.2',
        'cffi@1.16.0',
        'h11@0.14.0',
        'h2@4.1.0',
        'hpack@4.0.0',
        'httpcore@1.0.5',
        'httpx@0.27.0',
        'hyperframe@6.0.1',
        'idna@3.7',
        'pycparser@2.22',
        'sniffio@1.3.1',
        'socksio@1.0.0',
      ],
    ],
    [
      'syft/poetry/conflicting-with-extras/poetry.lock',
      [
        'anyio@4.3.0',
        'brotli@1.1.0',
        'brotlicffi@1.1.0.0',
        'certifi@2024.2.2',
        'cffi@1.16.0',
        'click@7.1.2',
        'colorama@0.4.6',
        'h11@0.14.0',
        'h2@4.1.0',
        'hpack@4.0.0',
        'httpcore@1.0.5',
        'httpx@0.27.0',
        'hyperframe@6.0.1',
        'idna@3.7',
        'pprintpp@0.4.0',
        'pycparser@2.22',
        'pygments@1.6',
        'rich@0.3.3',
        'sniffio@1.3.1',
        'socksio@1.0.0',
        'typing-extensions@3.10.0.2',
      ],
    ],
    [
      'syft/poetry/nested-extras/poetry.lock',
      [
        'annotated-types@0.7.0',
        'anyio@4.3.0',
        'certifi@2024.2.2',
        'click@8.1.7',
        'colorama@0.4.6',
        'dnspython@2.6.1',
        'email-validator@2.1.1',
        'fastapi-cli@0.0.4',
        'fastapi@0.111.0',
        'h11@0.14.0',
        'httpcore@1.0.5',
        'httptools@0.6.1',
        'httpx@0.27.0',
        'idna@3.7',
        'itsdangerous@2.2.0',
        'jinja2@3.1.4',
        'markdown-it-py@3.0.0',
        'markupsafe@2.1.5',
        'mdurl@0.1.2',
        'orjson@3.10.3',
        'pydantic-core@2.18.2',
        'pydantic-extra-types@2.7.0',
        'pydantic-settings@2.2.1',
        'pydantic@2.7.1',
        'pygments@2.18.0',
        'python-dotenv@1.0.1',
        'python-multipart@0.0.9',
        'pyyaml@6.0.1',
        'rich@13.7.1',
        'shellingham@1.5.4',
        'sniffio@1.3.1',
        'starlette@0.37.2',
        'typer@0.12.3',
        'typing-extensions@4.12.0',
        'ujson@5.10.0',
        'uvicorn@0.29.0',
        'uvloop@0.19.0',
        'watchfiles@0.21.0',
        'websockets@12.0',
      ],
    ],
    [
      'syft/uv/simple-deps/uv.lock',
      [
        'certifi@2025.1.31 indirect prod',
        'charset-normalizer@3.4.1 indirect prod',
        'idna@3.10 indirect prod',
        'requests@2.32.3 direct prod',
        'testpkg@0.1.0 root',
        'urllib3@2.3.0 indirect prod',
      ],
    ],
    [
      'syft/uv/multiple-extras/uv.lock',
      [
        'anyio@4.9.0 indirect prod',
        'brotli@1.1.0 indirect prod',
        'brotlicffi@1.1.0.0 indirect prod',
        'certifi@2025.1.31 indirect prod',
        'cffi@1.17.1 indirect prod',
        'h11@0.14.0 indirect prod',
        'h2@4.2.0 indirect prod',
        'hpack@4.1.0 indirect prod',
        'httpcore@1.0.7 indirect prod',
        'httpx@0.28.1 direct prod',
        'hyperframe@6.1.0 indirect prod',
        'idna@3.10 indirect prod',
        'pycparser@2.22 indirect prod',
        'sniffio@1.3.1 indirect prod',
        'socksio@1.0.0 indirect prod',
        'testpkg@0.1.0 root',
        'typing-extensions@4.13.0 indirect prod',
      ],
    ],
    [
      'syft/uv/conflicting-with-extras/uv.lock',
      [
        'anyio@4.6.2.post1 indirect prod',
        'brotli@1.1.0 indirect prod',
        'brotlicffi@1.1.0.0 indirect prod',
        'certifi@2025.1.31 indirect prod',
        'cffi@1.17.1 indirect prod',
        'click@7.1.2 direct prod',
        'colorama@0.4.6 indirect prod',
        'h11@0.14.0 indirect prod',
        'h2@4.2.0 indirect prod',
        'hpack@4.1.0 indirect prod',
        'httpcore@1.0.7 indirect prod',
        'httpx@0.28.1 direct prod',
        'hyperframe@6.1.0 indirect prod',
        'idna@3.10 indirect prod',
        'pprintpp@0.4.0 indirect prod',
        'pycparser@2.22 indirect prod',
        'pygments@1.6 direct prod',
        'rich@0.3.3 direct prod',
        'sniffio@1.3.1 indirect prod',
        'socksio@1.0.0 indirect prod',
        'testpkg@0.1.0 root',
        'typing-extensions@3.10.0.2 indirect prod',
      ],
    ],
    [
      'syft/uv/nested-extras/uv.lock',
      [
        'annotated-types@0.7.0 indirect prod',
        'anyio@4.9.0 indirect prod',
        'certifi@2025.1.31 indirect prod',
        'click@8.1.8 indirect prod',
        'colorama@0.4.6 indirect prod',
        'dnspython@2.7.0 indirect prod',
        'email-validator@2.2.0 indirect prod',
        'fastapi-cli@0.0.7 indirect prod',
        'fastapi@0.111.1 direct prod',
        'h11@0.14.0 indirect prod',
        'httpcore@1.0.7 indirect prod',
        'httptools@0.6.4 indirect prod',
        'httpx@0.28.1 indirect prod',
        'idna@3.10 indirect prod',
        'itsdangerous@2.2.0 indirect prod',
        'jinja2@3.1.6 indirect prod',
        'markdown-it-py@3.0.0 indirect prod',
        'markupsafe@3.0.2 indirect prod',
        'mdurl@0.1.2 indirect prod',
        'orjson@3.10.16 indirect prod',
        'pydantic-core@2.33.0 indirect prod',
        'pydantic-extra-types@2.10.3 indirect prod',
        'pydantic-settings@2.8.1 indirect prod',
        'pydantic@2.11.0 indirect prod',
        'pygments@2.19.1 indirect prod',
        'python-dotenv@1.1.0 indirect prod',
        'python-multipart@0.0.20 indirect prod',
        'pyyaml@6.0.2 indirect prod',
        'rich-toolkit@0.14.0 indirect prod',
        'rich@13.9.4 indirect prod',
        'shellingham@1.5.4 indirect prod',
        'sniffio@1.3.1 indirect prod',
        'starlette@0.37.2 indirect prod',
        'testpkg@0.1.0 root',
        'typer@0.15.2 indirect prod',
        'typing-extensions@4.13.0 indirect prod',
        'typing-inspection@0.4.0 indirect prod',
        'ujson@5.10.0 indirect prod',
        'uvicorn@0.34.0 indirect prod',
        'uvloop@0.21.0 indirect prod',
        'watchfiles@1.0.4 indirect prod',
        'websockets@15.0.1 indirect prod',
      ],
    ],
    [
      'syft/pipfile-lock/Pipfile.lock',
      [
        'aio-pika@6.8.0 prod',
        'aiodns@2.0.0 prod',
        'aiohttp-jinja2@1.4.2 prod',
        'aiohttp@3.7.4.post0 prod',
        'astroid@2.5.2 dev',
        'autopep8@1.5.6 dev',
      ],
    ],
  ])('%s', async (file, want) => {
    const got = await pythonExtractor.extract(await inputFromFixture(testdata, file));
    expect(got.packages.map(brief).sort()).toEqual(want);
    expect(got.warnings).toEqual([]);
    for (const p of got.packages) expect(p).toMatchObject({ type: 'pypi', ecosystem: 'PyPI', locations: [file] });
  });

  it('requirements.txt: pinned releases only', async () => {
    // syft parse_requirements_test.go lists these, with ranges, wildcards and URL requirements left out
    const got = await pythonExtractor.extract(await inputFromFixture(testdata, 'syft/requires/requirements.txt'));
    expect(got.packages.map((p) => `${p.name}@${p.version} ${p.purl}`)).toEqual([
      'flask@4.0.0 pkg:pypi/flask@4.0.0',
      'urllib3@1.26.20 pkg:pypi/urllib3@1.26.20',
      'foo@1.0.0 pkg:pypi/foo@1.0.0',
      'SomeProject@5.4 pkg:pypi/someproject@5.4',
      'dots-._allowed@1.0.0 pkg:pypi/dots-allowed@1.0.0',
      'argh@0.26.2 pkg:pypi/argh@0.26.2',
      'argh@0.26.3 pkg:pypi/argh@0.26.3',
      'celery@4.4.7 pkg:pypi/celery@4.4.7',
      'FrIeNdLy-_-bArD@1.0.0 pkg:pypi/friendly-bard@1.0.0',
      'local-version@1.2.3+gcr.2 pkg:pypi/local-version@1.2.3+gcr.2',
    ]);
  });
});

describe('requirement lines', () => {
  it.each([
    ['requests==2.31.0', { name: 'requests', version: '2.31.0' }],
    ['requests === 2.31.0', { name: 'requests', version: '2.31.0' }],
    ['requests[socks,security]==2.31.0', { name: 'requests', version: '2.31.0' }],
    ['requests==2.31.0; python_version >= "3.8"', { name: 'requests', version: '2.31.0' }],
    ['requests==2.31.0 --hash=sha256:abc --hash=sha256:def', { name: 'requests', version: '2.31.0' }],
    ['zope.interface==6.0', { name: 'zope.interface', version: '6.0' }],
    ['requests>=2.31.0', undefined],
    ['requests~=2.31', undefined],
    ['requests==2.*', undefined],
    ['requests==2.31.0,!=2.31.1', undefined],
    ['requests', undefined],
    ['requests @ https://example.com/requests-2.31.0.tar.gz', undefined],
    ['-e git+https://github.com/psf/requests.git#egg=requests', undefined],
    ['-r base.txt', undefined],
    ['--index-url https://pypi.org/simple', undefined],
    ['==2.3.4', undefined],
    ['./local/path', undefined],
    ['', undefined],
  ])('%j → %j', (line, want) => {
    expect(parsePinned(line)).toEqual(want);
  });

  it('continuations, comments and CRLF', async () => {
    const got = await extractText(
      'requirements.txt',
      [
        '# top',
        'a==1.0 \\',
        '    --hash=sha256:x \\',
        '    --hash=sha256:y',
        'b==2.0 # pinned for CVE',
        '# c==3.0',
        'd == 4.0',
      ].join('\r\n'),
    );
    expect(got.packages.map((p) => `${p.name}@${p.version}`)).toEqual(['a@1.0', 'b@2.0', 'd@4.0']);
  });
});

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
