import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inputFromFixture } from '../../testing.ts';
import { pythonExtractor } from './index.ts';
import { parsePinned } from './requirements.ts';

const testdata = join(dirname(fileURLToPath(import.meta.url)), 'testdata');

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'vigil-py-req-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function extractText(name: string, text: string) {
  const root = await mkdtemp(join(scratch, 'lock-'));
  await writeFile(join(root, name), text);
  return pythonExtractor.extract(await inputFromFixture(root, name));
}

describe('requirements files', () => {
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
