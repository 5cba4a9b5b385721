/** Damaged, hostile and oversized archives: warnings naming the file, what was read is kept. */
import { readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Package } from '../../../core/types.ts';
import { inputFromFixture } from '../../testing.ts';
import { type ArchiveLimits, defaultArchiveLimits } from './archive.ts';
import { createJavaExtractor, javaExtractor } from './index.ts';
import { mavenJar, pomProperties, zipOf } from './zip-fixture.ts';

const brief = (p: Package) => [p.name, p.version, p.locations[0]];

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'vigil-java-test-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function extractBytes(imagePath: string, content: Buffer, limits?: Partial<ArchiveLimits>) {
  const root = await mkdtemp(join(scratch, 'root-'));
  await mkdir(dirname(join(root, imagePath)), { recursive: true });
  await writeFile(join(root, imagePath), content);
  const extractor = limits ? createJavaExtractor({ ...defaultArchiveLimits, ...limits }) : javaExtractor;
  return extractor.extract(await inputFromFixture(root, imagePath));
}

/** a jar nested `levels` deep: level-0.jar holds level-1.jar ... each with its own descriptor */
function nestedChain(levels: number, at = 0): Buffer {
  const inner = at < levels ? [{ name: `lib/level${at + 1}-1.0.jar`, data: nestedChain(levels, at + 1) }] : [];
  return mavenJar('org.chain', `level${at}`, '1.0', inner);
}

const guava = mavenJar('com.google.guava', 'guava', '31.0-jre');
const outer = (extra: Parameters<typeof mavenJar>[3]) => mavenJar('com.acme', 'app', '1.0', extra);
const APP = ['com.acme:app', '1.0', 'app/app-1.0.jar'];

