import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Package } from '../../../core/types.ts';
import { inputFromFixture } from '../../testing.ts';
import { type ArchiveLimits, defaultArchiveLimits } from './archive.ts';
import { createJavaExtractor, javaExtractor } from './index.ts';
import { mavenJar, pomProperties, type ZipEntrySpec, zipOf } from './zip-fixture.ts';

const testdata = join(dirname(fileURLToPath(import.meta.url)), 'testdata');

/** name, version, location */
const brief = (p: Package) => [p.name, p.version, p.locations[0]];
const sorted = (rows: unknown[][]) => [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'vigil-java-test-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** Writes `content` at `imagePath` under a fresh root and extracts it. */
async function extractBytes(imagePath: string, content: Buffer, limits?: Partial<ArchiveLimits>) {
  const root = await mkdtemp(join(scratch, 'root-'));
  await mkdir(dirname(join(root, imagePath)), { recursive: true });
  await writeFile(join(root, imagePath), content);
  const extractor = limits ? createJavaExtractor({ ...defaultArchiveLimits, ...limits }) : javaExtractor;
  return extractor.extract(await inputFromFixture(root, imagePath));
}

describe('required', () => {
  it.each([
    ['app/lib/spring-core-5.3.3.jar', true],
    ['srv/app.war', true],
    ['opt/app.ear', true],
    ['var/jenkins_home/plugins/git.jpi', true],
    ['var/jenkins_home/plugins/git.hpi', true],
    ['usr/share/java/ASM.JAR', true],
    ['app/lib/jar', false],
    ['app/lib/x.jar.sha1', false],
    ['app/x.zip', false],
    ['app/pom.properties', false],
  ])('required(%s) = %s', (path, want) => {
    expect(javaExtractor.required(path)).toBe(want);
  });
});

describe('Trivy fixtures', () => {
  // expectations from aquasecurity/trivy pkg/dependency/parser/java/jar/parse_test.go (TestParse);
  // FilePath there joins nested paths with "/", we with "!/"
  const root = join(testdata, 'trivy');
  it.each([
    [
      'maven.war (wantMaven)',
      'maven.war',
      [
        ['com.example:web-app', '1.0-SNAPSHOT', 'maven.war'],
        [
          'com.fasterxml.jackson.core:jackson-databind',
          '2.9.10.6',
          'maven.war!/WEB-INF/lib/jackson-databind-2.9.10.6.jar',
        ],
        [
          'com.fasterxml.jackson.core:jackson-annotations',
          '2.9.10',
          'maven.war!/WEB-INF/lib/jackson-annotations-2.9.10.jar',
        ],
        ['com.fasterxml.jackson.core:jackson-core', '2.9.10', 'maven.war!/WEB-INF/lib/jackson-core-2.9.10.jar'],
        ['com.cronutils:cron-utils', '9.1.2', 'maven.war!/WEB-INF/lib/cron-utils-9.1.2.jar'],
        ['org.slf4j:slf4j-api', '1.7.30', 'maven.war!/WEB-INF/lib/slf4j-api-1.7.30.jar'],
        ['org.glassfish:javax.el', '3.0.0', 'maven.war!/WEB-INF/lib/javax.el-3.0.0.jar'],
        ['org.apache.commons:commons-lang3', '3.11', 'maven.war!/WEB-INF/lib/commons-lang3-3.11.jar'],
      ],
    ],
    [
      'nested.jar (wantNestedJar)',
      'nested.jar',
      [
        ['test:nested', '0.0.1', 'nested.jar'],
        ['test:nested2', '0.0.2', 'nested.jar!/META-INF/jars/nested2.jar'],
        ['test:nested3', '0.0.3', 'nested.jar!/META-INF/jars/nested2.jar!/META-INF/jars/nested3.jar'],
      ],
    ],
    [
      // the manifest's Implementation-Title and Bundle-SymbolicName prefix, as Trivy offline
      'test.jar (wantOffline)',
      'test.jar',
      [['org.springframework:Spring Framework', '2.5.6.SEC03', 'test.jar']],
    ],
    [
      'hadoop-shaded-guava (wantFatjar)',
      'hadoop-shaded-guava-1.1.0-SNAPSHOT.jar',
      [
        ['com.google.guava:failureaccess', '1.0.1'],
        ['com.google.guava:guava', '29.0-jre'],
        ['com.google.guava:listenablefuture', '9999.0-empty-to-avoid-conflict-with-guava'],
        ['com.google.j2objc:j2objc-annotations', '1.3'],
        ['org.apache.hadoop.thirdparty:hadoop-shaded-guava', '1.1.0-SNAPSHOT'],
      ].map((row) => [...row, 'hadoop-shaded-guava-1.1.0-SNAPSHOT.jar']),
    ],
    [
      // the one META-INF/maven descriptor names the jar ("group.artifact-version.jar"), so no
      // manifest identity is added; the pom.properties outside META-INF/maven count too
      'gizmo (wantDuplicatesJar)',
      'io.quarkus.gizmo.gizmo-1.1.jar',
      [
        ['io.quarkus.gizmo:gizmo', '1.1', 'io.quarkus.gizmo.gizmo-1.1.jar'],
        ['log4j:log4j', '1.2.16', 'io.quarkus.gizmo.gizmo-1.1.jar!/jars/log4j-1.2.16.jar'],
        ['log4j:log4j', '1.2.17', 'io.quarkus.gizmo.gizmo-1.1.jar!/jars/log4j-1.2.17.jar'],
        ['com.fasterxml.jackson.core:jackson-databind', '2.12.3', 'io.quarkus.gizmo.gizmo-1.1.jar'],
        ['com.fasterxml.jackson.core:jackson-databind', '2.13.4', 'io.quarkus.gizmo.gizmo-1.1.jar'],
      ],
    ],
    [
      // Trivy resolves the groupId through Maven Central (com.example); offline only the file name is known
      'heuristic (wantHeuristic, offline)',
      'heuristic-1.0.0-SNAPSHOT.jar',
      [['heuristic', '1.0.0-SNAPSHOT', 'heuristic-1.0.0-SNAPSHOT.jar']],
    ],
    ['multi-license', 'multi-license-1.0.0.jar', [['com.example:multi-license', '1.0.0', 'multi-license-1.0.0.jar']]],
  ])('%s', async (_, file, want) => {
    const got = await javaExtractor.extract(await inputFromFixture(root, file));
    expect(sorted(got.packages.map(brief))).toEqual(sorted(want));
    expect(got.warnings).toEqual([]);
  });

  it('every package is Maven with a maven purl', async () => {
    const got = await javaExtractor.extract(await inputFromFixture(root, 'maven.war'));
    const databind = got.packages.find((p) => p.name.endsWith(':jackson-databind'))!;
    expect(databind).toMatchObject({
      type: 'maven',
      ecosystem: 'Maven',
      purl: 'pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.10.6',
    });
    expect(got.packages.every((p) => p.ecosystem === 'Maven' && p.purl.startsWith('pkg:maven/'))).toBe(true);
    const heuristic = await javaExtractor.extract(await inputFromFixture(root, 'heuristic-1.0.0-SNAPSHOT.jar'));
    expect(heuristic.packages[0]!.purl).toBe('pkg:maven/heuristic/heuristic@1.0.0-SNAPSHOT');
  });

  it.each([
    // Bundle-License URLs of the nested jars resolve to SPDX ids; where a URL is unknown (javax.el),
    // the descriptor's pom.xml <licenses> names stand in, as they do for shaded descriptors
    ['maven.war', 'com.fasterxml.jackson.core:jackson-databind', ['Apache-2.0']],
    ['maven.war', 'org.glassfish:javax.el', ['CDDL + GPLv2 with classpath exception']],
    ['maven.war', 'org.slf4j:slf4j-api', undefined],
    [
      'hadoop-shaded-guava-1.1.0-SNAPSHOT.jar',
      'com.google.j2objc:j2objc-annotations',
      ['The Apache Software License, Version 2.0'],
    ],
    ['io.quarkus.gizmo.gizmo-1.1.jar', 'io.quarkus.gizmo:gizmo', ['The Apache Software License, Version 2.0']],
  ])('licenses: %s %s', async (file, name, licenses) => {
    const got = await javaExtractor.extract(await inputFromFixture(root, file));
    expect(got.packages.find((p) => p.name === name)!.licenses).toEqual(licenses);
  });

  it('Jenkins Plugin-License-Name attributes are the licenses (license-from-jenkins-plugin.jar)', async () => {
    // Trivy pkg/dependency/parser/java/jar: attachManifestLicenses
    const got = await javaExtractor.extract(await inputFromFixture(root, 'license-from-jenkins-plugin.jar'));
    expect(got.packages.map((p) => [p.name, p.version, p.licenses])).toEqual([
      ['com.example:jenkins-plugin', '1.0.0', ['Apache License, Version 2.0', 'MIT License']],
    ]);
  });
});

const manifest = (lines: string[]): ZipEntrySpec => ({
  name: 'META-INF/MANIFEST.MF',
  data: `${lines.join('\r\n')}\r\n\r\n`,
});

describe('archives built in the test', () => {
  const lib = (g: string, a: string, v: string) => mavenJar(g, a, v);
  it.each<[string, string, Buffer, string[][]]>([
    [
      'Spring Boot fat jar: BOOT-INF/lib jars are stored, not deflated',
      'app/app.jar',
      mavenJar('com.acme', 'app', '2.0.0', [
        { name: 'BOOT-INF/lib/', method: 0 },
        { name: 'BOOT-INF/lib/snakeyaml-1.33.jar', data: lib('org.yaml', 'snakeyaml', '1.33'), method: 0 },
        {
          name: 'BOOT-INF/lib/log4j-core-2.14.1.jar',
          data: lib('org.apache.logging.log4j', 'log4j-core', '2.14.1'),
          method: 0,
        },
      ]),
      [
        ['com.acme:app', '2.0.0', 'app/app.jar'],
        ['org.yaml:snakeyaml', '1.33', 'app/app.jar!/BOOT-INF/lib/snakeyaml-1.33.jar'],
        ['org.apache.logging.log4j:log4j-core', '2.14.1', 'app/app.jar!/BOOT-INF/lib/log4j-core-2.14.1.jar'],
      ],
    ],
    [
      'ear holding a war holding a jar',
      'opt/shop.ear',
      zipOf([
        {
          name: 'shop-web.war',
          data: mavenJar('com.acme', 'shop-web', '1.0', [
            { name: 'WEB-INF/lib/commons-text-1.9.jar', data: lib('org.apache.commons', 'commons-text', '1.9') },
          ]),
        },
        { name: 'lib/guava-31.0-jre.jar', data: lib('com.google.guava', 'guava', '31.0-jre') },
      ]),
      [
        ['com.acme:shop-web', '1.0', 'opt/shop.ear!/shop-web.war'],
        ['org.apache.commons:commons-text', '1.9', 'opt/shop.ear!/shop-web.war!/WEB-INF/lib/commons-text-1.9.jar'],
        ['com.google.guava:guava', '31.0-jre', 'opt/shop.ear!/lib/guava-31.0-jre.jar'],
      ],
    ],
    [
      'shaded jar: its own descriptor and every one it swallowed',
      'app/tool-3.1.jar',
      mavenJar('org.acme', 'tool', '3.1', [
        {
          name: 'META-INF/maven/com.google.code.gson/gson/pom.properties',
          data: pomProperties('com.google.code.gson', 'gson', '2.8.5'),
        },
        {
          name: 'META-INF/maven/io.netty/netty-all/pom.properties',
          data: pomProperties('io.netty', 'netty-all', '4.1.42.Final'),
        },
      ]),
      [
        ['org.acme:tool', '3.1', 'app/tool-3.1.jar'],
        ['com.google.code.gson:gson', '2.8.5', 'app/tool-3.1.jar'],
        ['io.netty:netty-all', '4.1.42.Final', 'app/tool-3.1.jar'],
      ],
    ],
    [
      'a jar named otherwise than the one descriptor it shades: both',
      'app/runner.jar',
      zipOf([
        manifest([
          'Manifest-Version: 1.0',
          'Implementation-Vendor-Id: com.acme',
          'Implementation-Title: runner',
          'Implementation-Version: 5',
        ]),
        {
          name: 'META-INF/maven/org.slf4j/slf4j-api/pom.properties',
          data: pomProperties('org.slf4j', 'slf4j-api', '1.7.36'),
        },
      ]),
      [
        ['com.acme:runner', '5', 'app/runner.jar'],
        ['org.slf4j:slf4j-api', '1.7.36', 'app/runner.jar'],
      ],
    ],
    [
      'OSGi bundle: Bundle-SymbolicName gives the group, a continuation line is joined',
      'usr/share/java/bundle.jar',
      zipOf([
        manifest([
          'Manifest-Version: 1.0',
          'Bundle-SymbolicName: org.eclipse.jetty.http;singleton:=true',
          'Bundle-Name: Jetty :: Http Util',
          'Bundle-Version: 9.4.4',
          ' 3.v20211008',
        ]),
      ]),
      [['org.eclipse.jetty:Jetty :: Http Util', '9.4.43.v20211008', 'usr/share/java/bundle.jar']],
    ],
    [
      'no metadata at all: the file name',
      'lib/ojdbc8-19.3.0.0.jar',
      zipOf([{ name: 'oracle/jdbc/Driver.class', data: 'cafebabe' }]),
      [['ojdbc8', '19.3.0.0', 'lib/ojdbc8-19.3.0.0.jar']],
    ],
    [
      'nothing to go on: no package',
      'lib/app.jar',
      zipOf([manifest(['Manifest-Version: 1.0', 'Main-Class: App'])]),
      [],
    ],
    [
      'Jenkins plugin (.hpi) with WEB-INF/lib',
      'var/jenkins_home/plugins/git.hpi',
      zipOf([
        manifest([
          'Manifest-Version: 1.0',
          'Group-Id: org.jenkins-ci.plugins',
          'Short-Name: git',
          'Plugin-Version: 4.10.0',
        ]),
        {
          name: 'META-INF/maven/org.jenkins-ci.plugins/git/pom.properties',
          data: pomProperties('org.jenkins-ci.plugins', 'git', '4.10.0'),
        },
        { name: 'WEB-INF/lib/git.jar', data: zipOf([{ name: 'hudson/plugins/git/GitSCM.class', data: 'x' }]) },
        { name: 'WEB-INF/lib/jgit-5.13.0.jar', data: lib('org.eclipse.jgit', 'org.eclipse.jgit', '5.13.0') },
      ]),
      [
        ['org.jenkins-ci.plugins:git', '4.10.0', 'var/jenkins_home/plugins/git.hpi'],
        [
          'org.eclipse.jgit:org.eclipse.jgit',
          '5.13.0',
          'var/jenkins_home/plugins/git.hpi!/WEB-INF/lib/jgit-5.13.0.jar',
        ],
      ],
    ],
  ])('%s', async (_, path, content, want) => {
    const got = await extractBytes(path, content);
    expect(got.packages.map(brief)).toEqual(want);
    expect(got.warnings).toEqual([]);
  });

  it('a fully executable Spring Boot jar: a launch script before the zip', async () => {
    const script = Buffer.from('#!/bin/bash\n# Spring Boot launch script\nexec java -jar "$0" "$@"\n');
    const jar = zipOf(
      [
        { name: 'META-INF/maven/com.acme/svc/pom.properties', data: pomProperties('com.acme', 'svc', '3.0.0') },
        {
          name: 'BOOT-INF/lib/netty-codec-4.1.100.Final.jar',
          data: mavenJar('io.netty', 'netty-codec', '4.1.100.Final'),
          method: 0,
        },
      ],
      script,
    );
    const got = await extractBytes('app/svc.jar', jar);
    expect(got.packages.map(brief)).toEqual([
      ['com.acme:svc', '3.0.0', 'app/svc.jar'],
      ['io.netty:netty-codec', '4.1.100.Final', 'app/svc.jar!/BOOT-INF/lib/netty-codec-4.1.100.Final.jar'],
    ]);
    expect(got.warnings).toEqual([]);
  });

  it('every descriptor in any tree of nested jars is found where it is', async () => {
    interface Node {
      groupId: string;
      artifactId: string;
      version: string;
      children: Node[];
    }
    const segment = fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/);
    const coordinates = {
      groupId: segment.map((s) => `org.${s}`),
      artifactId: segment,
      version: fc.stringMatching(/^\d{1,2}\.\d{1,2}$/),
    };
    const tree = (depth: number): fc.Arbitrary<Node> =>
      fc.record({
        ...coordinates,
        children: depth === 0 ? fc.constant([]) : fc.array(tree(depth - 1), { maxLength: 2 }),
      });
    const fileName = (n: Node) => `${n.artifactId}-${n.version}.jar`;
    const build = (n: Node): Buffer =>
      mavenJar(
        n.groupId,
        n.artifactId,
        n.version,
        n.children.map((c, i) => ({ name: `lib/${i}/${fileName(c)}`, data: build(c), method: i % 2 === 0 ? 8 : 0 })),
      );
    const expected = (n: Node, label: string): string[][] => [
      [`${n.groupId}:${n.artifactId}`, n.version, label],
      ...n.children.flatMap((c, i) => expected(c, `${label}!/lib/${i}/${fileName(c)}`)),
    ];
    await fc.assert(
      fc.asyncProperty(tree(3), async (root) => {
        const got = await extractBytes(`opt/${fileName(root)}`, build(root), { maxDepth: 10 });
        expect(sorted(got.packages.map(brief))).toEqual(sorted(expected(root, `opt/${fileName(root)}`)));
        expect(got.warnings).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });

  it("a war written by the JDK's jar tool (data descriptors, its own manifest)", async () => {
    // `jar` streams entries through ZipOutputStream: sizes and CRCs follow the data (APPNOTE 4.3.9)
    const tree = await mkdtemp(join(scratch, 'jdk-'));
    await mkdir(join(tree, 'META-INF/maven/com.acme/web'), { recursive: true });
    await mkdir(join(tree, 'WEB-INF/lib'), { recursive: true });
    await writeFile(
      join(tree, 'META-INF/maven/com.acme/web/pom.properties'),
      pomProperties('com.acme', 'web', '2.1.0'),
    );
    await writeFile(
      join(tree, 'WEB-INF/lib/jackson-core-2.15.2.jar'),
      mavenJar('com.fasterxml.jackson.core', 'jackson-core', '2.15.2'),
    );
    await writeFile(join(tree, 'index.html'), '<html></html>'.repeat(100));
    const war = join(scratch, `web-${Date.now()}.war`);
    execFileSync('jar', ['--create', '--file', war, '-C', tree, '.'], { stdio: 'pipe' });
    const got = await extractBytes('srv/web.war', await import('node:fs/promises').then((fs) => fs.readFile(war)));
    expect(got.packages.map(brief)).toEqual([
      ['com.acme:web', '2.1.0', 'srv/web.war'],
      ['com.fasterxml.jackson.core:jackson-core', '2.15.2', 'srv/web.war!/WEB-INF/lib/jackson-core-2.15.2.jar'],
    ]);
    expect(got.warnings).toEqual([]);
  });

  it('a nested archive over the in-memory bound is spooled to a temp file and removed after', async () => {
    const war = zipOf([{ name: 'WEB-INF/lib/jsoup-1.14.2.jar', data: mavenJar('org.jsoup', 'jsoup', '1.14.2') }]);
    const before = (await readdir(tmpdir())).filter((n) => n.startsWith('vigil-java-') && !n.includes('test'));
    const got = await extractBytes('srv/app.war', war, { maxInMemoryArchiveBytes: 0 });
    expect(got.packages.map(brief)).toEqual([
      ['org.jsoup:jsoup', '1.14.2', 'srv/app.war!/WEB-INF/lib/jsoup-1.14.2.jar'],
    ]);
    const after = (await readdir(tmpdir())).filter((n) => n.startsWith('vigil-java-') && !n.includes('test'));
    expect(after.filter((n) => !before.includes(n))).toEqual([]);
  });
});
