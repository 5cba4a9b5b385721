import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Distro } from '../../../core/types.ts';
import { inputFromFixture } from '../../testing.ts';
import { chooseDistro, MAX_RELEASE_FILE, releaseExtractor } from './index.ts';
import { parseKeyValueFile } from './os-release.ts';
import {
  fromAlpineRelease,
  fromDebianVersion,
  fromOsRelease,
  fromPhotonRelease,
  fromRedHatRelease,
  fromSuseRelease,
} from './release-files.ts';

const testdata = join(dirname(fileURLToPath(import.meta.url)), 'testdata');

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)).split('\\').join('/'))
    .sort();
}

/** What the scanner does: run os/release on every release file of the image, then choose. */
async function detect(root: string): Promise<{ distro: Distro | undefined; warnings: string[] }> {
  const candidates: Distro[] = [];
  const warnings: string[] = [];
  for (const path of await filesUnder(root)) {
    if (!releaseExtractor.required(path)) continue;
    const result = await releaseExtractor.extract(await inputFromFixture(root, path));
    expect(result.packages).toEqual([]);
    if (result.distro) candidates.push(result.distro);
    warnings.push(...result.warnings.map((w) => `${path}: ${w}`));
  }
  return { distro: chooseDistro(candidates), warnings };
}

describe('required', () => {
  it.each([
    ['etc/os-release', true],
    ['usr/lib/os-release', true],
    ['etc/lsb-release', true],
    ['etc/alpine-release', true],
    ['etc/debian_version', true],
    ['etc/redhat-release', true],
    ['etc/centos-release', true],
    ['etc/rocky-release', true],
    ['etc/almalinux-release', true],
    ['etc/fedora-release', true],
    ['etc/system-release', true],
    ['etc/SuSE-release', true],
    ['etc/photon-release', true],
    ['etc/os-release.d/x', false],
    ['usr/etc/os-release', false],
    ['foo/etc/os-release', false],
    ['etc/issue', false],
  ])('required(%s) = %s', (path, want) => {
    expect(releaseExtractor.required(path)).toBe(want);
  });
});

describe('real images', () => {
  it.each<[string, Distro]>([
    [
      'debian-12',
      {
        id: 'debian',
        versionId: '12.5',
        versionCodename: 'bookworm',
        prettyName: 'Debian GNU/Linux 12 (bookworm)',
        source: 'etc/os-release',
      },
    ],
    [
      'debian-testing',
      {
        id: 'debian',
        versionCodename: 'trixie',
        prettyName: 'Debian GNU/Linux trixie/sid',
        source: 'etc/os-release',
      },
    ],
    [
      'ubuntu-22.04',
      {
        id: 'ubuntu',
        versionId: '22.04',
        versionCodename: 'jammy',
        prettyName: 'Ubuntu 22.04.4 LTS',
        idLike: ['debian'],
        source: 'etc/os-release',
      },
    ],
    [
      'ubuntu-24.04',
      {
        id: 'ubuntu',
        versionId: '24.04',
        versionCodename: 'noble',
        prettyName: 'Ubuntu 24.04 LTS',
        idLike: ['debian'],
        source: 'etc/os-release',
      },
    ],
    ['alpine-3.19', { id: 'alpine', versionId: '3.19.1', prettyName: 'Alpine Linux v3.19', source: 'etc/os-release' }],
    [
      'ubi-9',
      {
        id: 'rhel',
        versionId: '9.3',
        prettyName: 'Red Hat Enterprise Linux 9.3 (Plow)',
        idLike: ['fedora'],
        source: 'etc/os-release',
      },
    ],
    [
      'almalinux-9',
      {
        id: 'almalinux',
        versionId: '9.3',
        prettyName: 'AlmaLinux 9.3 (Shamrock Pampas Cat)',
        idLike: ['rhel', 'centos', 'fedora'],
        source: 'etc/os-release',
      },
    ],
    [
      'rocky-9',
      {
        id: 'rocky',
        versionId: '9.3',
        prettyName: 'Rocky Linux 9.3 (Blue Onyx)',
        idLike: ['rhel', 'centos', 'fedora'],
        source: 'etc/os-release',
      },
    ],
    [
      'centos-7',
      {
        id: 'centos',
        versionId: '7',
        prettyName: 'CentOS Linux 7 (Core)',
        idLike: ['rhel', 'fedora'],
        source: 'etc/os-release',
      },
    ],
    [
      'centos-6',
      {
        id: 'centos',
        versionId: '6',
        prettyName: 'CentOS release 6.10 (Final)',
        source: 'etc/centos-release',
      },
    ],
    [
      'fedora-39',
      { id: 'fedora', versionId: '39', prettyName: 'Fedora Linux 39 (Container Image)', source: 'etc/os-release' },
    ],
    [
      'opensuse-leap-15.5',
      {
        id: 'opensuse-leap',
        versionId: '15.5',
        prettyName: 'openSUSE Leap 15.5',
        idLike: ['suse', 'opensuse'],
        source: 'etc/os-release',
      },
    ],
    [
      'sles-15',
      {
        id: 'sles',
        versionId: '15.5',
        prettyName: 'SUSE Linux Enterprise Server 15 SP5',
        idLike: ['suse'],
        source: 'etc/os-release',
      },
    ],
    [
      'sles-11',
      {
        id: 'sles',
        versionId: '11.4',
        prettyName: 'SUSE Linux Enterprise Server 11 (x86_64)',
        source: 'etc/SuSE-release',
      },
    ],
    [
      'amazonlinux-2',
      {
        id: 'amzn',
        versionId: '2',
        prettyName: 'Amazon Linux 2',
        idLike: ['centos', 'rhel', 'fedora'],
        source: 'etc/os-release',
      },
    ],
    [
      'amazonlinux-2023',
      {
        id: 'amzn',
        versionId: '2023',
        prettyName: 'Amazon Linux 2023.3.20240312',
        idLike: ['fedora'],
        source: 'etc/os-release',
      },
    ],
    ['wolfi', { id: 'wolfi', versionId: '20230201', prettyName: 'Wolfi', source: 'etc/os-release' }],
    ['chainguard', { id: 'chainguard', versionId: '20230214', prettyName: 'Chainguard', source: 'etc/os-release' }],
    ['distroless-debian12', { id: 'debian', versionId: '12.5', prettyName: 'Distroless', source: 'etc/os-release' }],
    ['debian_version-only', { id: 'debian', versionId: '11.9', source: 'etc/debian_version' }],
    ['photon-5', { id: 'photon', versionId: '5.0', prettyName: 'VMware Photon OS/Linux', source: 'etc/os-release' }],
  ])('%s', async (image, want) => {
    const got = await detect(join(testdata, image));
    expect(got.distro).toEqual(want);
    expect(got.warnings).toEqual([]);
  });
});

