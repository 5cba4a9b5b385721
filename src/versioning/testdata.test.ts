import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apkFuzzyCompare, isWellFormedApkVersion } from './apk/index.ts';
import { parseDebVersion, verrevcmp } from './deb/index.ts';
import { compare, type SchemeId } from './index.ts';
import { rpmvercmp } from './rpm/index.ts';
import type { Ordering } from './types.ts';

/**
 * Runs every ordering case of every file in testdata/ (see testdata/PROVENANCE.md) through
 * compare(), in both directions. One test per file, reporting every failing line.
 */
const TESTDATA = join(import.meta.dirname, 'testdata');

type Format = 'op' | 'triple' | 'tsv' | 'tsv-lessthan';

type Comparator = (a: string, b: string) => Ordering;

const FILES: Readonly<Record<string, { scheme: SchemeId; format: Format; comparator?: Comparator }>> = {
  'alpine-versions-generated.txt': { scheme: 'apk', format: 'op' },
  'alpine-versions.txt': { scheme: 'apk', format: 'op' },
  'apk-tools-version.data': { scheme: 'apk', format: 'op' },
  'cran-versions-generated.txt': { scheme: 'cran', format: 'op' },
  'cran-versions.txt': { scheme: 'cran', format: 'op' },
  // go-deb-version's table mixes whole versions with bare verrevcmp() cases on empty strings
  'deb-go-deb-version-lessthan.tsv': {
    scheme: 'deb',
    format: 'tsv-lessthan',
    comparator: (a, b) => (a === '' || b === '' ? verrevcmp(a, b) : compare('deb', a, b)),
  },
  'debian-versions-generated.txt': { scheme: 'deb', format: 'op' },
  'debian-versions.txt': { scheme: 'deb', format: 'op' },
  'dpkg-Dpkg_Version.data.txt': { scheme: 'deb', format: 'triple' },
  'hackage-versions.txt': { scheme: 'hackage', format: 'op' },
  'maven-versions-generated.txt': { scheme: 'maven', format: 'op' },
  'maven-versions.txt': { scheme: 'maven', format: 'op' },
  'nuget-versions.txt': { scheme: 'nuget', format: 'op' },
  'packagist-versions-generated.txt': { scheme: 'composer', format: 'op' },
  'packagist-versions.txt': { scheme: 'composer', format: 'op' },
  'pub-versions.txt': { scheme: 'pub', format: 'op' },
  'pypi-versions-generated.txt': { scheme: 'pep440', format: 'op' },
  'pypi-versions.txt': { scheme: 'pep440', format: 'op' },
  'python-debian-comparisons.txt': { scheme: 'deb', format: 'op' },
  'redhat-versions.txt': { scheme: 'rpm', format: 'op' },
  // both tables test rpmvercmp() on raw strings ("1-2-3-4" = "1.2.3.4"), not epoch:version-release labels
  'rpm-go-rpm-version.tsv': { scheme: 'rpm', format: 'tsv', comparator: rpmvercmp },
  'rpm-rpmvercmp.tsv': { scheme: 'rpm', format: 'tsv', comparator: rpmvercmp },
  'rubygems-versions-generated.txt': { scheme: 'rubygems', format: 'op' },
  'rubygems-versions.txt': { scheme: 'rubygems', format: 'op' },
  'semver-versions.txt': { scheme: 'semver', format: 'op' },
};

/**
 * Cases deliberately not run, each with the reason. Matched on the whole (trimmed) line.
 */
const EXCLUDED: Readonly<Record<string, (line: string) => string | undefined>> = {
  // apk's fuzzy-match operators (~, <~, >~, !~: "3.6.0 ~ 3.6") test apkFuzzyCompare, not `compare`:
  // they run in their own test below
  'apk-tools-version.data': (line) => (FUZZY_LINE.test(line) ? 'fuzzy match, tested below' : undefined),
};

const FUZZY_LINE = /^(\S+) ([<>!]?~) (\S+)$/;

const EXPECTED_EXCLUSIONS: Readonly<Record<string, number>> = { 'apk-tools-version.data': 16 };

interface OrderingCase {
  readonly line: number;
  readonly a: string;
  readonly b: string;
  readonly expected: Ordering;
}

const OPS: Readonly<Record<string, Ordering>> = { '<': -1, '=': 0, '==': 0, '>': 1 };

