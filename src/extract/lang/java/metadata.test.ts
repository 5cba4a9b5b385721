import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  fileNameCoordinates,
  manifestCoordinates,
  manifestLicenses,
  parseManifest,
  parseProperties,
  pomCoordinates,
  pomLicenses,
} from './metadata.ts';

describe('parseManifest', () => {
  it.each([
    ['CRLF lines', 'Manifest-Version: 1.0\r\nImplementation-Title: x\r\n', { 'Implementation-Title': 'x' }],
    ['lone CR lines', 'Manifest-Version: 1.0\rImplementation-Title: x\r', { 'Implementation-Title': 'x' }],
    [
      'continuation joined without its space',
      'Implementation-URL: https://exa\n mple.org/\n',
      { 'Implementation-URL': 'https://example.org/' },
    ],
    ['main section ends at the first empty line', 'A: 1\n\nName: x/\nA: 2\n', { A: '1' }],
    ['first value wins', 'A: 1\nA: 2\n', { A: '1' }],
    ['lines without a colon are skipped', 'garbage\nA: 1\n', { A: '1' }],
  ])('%s', (_, text, want) => {
    expect(Object.fromEntries(parseManifest(text))).toMatchObject(want);
  });
});

describe('manifestCoordinates', () => {
  // field order from Trivy pkg/dependency/parser/java/jar/parse.go (determineGroupID/ArtifactID/Version)
  it.each([
    [
      ['Implementation-Vendor-Id: org.a', 'Implementation-Title: t', 'Implementation-Version: 1'],
      { groupId: 'org.a', artifactId: 't', version: '1' },
    ],
    [
      ['Bundle-SymbolicName: com.x.core;singleton:=true', 'Bundle-Name: core', 'Bundle-Version: 2'],
      { groupId: 'com.x', artifactId: 'core', version: '2' },
    ],
    [
      ['Implementation-Vendor: ACME', 'Specification-Title: s', 'Specification-Version: 3'],
      { groupId: 'ACME', artifactId: 's', version: '3' },
    ],
    [['Implementation-Title: t', 'Implementation-Version: 4'], { artifactId: 't', version: '4' }],
    [['Bundle-Name: %bundleName', 'Bundle-Version: 5'], undefined],
    [['Implementation-Title: t', 'Implementation-Version: $' + '{project.version}'], undefined],
    [['Main-Class: App'], undefined],
  ])('%j → %j', (lines, want) => {
    expect(manifestCoordinates(parseManifest(lines.join('\n')))).toEqual(want);
  });
});

describe('manifestLicenses', () => {
  it.each([
    [
      ['Plugin-License-Name: MIT License', 'Plugin-License-Name-2: GPL'],
      ['MIT License', 'GPL'],
    ],
    [['Bundle-License: Apache-2.0;link="https://x/a,b", MIT'], ['Apache-2.0', 'MIT']],
    [['Bundle-License: <<EXTERNAL>>'], []],
    [['Bundle-License: http://www.apache.org/licenses/LICENSE-2.0.txt'], ['Apache-2.0']],
    [['Bundle-License: https://opensource.org/licenses/MIT, https://example.org/my-license'], ['MIT']],
    [['Bundle-Name: x'], []],
  ])('%j → %j', (lines, want) => {
    expect(manifestLicenses(parseManifest(lines.join('\n')))).toEqual(want);
  });
});

describe('parseProperties (java.util.Properties.load)', () => {
  it.each([
    ['key=value', { key: 'value' }],
    ['key : value', { key: 'value' }],
    ['key value', { key: 'value' }],
    ['  # comment\n! also\nk=v', { k: 'v' }],
    ['k=one \\\n    two', { k: 'one two' }],
    ['k=a\\\\\nb=c', { k: 'a\\', b: 'c' }],
    ['k\\=x=\\u00e9\\t', { 'k=x': 'é\t' }],
    ['k=', { k: '' }],
    ['k=a\\\n#not a comment', { k: 'a#not a comment' }],
    [`k=${'ab\\\n'.repeat(100_000)}`, { k: 'ab'.repeat(100_000) }],
    ['k=trailing\\', { k: 'trailing' }],
  ])('%.40j', (text, want) => {
    expect(Object.fromEntries(parseProperties(text))).toEqual(want);
  });

  // leading blanks of a value are separators, so generated values start with a visible character
  it('reads back simple key=value lines for any safe key and value', () => {
    const token = fc.stringMatching(/^[A-Za-z0-9._-]{1,20}$/);
    fc.assert(
      fc.property(
        fc.dictionary(token, fc.stringMatching(/^([A-Za-z0-9._-]([A-Za-z0-9._ -]{0,18}[A-Za-z0-9._-])?)?$/)),
        (map) => {
          const text = Object.entries(map)
            .map(([k, v]) => `${k}=${v}`)
            .join('\n');
          expect(Object.fromEntries(parseProperties(text))).toEqual(map);
        },
      ),
    );
  });

  it('never throws on arbitrary text', () => {
    fc.assert(
      // an alphabet of the characters the two grammars treat specially, so that odd mixes of them come up
      fc.property(fc.string({ unit: fc.constantFrom(...'=: \t\f\\\r\n#!u0aé%$-'), maxLength: 300 }), (text) => {
        parseProperties(text);
        parseManifest(text);
      }),
    );
  });
});