describe('chooseDistro', () => {
  const d = (source: string, id: string, versionId?: string, extra: Partial<Distro> = {}): Distro => ({
    id,
    source,
    ...(versionId ? { versionId } : {}),
    ...extra,
  });

  it.each<[string, Distro[], Distro | undefined]>([
    ['nothing', [], undefined],
    [
      'etc/os-release over usr/lib/os-release',
      [d('usr/lib/os-release', 'rhel', '9.2'), d('etc/os-release', 'rhel', '9.3')],
      d('etc/os-release', 'rhel', '9.3'),
    ],
    [
      'os-release over a vendor file',
      [d('etc/redhat-release', 'centos', '7'), d('etc/os-release', 'ol', '7.9')],
      d('etc/os-release', 'ol', '7.9'),
    ],
    [
      'debian_version refines the release',
      [d('etc/debian_version', 'debian', '12.5'), d('etc/os-release', 'debian', '12')],
      d('etc/os-release', 'debian', '12.5'),
    ],
    [
      'debian_version of another release is ignored',
      [d('etc/os-release', 'debian', '12'), d('etc/debian_version', 'debian', '11.9')],
      d('etc/os-release', 'debian', '12'),
    ],
    [
      'debian_version does not touch ubuntu',
      [
        d('etc/os-release', 'ubuntu', '22.04'),
        d('etc/debian_version', 'debian', undefined, { versionCodename: 'bookworm' }),
      ],
      d('etc/os-release', 'ubuntu', '22.04'),
    ],
    [
      'alpine-release fills a missing VERSION_ID',
      [d('etc/os-release', 'alpine'), d('etc/alpine-release', 'alpine', '3.19.1')],
      d('etc/os-release', 'alpine', '3.19.1'),
    ],
    [
      'alpine-release equal to VERSION_ID',
      [d('etc/os-release', 'alpine', '3.19.1'), d('etc/alpine-release', 'alpine', '3.19.1')],
      d('etc/os-release', 'alpine', '3.19.1'),
    ],
    [
      'alpine-release more precise',
      [d('etc/os-release', 'alpine', '3.19'), d('etc/alpine-release', 'alpine', '3.19.1')],
      d('etc/os-release', 'alpine', '3.19.1'),
    ],
    [
      'a vendor file fills the version of the same distro',
      [d('etc/os-release', 'centos'), d('etc/centos-release', 'centos', '7')],
      d('etc/os-release', 'centos', '7'),
    ],
    [
      'but not of another distro',
      [d('etc/os-release', 'wolfi'), d('etc/alpine-release', 'alpine', '3.19.1')],
      d('etc/os-release', 'wolfi'),
    ],
    [
      'vendor file beats redhat-release and system-release',
      [
        d('etc/system-release', 'amzn', '2'),
        d('etc/redhat-release', 'rhel', '9.3'),
        d('etc/rocky-release', 'rocky', '9.3'),
      ],
      d('etc/rocky-release', 'rocky', '9.3'),
    ],
    [
      'lsb-release beats debian_version',
      [
        d('etc/debian_version', 'debian', undefined, { versionCodename: 'bookworm' }),
        d('etc/lsb-release', 'ubuntu', '22.04'),
      ],
      d('etc/lsb-release', 'ubuntu', '22.04'),
    ],
    [
      'a leading slash in source is tolerated',
      [d('/etc/debian_version', 'debian', '12.5'), d('/etc/os-release', 'debian', '12')],
      d('/etc/os-release', 'debian', '12.5'),
    ],
  ])('%s', (_name, candidates, want) => {
    expect(chooseDistro(candidates)).toEqual(want);
  });
});