function parseCases(text: string, format: Format, exclude?: (line: string) => string | undefined) {
  const cases: OrderingCase[] = [];
  const lone: { line: number; version: string }[] = [];
  let excluded = 0;
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    if (exclude?.(raw) !== undefined) {
      excluded++;
      return;
    }
    const content = raw.replace(/\s#.*$/, '').trim();
    if (content === '' || content.startsWith('#') || content.startsWith('//')) return;
    if (format === 'tsv' || format === 'tsv-lessthan') {
      const [a, b, result] = raw.split('\t');
      if (a === undefined || b === undefined || result === undefined) throw new Error(`line ${line}: ${raw}`);
      const expected: Ordering = format === 'tsv' ? (Number(result) as Ordering) : result === 'true' ? -1 : 1;
      if (format === 'tsv-lessthan' && result === 'false') {
        // "not less than": check only that a >= b
        cases.push({ line, a: b, b: a, expected: 2 as Ordering });
        return;
      }
      cases.push({ line, a, b, expected });
      return;
    }
    const fields = content.split(/\s+/);
    if (fields.includes('|')) return; // python-debian parse vectors, tested below
    if (fields.length === 1) {
      lone.push({ line, version: fields[0] as string });
      return;
    }
    const [a, mid, b] = fields as [string, string, string];
    const expected = format === 'triple' ? (Number(b) as Ordering) : OPS[mid];
    if (expected === undefined) throw new Error(`line ${line}: unknown operator in ${raw}`);
    cases.push(format === 'triple' ? { line, a, b: mid, expected } : { line, a, b, expected });
  });
  return { cases, lone, excluded };
}

function failuresOf(order: Comparator, cases: readonly OrderingCase[]): string[] {
  const failures: string[] = [];
  for (const c of cases) {
    try {
      const forward = order(c.a, c.b);
      const backward = order(c.b, c.a);
      // expected 2 encodes "a <= b" from a "not less than" row with sides swapped
      const ok =
        c.expected === (2 as Ordering)
          ? forward <= 0 && backward >= 0
          : forward === c.expected && backward === -c.expected;
      if (!ok) failures.push(`line ${c.line}: ${c.a} vs ${c.b}: got ${forward}/${backward}, want ${c.expected}`);
    } catch (err) {
      failures.push(`line ${c.line}: ${c.a} vs ${c.b}: threw ${(err as Error).message}`);
    }
  }
  return failures;
}

describe('testdata', () => {
  it('every file in testdata/ is mapped to a scheme', () => {
    const files = readdirSync(TESTDATA).filter((f) => f !== 'PROVENANCE.md');
    expect(files.sort()).toEqual(Object.keys(FILES).sort());
  });

  it.each(Object.entries(FILES))('%s', (file, { scheme, format, comparator }) => {
    const { cases, excluded } = parseCases(readFileSync(join(TESTDATA, file), 'utf8'), format, EXCLUDED[file]);
    expect(cases.length).toBeGreaterThan(0);
    expect(failuresOf(comparator ?? ((a, b) => compare(scheme, a, b)), cases)).toEqual([]);
    expect(excluded).toBe(EXPECTED_EXCLUSIONS[file] ?? 0);
  });

  it('apk-tools validity lines: a lone version is well formed, "!version" is not', () => {
    const file = 'apk-tools-version.data';
    const { lone } = parseCases(readFileSync(join(TESTDATA, file), 'utf8'), 'op', EXCLUDED[file]);
    expect(lone.length).toBeGreaterThan(0);
    const wrong = lone.filter(({ version }) =>
      version.startsWith('!') ? isWellFormedApkVersion(version.slice(1)) : !isWellFormedApkVersion(version),
    );
    expect(wrong).toEqual([]);
  });

  it('apk-tools fuzzy-match lines hold under apkFuzzyCompare', () => {
    const lines = readFileSync(join(TESTDATA, 'apk-tools-version.data'), 'utf8').split('\n');
    const fuzzy = lines.map((line) => FUZZY_LINE.exec(line.trim())).filter((m) => m !== null);
    expect(fuzzy).toHaveLength(EXPECTED_EXCLUSIONS['apk-tools-version.data'] as number);
    const holds: Readonly<Record<string, (order: number) => boolean>> = {
      '~': (order) => order === 0,
      '<~': (order) => order < 0,
      '>~': (order) => order > 0,
      '!~': (order) => order !== 0,
    };
    for (const [line, a, op, b] of fuzzy) {
      expect(holds[op as string]?.(apkFuzzyCompare(a as string, b as string)), line).toBe(true);
    }
  });

  it('python-debian parse vectors split epoch, upstream and revision', () => {
    const text = readFileSync(join(TESTDATA, 'python-debian-comparisons.txt'), 'utf8');
    const vectors = text
      .split('\n')
      .filter((l) => !l.startsWith('#') && l.includes('|'))
      .map((l) => l.split('|').map((f) => f.trim()) as [string, string, string, string]);
    expect(vectors.length).toBeGreaterThan(10);
    for (const [full, epoch, upstream, revision] of vectors) {
      expect(parseDebVersion(full), full).toEqual({
        epoch: epoch === 'None' ? '0' : epoch,
        upstream,
        revision: revision === 'None' ? '' : revision,
      });
    }
    const invalid = /^# invalid \(ValueError\): (\S+)$/m.exec(text)?.[1];
    expect(invalid).toBeDefined();
    expect(() => compare('deb', invalid as string, '1')).toThrow(/invalid deb version/);
  });
});