describe('pomCoordinates', () => {
  it.each([
    ['groupId=g\nartifactId=a\nversion=1', { groupId: 'g', artifactId: 'a', version: '1' }],
    ['artifactId=a\nversion=1', { artifactId: 'a', version: '1' }],
    ['groupId=g\nartifactId=a', undefined],
    ['', undefined],
  ])('%j', (text, want) => {
    expect(pomCoordinates(text)).toEqual(want);
  });
});

describe('fileNameCoordinates', () => {
  // Trivy's jarFileRegEx: the version starts at the last "-<digit>" that leaves a version to its right
  it.each([
    ['spring-core-5.3.4-SNAPSHOT.jar', 'spring-core', '5.3.4-SNAPSHOT'],
    ['guava-31.0-jre.jar', 'guava', '31.0-jre'],
    ['log4j-1.2-api-2.17.1.jar', 'log4j-1.2-api', '2.17.1'],
    ['io.quarkus.gizmo.gizmo-1.1.jar', 'io.quarkus.gizmo.gizmo', '1.1'],
    ['app-2.0.WAR', 'app', '2.0'],
    ['app.jar', undefined, undefined],
    ['app-latest.jar', undefined, undefined],
    ['x-1.0.zip', undefined, undefined],
    [`${'a-1'.repeat(30_000)}.zip`, undefined, undefined],
  ])('%.60s', (name, artifactId, version) => {
    const got = fileNameCoordinates(name);
    expect(got && [got.artifactId, got.version]).toEqual(artifactId ? [artifactId, version] : undefined);
  });

  it('splits any artifact-version.jar built from ordinary parts', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z][a-z0-9]{0,8}(-[a-z][a-z0-9]{0,8}){0,3}$/),
        fc.stringMatching(/^\d{1,3}(\.\d{1,3}){0,3}$/),
        (artifactId, version) => {
          expect(fileNameCoordinates(`${artifactId}-${version}.jar`)).toEqual({ artifactId, version });
        },
      ),
    );
  });
});

describe('pomLicenses', () => {
  const pom = (licenses: string) =>
    `<?xml version="1.0"?>\n<project><modelVersion>4.0.0</modelVersion>${licenses}</project>`;
  it.each([
    [
      'one',
      pom('<licenses><license><name>Apache License, Version 2.0</name><url>u</url></license></licenses>'),
      ['Apache License, Version 2.0'],
    ],
    [
      'several, with attributes and whitespace',
      pom(
        '<licenses>\n <license id="a">\n  <name>\n   EPL 2.0\n  </name>\n </license>\n <license><name>GPL2 w/ CPE</name></license></licenses>',
      ),
      ['EPL 2.0', 'GPL2 w/ CPE'],
    ],
    [
      'entities and CDATA',
      pom('<licenses><license><name>A &amp; B &#x2014; <![CDATA[C]]></name></license></licenses>'),
      ['A & B — C'],
    ],
    [
      'a commented-out block does not count',
      pom('<!-- <licenses><license><name>Old</name></license></licenses> -->'),
      [],
    ],
    ['url only', pom('<licenses><license><url>https://x/y</url></license></licenses>'), []],
    [
      '<licenses> only (a <licensesX> tag is another element)',
      pom('<licensesX><license><name>no</name></license></licensesX>'),
      [],
    ],
    ['no licenses', pom(''), []],
    ['unclosed', pom('<licenses><license><name>MIT'), []],
  ])('%s', (_, xml, want) => {
    expect(pomLicenses(xml)).toEqual(want);
  });

  it('hostile input is scanned in linear time, without throwing', () => {
    // each of these would make a backtracking regex rescan to the end for every occurrence
    for (const unit of ['<!--', '<licenses>', '<license>', '<name>']) {
      expect(pomLicenses(unit.repeat(200_000))).toEqual([]);
    }
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        pomLicenses(text);
        pomLicenses(`<licenses><license><name>${text}</name></license></licenses>`);
      }),
    );
  });
});