describe('os-release syntax', () => {
  it('quotes, escapes, comments, blank lines and CRLF', () => {
    const { values, problems } = parseKeyValueFile(
      [
        '# comment',
        '',
        'A="double \\"quoted\\" \\$x \\` \\\\ \\n"',
        'B=\'single \\ "q"\'',
        'C=unquoted\\ word',
        '  D="leading space"  ',
        'E=',
        'F="1"\r',
        'A="second wins"',
        'not an assignment',
        '9KEY=x',
        'G="unterminated',
        "H='unterminated",
        'I="x" # trailing comment',
      ].join('\n'),
    );
    expect(Object.fromEntries(values)).toEqual({
      A: 'second wins',
      B: 'single \\ "q"',
      C: 'unquoted word',
      D: 'leading space',
      E: '',
      F: '1',
      I: 'x',
    });
    expect(problems).toEqual([
      'line 10: not a KEY=value assignment',
      'line 11: not a KEY=value assignment',
      'line 12: G has an unterminated quote',
      'line 13: H has an unterminated quote',
    ]);
    expect(parseKeyValueFile('A="double \\"quoted\\" \\$x \\` \\\\ \\n"').values.get('A')).toBe(
      'double "quoted" $x ` \\ \\n',
    );
  });

  it.each([
    ['ID=Debian\nVERSION_ID=12', { id: 'debian', versionId: '12', source: 's' }, []],
    [
      'ID="ubuntu"\nID_LIKE="debian"\nUBUNTU_CODENAME=jammy',
      { id: 'ubuntu', versionCodename: 'jammy', idLike: ['debian'], source: 's' },
      [],
    ],
    ['VERSION_ID=12', undefined, ['no ID field']],
    ['ID=', undefined, ['no ID field']],
    ['ID="deb ian"', undefined, ['ID "deb ian" is not an os-release identifier']],
    [
      'ID=debian\nVERSION_ID="1 2"',
      { id: 'debian', source: 's' },
      ['VERSION_ID "1 2" is not an os-release version; ignored'],
    ],
  ])('fromOsRelease(%j)', (text, distro, warnings) => {
    const got = fromOsRelease(text, 's');
    expect(got.distro).toEqual(distro);
    expect(got.warnings).toEqual(warnings);
  });
});

