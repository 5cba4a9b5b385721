import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseLockYaml } from './lock-yaml.ts';

const testdata = join(dirname(fileURLToPath(import.meta.url)), 'testdata');

/** The yaml library's reading, numbers as the strings they were written as (we keep "1.0" as "1.0"). */
function reference(text: string): unknown {
  const documents = parseAllDocuments(text, { uniqueKeys: false });
  const list = Array.isArray(documents) ? documents : [documents];
  if (list.some((doc) => doc.errors.length > 0)) throw new Error('not YAML');
  const all = list.map((doc) => doc.toJS());
  return normalise(all.filter((doc) => doc !== null && doc !== undefined));
}

function normalise(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_key, v) => (typeof v === 'number' ? String(v) : v)));
}

async function lockfiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !['pnpm-lock.yaml', 'yarn.lock'].includes(entry.name)) continue;
    const path = join(entry.parentPath, entry.name);
    const text = await readFile(path, 'utf8');
    // yarn 1 files are not YAML; the corrupt fixture is no YAML at all
    if (entry.name === 'yarn.lock' && !text.includes('__metadata:')) continue;
    if (path.includes('corrupt')) continue;
    out.push(path.slice(testdata.length + 1));
  }
  return out.sort();
}

describe('parseLockYaml', () => {
  it('reads every pnpm and yarn berry fixture exactly as the yaml library does', async () => {
    const files = await lockfiles(testdata);
    expect(files.length).toBeGreaterThanOrEqual(20);
    for (const file of files) {
      const text = await readFile(join(testdata, file), 'utf8');
      const mine = parseLockYaml(text);
      expect(mine, file).toBeDefined();
      expect(normalise(mine), file).toEqual(reference(text));
    }
  });

  it.each([
    ['an anchor', 'a: &x 1\nb: *x\n'],
    ['a block scalar', 'a: |\n  text\n'],
    ['a tag', 'a: !!str 1\n'],
    ['a tab in the indentation', 'a:\n\tb: 1\n'],
    ['a multi-line plain scalar', 'a: one\n  two\n'],
    ['a mapping inside a sequence', 'a:\n  - b: 1\n'],
    ['a bad escape', 'a: "\\x41"\n'],
    ['an unterminated quote', "a: 'open\n"],
    ['inconsistent indentation', 'a:\n    b: 1\n  c: 2\n'],
  ])('leaves %s to the full parser', (_, text) => {
    expect(parseLockYaml(text)).toBeUndefined();
  });

  it.each([
    ['quoted keys and doubled quotes', "'@a/b@1.0.0':\n  name: 'it''s'\n", { '@a/b@1.0.0': { name: "it's" } }],
    [
      'flow mappings and sequences',
      'a: {integrity: sha512-x, n: {m: [1, two]}}\nb: []\nc: {}\n',
      { a: { integrity: 'sha512-x', n: { m: ['1', 'two'] } }, b: [], c: {} },
    ],
    ["a sequence at its key's indent", 'a:\n- x\n- y\nb: 1\n', { a: ['x', 'y'], b: '1' }],
    ['an empty value', 'a:\nb: 2\n', { a: null, b: '2' }],
    ['booleans', 'dev: true\noptional: false\n', { dev: true, optional: false }],
    ['CRLF line endings', 'a:\r\n  b: c\r\n', { a: { b: 'c' } }],
  ])('%s', (_, text, want) => {
    expect(normalise(parseLockYaml(text))).toEqual([want]);
  });

  it('a "__proto__" key is data, not a prototype', () => {
    const [doc] = parseLockYaml('__proto__:\n  polluted: yes\n')!;
    expect(Object.keys(doc!)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('property: on generated lockfile-shaped YAML it agrees with the yaml library or steps aside', () => {
    const key = fc.oneof(
      fc.stringMatching(/^[a-z@/][a-z0-9@/._()-]{0,12}$/),
      fc.string({ maxLength: 8 }).map((s) => `'${s.replaceAll("'", "''")}'`),
    );
    // no number-like scalars: the library reads "1.10" as 1.1, where lockfile versions must stay text
    const scalar = fc.oneof(
      fc.stringMatching(/^[a-z^~][a-z0-9^~.-]{0,9}$/),
      fc.constantFrom('true', 'false', '{}', '[]', '{a: b}'),
    );
    const node: fc.Memo<string[]> = fc.memo((depth) =>
      fc
        .array(
          fc
            .tuple(key, depth > 1 ? fc.oneof(scalar, node(depth - 1)) : scalar)
            .map(([k, v]) => (typeof v === 'string' ? [`${k}: ${v}`] : [`${k}:`, ...v.map((line) => `  ${line}`)])),
          { minLength: 1, maxLength: 4 },
        )
        .map((entries) => entries.flat()),
    );
    fc.assert(
      fc.property(node(3), (lines) => {
        const text = `${lines.join('\n')}\n`;
        const mine = parseLockYaml(text);
        let theirs: unknown;
        try {
          theirs = reference(text);
        } catch {
          return;
        }
        if (mine !== undefined) expect(normalise(mine)).toEqual(theirs);
      }),
      { numRuns: 300 },
    );
  });
});