describe('bad archives', () => {
  it.each<[string, Buffer, Partial<ArchiveLimits> | undefined, string[][], RegExp[]]>([
    [
      'not a zip at all',
      Buffer.from('this is a text file named .jar\n'),
      undefined,
      [],
      [/^app\/app-1\.0\.jar: not a readable zip archive/],
    ],
    ['empty file', Buffer.alloc(0), undefined, [], [/^app\/app-1\.0\.jar: not a readable zip archive/]],
    [
      'truncated: the central directory is cut off',
      guava.subarray(0, guava.length - 40),
      undefined,
      [],
      [/not a readable zip archive/],
    ],
    [
      'nested entry that is not a zip: the outer archive still counts',
      outer([{ name: 'WEB-INF/lib/broken-2.0.jar', data: 'PK garbage' }]),
      undefined,
      [APP],
      [/^app\/app-1\.0\.jar!\/WEB-INF\/lib\/broken-2\.0\.jar: not a readable zip archive/],
    ],
    [
      'zip bomb: a nested entry inflating past the budget stops the walk, earlier finds kept',
      outer([
        { name: 'lib/guava-31.0-jre.jar', data: guava },
        { name: 'lib/bomb-1.0.jar', data: Buffer.alloc(32 * 1024 * 1024) },
        { name: 'lib/late-1.0.jar', data: mavenJar('org.late', 'late', '1.0') },
      ]),
      { maxInflatedBytes: 4 * 1024 * 1024 },
      [APP, ['com.google.guava:guava', '31.0-jre', 'app/app-1.0.jar!/lib/guava-31.0-jre.jar']],
      [/^app\/app-1\.0\.jar!\/lib\/bomb-1\.0\.jar: more than 4194304 bytes to inflate \(zip bomb\?\)/],
    ],
    [
      'an entry inflating past its declared size fails alone',
      outer([
        {
          name: 'META-INF/maven/org.liar/liar/pom.properties',
          data: `${pomProperties('org.liar', 'liar', '6.6.6')}${'#'.repeat(100_000)}\n`,
          declaredSize: 80,
        },
      ]),
      undefined,
      [APP],
      [/^app\/app-1\.0\.jar!\/META-INF\/maven\/org\.liar\/liar\/pom\.properties: cannot be read/],
    ],
    [
      'an oversized pom.properties is skipped',
      outer([{ name: 'META-INF/maven/org.big/big/pom.properties', data: `#${'x'.repeat(2 * 1024 * 1024)}\n` }]),
      undefined,
      [APP],
      [/pom\.properties: 2097154 bytes, over 1048576; skipped/],
    ],
    [
      'nesting deeper than the bound is not read',
      nestedChain(6),
      { maxDepth: 3 },
      [0, 1, 2, 3].map((n) => [
        `org.chain:level${n}`,
        '1.0',
        ['app/app-1.0.jar', ...Array.from({ length: n }, (_, i) => `lib/level${i + 1}-1.0.jar`)].join('!/'),
      ]),
      [/level3-1\.0\.jar!\/lib\/level4-1\.0\.jar: nested deeper than 3 archives; not read$/],
    ],
    [
      'too many entries: stopped, what came first kept',
      zipOf([
        { name: 'META-INF/maven/com.acme/app/pom.properties', data: pomProperties('com.acme', 'app', '1.0') },
        ...Array.from({ length: 50 }, (_, i) => ({ name: `com/acme/C${i}.class`, data: 'x' })),
        { name: 'META-INF/maven/org.never/never/pom.properties', data: pomProperties('org.never', 'never', '1') },
      ]),
      { maxEntries: 20 },
      [APP],
      [/^app\/app-1\.0\.jar: more than 20 archive entries; stopped/],
    ],
    [
      'hostile entry names ("../", absolute, backslashes) are read, never written anywhere',
      outer([
        { name: '../../etc/pom.properties', data: pomProperties('org.dots', 'dots', '1') },
        { name: '/abs/pom.properties', data: pomProperties('org.abs', 'abs', '2') },
        { name: 'C:\\win\\x.class', data: 'x' },
      ]),
      undefined,
      [APP, ['org.dots:dots', '1', 'app/app-1.0.jar'], ['org.abs:abs', '2', 'app/app-1.0.jar']],
      [],
    ],
    [
      'encrypted and unknown-method entries fail alone',
      outer([
        { name: 'META-INF/maven/org.enc/enc/pom.properties', data: pomProperties('org.enc', 'enc', '1'), flags: 0x801 },
        { name: 'META-INF/maven/org.bz/bz/pom.properties', data: pomProperties('org.bz', 'bz', '1'), method: 12 },
      ]),
      undefined,
      [APP],
      [/org\.enc\/enc\/pom\.properties: cannot be read/, /org\.bz\/bz\/pom\.properties: cannot be read/],
    ],
    [
      // yauzl checks stored sizes while reading the central directory: the rest of that archive is lost
      'a stored entry whose sizes disagree ends that archive, earlier finds kept',
      outer([
        { name: 'META-INF/maven/org.ok/ok/pom.properties', data: pomProperties('org.ok', 'ok', '1') },
        {
          name: 'META-INF/maven/org.bad/bad/pom.properties',
          data: pomProperties('org.bad', 'bad', '1'),
          method: 0,
          declaredSize: 3,
        },
        { name: 'META-INF/maven/org.lost/lost/pom.properties', data: pomProperties('org.lost', 'lost', '1') },
      ]),
      undefined,
      [APP, ['org.ok:ok', '1', 'app/app-1.0.jar']],
      [/^app\/app-1\.0\.jar: archive is damaged \(compressed\/uncompressed size mismatch/],
    ],
    [
      'a pom.properties without a version is skipped with a warning',
      outer([{ name: 'META-INF/maven/org.half/half/pom.properties', data: 'groupId=org.half\nartifactId=half\n' }]),
      undefined,
      [APP],
      [/org\.half\/half\/pom\.properties: no artifactId or version; skipped$/],
    ],
  ])('%s', async (_, content, limits, want, warnings) => {
    const got = await extractBytes('app/app-1.0.jar', content, limits);
    expect(got.packages.map(brief)).toEqual(want);
    expect(got.warnings).toHaveLength(warnings.length);
    warnings.forEach((pattern, i) => {
      expect(got.warnings[i]).toMatch(pattern);
    });
  });

  it('warnings are capped, and so is their length', async () => {
    const longName = `${'x'.repeat(5000)}/pom.properties`;
    const got = await extractBytes(
      'app/app-1.0.jar',
      outer([
        { name: longName, data: 'version=1\n' },
        ...Array.from({ length: 49 }, (_, i) => ({ name: `bad/${i}/pom.properties`, data: 'groupId=g\n' })),
      ]),
    );
    expect(got.packages.map(brief)).toEqual([APP]);
    expect(got.warnings).toHaveLength(21);
    expect(got.warnings[20]).toBe('30 more warnings not shown');
    expect(got.warnings[0]!.length).toBeLessThanOrEqual(501);
  });

  it('a central directory damaged midway keeps the entries before the damage', async () => {
    const jar = zipOf([
      { name: 'META-INF/maven/com.acme/app/pom.properties', data: pomProperties('com.acme', 'app', '1.0') },
      { name: 'META-INF/maven/org.b/b/pom.properties', data: pomProperties('org.b', 'b', '2') },
    ]);
    // the second central directory header's signature: the last one before the end record
    const second = jar.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    jar.writeUInt32LE(0xdeadbeef, second);
    const got = await extractBytes('app/app-1.0.jar', jar);
    expect(got.packages.map(brief)).toEqual([APP]);
    expect(got.warnings).toEqual([
      expect.stringMatching(/^app\/app-1\.0\.jar: archive is damaged \(.+\); kept what was read before$/),
    ]);
  });
});

describe('resources', () => {
  it('closes every file it opens and removes its spool files, on success and on failure', async () => {
    const openFiles = () => readdirSync('/proc/self/fd').length;
    const archives = [
      mavenJar('com.acme', 'app', '1.0', [{ name: 'lib/guava-31.0-jre.jar', data: guava }]),
      Buffer.from('not a zip'),
      guava.subarray(0, guava.length - 40),
      outer([{ name: 'lib/broken-1.0.jar', data: 'PK garbage' }]),
      outer([{ name: 'lib/bomb-1.0.jar', data: Buffer.alloc(8 * 1024 * 1024) }]),
    ];
    await extractBytes('app/app-1.0.jar', archives[0]!, { maxInMemoryArchiveBytes: 0 });
    const before = openFiles();
    const spoolsBefore = readdirSync(tmpdir()).filter((n) => n.startsWith('vigil-java-') && !n.includes('test'));
    for (const archive of archives) {
      await extractBytes('app/app-1.0.jar', archive, { maxInMemoryArchiveBytes: 0, maxInflatedBytes: 4 * 1024 * 1024 });
    }
    // descriptors close asynchronously once the last stream of an archive ends
    for (let i = 0; i < 100 && openFiles() > before; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(openFiles()).toBe(before);
    const spoolsAfter = readdirSync(tmpdir()).filter((n) => n.startsWith('vigil-java-') && !n.includes('test'));
    expect(spoolsAfter.filter((n) => !spoolsBefore.includes(n))).toEqual([]);
  });
});

describe('properties', () => {
  const valid = mavenJar('com.acme', 'app', '1.0', [{ name: 'lib/guava-31.0-jre.jar', data: guava, method: 0 }]);

  it('arbitrary bytes never throw', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), async (bytes) => {
        const got = await extractBytes('app/x.jar', Buffer.from(bytes));
        expect(Array.isArray(got.packages)).toBe(true);
        expect(got.warnings.every((w) => w.startsWith('app/x.jar'))).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('a valid jar with bytes overwritten never throws, and warns rather than drops silently', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 8,
        }),
        async (edits) => {
          const damaged = Buffer.from(valid);
          for (const [at, byte] of edits) damaged[at] = byte;
          const got = await extractBytes('app/app-1.0.jar', damaged);
          expect(got.warnings.every((w) => w.startsWith('app/app-1.0.jar'))).toBe(true);
          // either both packages are found, or something was reported
          if (got.packages.length < 2) expect(got.warnings.length + got.packages.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 60 },
    );
  });
});