describe('vendor release files', () => {
  it.each([
    [fromAlpineRelease, '3.20.0_alpha20240329\n', { id: 'alpine', versionId: '3.20.0_alpha20240329' }],
    [fromAlpineRelease, 'edge', undefined],
    [fromDebianVersion, '12.5\n', { id: 'debian', versionId: '12.5' }],
    [fromDebianVersion, '9.13', { id: 'debian', versionId: '9.13' }],
    [fromDebianVersion, 'bookworm/sid\n', { id: 'debian', versionCodename: 'bookworm' }],
    [fromDebianVersion, '!!', undefined],
    [
      fromRedHatRelease,
      'Red Hat Enterprise Linux Server release 7.9 (Maipo)',
      { id: 'rhel', versionId: '7.9', prettyName: 'Red Hat Enterprise Linux Server release 7.9 (Maipo)' },
    ],
    [
      fromRedHatRelease,
      'CentOS Stream release 9',
      { id: 'centos', versionId: '9', prettyName: 'CentOS Stream release 9' },
    ],
    [
      fromRedHatRelease,
      'Oracle Linux Server release 8.9',
      { id: 'ol', versionId: '8.9', prettyName: 'Oracle Linux Server release 8.9' },
    ],
    [
      fromRedHatRelease,
      'Amazon Linux AMI release 2018.03',
      { id: 'amzn', versionId: '2018.03', prettyName: 'Amazon Linux AMI release 2018.03' },
    ],
    [
      fromRedHatRelease,
      'Scientific Linux release 7.9 (Nitrogen)',
      { id: 'scientific', versionId: '7.9', prettyName: 'Scientific Linux release 7.9 (Nitrogen)' },
    ],
    [fromRedHatRelease, 'no release here', undefined],
    [fromRedHatRelease, 'Fedora release rawhide', undefined],
    [
      fromSuseRelease,
      'openSUSE 13.2 (x86_64)\nVERSION = 13.2\nCODENAME = Harlequin\n',
      { id: 'opensuse', versionId: '13.2', prettyName: 'openSUSE 13.2 (x86_64)' },
    ],
    [
      fromSuseRelease,
      'SUSE Linux Enterprise Server 12 (x86_64)\nVERSION = 12\nPATCHLEVEL = 0\n',
      { id: 'sles', versionId: '12', prettyName: 'SUSE Linux Enterprise Server 12 (x86_64)' },
    ],
    [fromSuseRelease, 'Something else\nVERSION = 1\n', undefined],
    [
      fromPhotonRelease,
      'VMware Photon Linux 1.0\nPHOTON_BUILD_NUMBER=62c543d\n',
      { id: 'photon', versionId: '1.0', prettyName: 'VMware Photon Linux 1.0' },
    ],
    [fromPhotonRelease, 'Photon', undefined],
  ])('%o parses %j', (parse, text, want) => {
    const got = parse(text, 'src');
    expect(got.distro).toEqual(want ? { ...want, source: 'src' } : undefined);
    expect(got.warnings.length).toBe(want ? 0 : 1);
  });
});

describe('hostile input', () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'vigil-release-'));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  async function run(path: string, content: string | Buffer) {
    const root = await mkdtemp(join(scratch, 'root-'));
    const { mkdir } = await import('node:fs/promises');
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
    return releaseExtractor.extract(await inputFromFixture(root, path));
  }

  it('a huge os-release is read only up to the bound', async () => {
    const got = await run('etc/os-release', `ID=debian\nVERSION_ID="12"\n${'X=1\n'.repeat(4 << 20)}ID=evil\n`);
    expect(got.distro).toEqual({ id: 'debian', versionId: '12', source: 'etc/os-release' });
    expect(got.warnings).toEqual([`larger than ${MAX_RELEASE_FILE} bytes; only the start was read`]);
  });

  it('an unreadable file is a warning, not an error', async () => {
    const input = await inputFromFixture(join(testdata, 'wolfi'), 'etc/os-release');
    const got = await releaseExtractor.extract({ ...input, localPath: async () => join(scratch, 'gone') });
    expect(got).toEqual({ packages: [], warnings: [expect.stringMatching(/^cannot read etc\/os-release: .*ENOENT/)] });
  });

  it('binary content is not a release file', async () => {
    const got = await run('etc/os-release', Buffer.from([0x49, 0x44, 0x3d, 0x78, 0x0a, 0x00, 0xff, 0xfe]));
    expect(got).toEqual({ packages: [], warnings: ['binary content, not a release file'] });
  });

  it('no ID', async () => {
    const got = await run('etc/os-release', 'NAME="Something"\nVERSION_ID=1\n');
    expect(got).toEqual({ packages: [], warnings: ['no ID field'] });
  });

  it('an empty file', async () => {
    const got = await run('etc/alpine-release', '');
    expect(got.distro).toBeUndefined();
    expect(got.warnings).toEqual(['"" is not an Alpine version']);
  });

  it('a huge single line in a vendor file', async () => {
    const got = await run('etc/redhat-release', `${'A'.repeat(1 << 20)} release 9.3`);
    expect(got.distro).toBeUndefined();
    expect(got.warnings).toHaveLength(2);
  });

  it('property: parsers never throw and produce os-release identifiers', () => {
    const parsers = [
      fromOsRelease,
      fromAlpineRelease,
      fromDebianVersion,
      fromRedHatRelease,
      fromSuseRelease,
      fromPhotonRelease,
    ];
    const text = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc
        .array(
          fc.constantFrom(
            'ID=',
            'ID="',
            "ID='",
            'VERSION_ID=',
            '=',
            '"',
            '\\',
            '\n',
            'debian',
            ' release ',
            '9.3',
            '(',
            ')',
            'VERSION = ',
            '#',
            '\r',
          ),
          { maxLength: 30 },
        )
        .map((parts) => parts.join('')),
    );
    fc.assert(
      fc.property(text, (t) => {
        for (const parse of parsers) {
          const got = parse(t, 'x');
          if (got.distro) {
            expect(got.distro.id).toMatch(/^[a-z0-9._-]+$/);
            expect(got.distro.source).toBe('x');
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
