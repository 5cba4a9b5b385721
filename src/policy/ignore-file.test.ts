import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isVigilError } from '../core/errors.ts';
import { parseIgnoreFile } from './ignore-file.ts';
import { MAX_POLICY_BYTES } from './policy-text.ts';

const fixture = (name: string) => readFileSync(new URL(`./testdata/ignore/${name}`, import.meta.url), 'utf8');

describe('plain .trivyignore', () => {
  it('reads ids, comments, blank lines and exp: dates with their line numbers', () => {
    const rules = parseIgnoreFile(fixture('trivyignore'), '.trivyignore');
    expect(rules.map(({ id, line, expiresAt }) => ({ id, line, expires: expiresAt?.toISOString() }))).toEqual([
      { id: 'CVE-2018-14618', line: 2, expires: undefined },
      { id: 'CVE-2019-14697', line: 3, expires: '2023-01-01T00:00:00.000Z' },
      { id: 'GHSA-xxxx-yyyy-zzzz', line: 4, expires: undefined },
      { id: 'CVE-2024-0001', line: 6, expires: '2030-12-31T00:00:00.000Z' },
    ]);
    expect(rules.every((r) => r.purls.length === 0 && r.packages.length === 0 && r.file === '.trivyignore')).toBe(true);
  });

  it.each([
    ['CVE-1 exp:2023-13-01\n', 1, 'exp:YYYY-MM-DD'],
    ['CVE-1\nCVE-2 exp:2023-02-30\n', 2, 'exp:YYYY-MM-DD'],
    ['CVE-1\n\nCVE-2 until:2023-01-01\n', 3, 'unexpected'],
    ['# c\n../etc/passwd\n', 2, 'not a vulnerability id'],
    ['CVE-1 exp:\n', 1, 'exp:YYYY-MM-DD'],
  ])('%j fails on line %i', (text, line, message) => {
    expect(() => parseIgnoreFile(text, 'ignore.txt')).toThrow(`ignore.txt:${line}: `);
    expect(() => parseIgnoreFile(text, 'ignore.txt')).toThrow(message);
  });
});

describe('.trivyignore.yaml', () => {
  it('reads every entry with its line, limits, reason and expiry', () => {
    const rules = parseIgnoreFile(fixture('trivyignore.yaml'), 'policy/.trivyignore.yaml');
    expect(rules).toEqual([
      {
        id: 'CVE-2021-23337',
        purls: [],
        packages: [],
        paths: [],
        reason: 'lodash template() is never called with user input',
        expiresAt: new Date('2027-01-01T00:00:00Z'),
        file: 'policy/.trivyignore.yaml',
        line: 3,
      },
      {
        id: 'CVE-2023-0464',
        purls: ['pkg:deb/debian/libssl3'],
        packages: [],
        paths: [],
        reason: 'policy constraints are off in our build',
        file: 'policy/.trivyignore.yaml',
        line: 6,
      },
      {
        id: 'GHSA-35jh-r3h4-6jhm',
        purls: [],
        packages: ['lodash'],
        paths: [],
        file: 'policy/.trivyignore.yaml',
        line: 10,
      },
      {
        id: 'CVE-2019-10744',
        purls: [],
        packages: [],
        paths: ['app/node_modules/lodash/package.json'],
        expiresAt: new Date('2025-06-30T00:00:00Z'),
        file: 'policy/.trivyignore.yaml',
        line: 13,
      },
    ]);
  });

  it.each([
    ['', []],
    ['# only a comment\n', []],
    ['vulnerabilities:\n', []],
    ['vulnerabilities: []\nsecrets: [{id: x}]\n', []],
  ])('%j has no rules', (text, expected) => {
    expect(parseIgnoreFile(text, 'x.yml')).toEqual(expected);
  });

  it.each([
    ['vulnerabilities:\n  - id: CVE-1\n    expires_at: 2024-01-01\n', 2, 'expires_at'],
    ['vulnerabilities:\n  - id: CVE-1\n  - id: CVE-2\n    expired_at: tomorrow\n', 3, 'expired_at'],
    ['vulnerabilities:\n  - purls: [pkg:npm/x]\n', 2, 'id'],
    ['vulnerabilities:\n  - id: CVE-1\n    purls: [lodash]\n', 3, 'not a package URL'],
    ['vulnerabilities:\n  - id: 12345\n', 2, 'id'],
    ['vulnerabilities: {id: CVE-1}\n', 1, 'vulnerabilities'],
    ['vulnerabilites:\n  - id: CVE-1\n', 1, 'vulnerabilites'],
    ['vulnerabilities:\n  - id: CVE-1\n  bad indent\n', 3, 'not YAML'],
    ['- just\n- a list\n', 1, '(root)'],
    ['vulnerabilities:\n  - id: CVE-1\n    id: CVE-2\n', 3, 'not YAML'],
  ])('%j fails naming line %i', (text, line, message) => {
    const run = () => parseIgnoreFile(text, 'ig.yaml');
    expect(run).toThrow(`ig.yaml:${line}: `);
    expect(run).toThrow(message);
  });
});

describe('hostile input', () => {
  it('refuses a file over the size bound before parsing it', () => {
    const huge = `${'CVE-1\n'.repeat(MAX_POLICY_BYTES / 6 + 1)}`;
    expect(() => parseIgnoreFile(huge, '.trivyignore')).toThrow(
      expect.objectContaining({ code: 'VIGIL_POLICY_INVALID' }),
    );
  });

  it('refuses exponential alias expansion ("billion laughs")', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++)
      lines.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(', ')}]`,
      );
    expect(() => parseIgnoreFile(`${lines.join('\n')}\n`, 'bomb.yaml')).toThrow(/bomb\.yaml: .*alias/);
  });

  it('any text either parses or fails with VIGIL_POLICY_INVALID, in both formats', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.constantFrom('.trivyignore', 'i.yaml'),
        (text, file) => {
          try {
            parseIgnoreFile(text, file);
          } catch (err) {
            expect(isVigilError(err, 'VIGIL_POLICY_INVALID'), String(err)).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
