import { describe, expect, it } from 'vitest';
import { needsGoSum, parseGoMod, parseGoSum } from './gomod.ts';

describe('parseGoMod', () => {
  it('directives, blocks, comments, quotes and the // indirect marker', () => {
    const mod = parseGoMod(
      [
        'module "example.com/m" // the module',
        'go 1.22.1',
        'require (',
        '\tgithub.com/a/b v1.0.0',
        '\tgithub.com/c/d v2.0.0+incompatible // indirect',
        '\tgithub.com/e/f v0.1.0 // indirectly',
        ')',
        'require github.com/g/h v1.2.3 // indirect',
        'replace (',
        '\tgithub.com/a/b v1.0.0 => github.com/a/b-fork v1.0.1',
        '\tgithub.com/g/h => ./vendor-h',
        ')',
        'exclude github.com/a/b v0.9.0',
      ].join('\r\n'),
    );
    expect(mod).toEqual({
      module: 'example.com/m',
      goDirective: '1.22.1',
      requires: [
        { path: 'github.com/a/b', version: 'v1.0.0', indirect: false },
        { path: 'github.com/c/d', version: 'v2.0.0+incompatible', indirect: true },
        { path: 'github.com/e/f', version: 'v0.1.0', indirect: false },
        { path: 'github.com/g/h', version: 'v1.2.3', indirect: true },
      ],
      replaces: [
        { oldPath: 'github.com/a/b', oldVersion: 'v1.0.0', newPath: 'github.com/a/b-fork', newVersion: 'v1.0.1' },
        { oldPath: 'github.com/g/h', newPath: './vendor-h' },
      ],
      malformedLines: [],
    });
  });

  it.each([
    ['require github.com/a/b', [1]],
    ['require (\n  github.com/a/b v1 extra\n)', [2]],
    ['replace github.com/a/b v1.0.0', [1]],
    ['replace => github.com/x v1.0.0', [1]],
    ['replace a => b c d', [1]],
    ['module m\ngo 1.21\n', []],
  ])('malformed lines of %j: %j', (text, want) => {
    expect(parseGoMod(text).malformedLines).toEqual(want);
  });
});

describe('parseGoSum', () => {
  it('the highest version of each module, "/go.mod" lines included', () => {
    const sums = parseGoSum(
      [
        'golang.org/x/sys v0.0.0-20190412213103-97732733099d/go.mod h1:a=',
        'golang.org/x/sys v0.10.0 h1:b=',
        'golang.org/x/sys v0.9.0/go.mod h1:c=',
        'github.com/pkg/errors v0.9.1 h1:d=',
        'garbage',
        '',
      ].join('\n'),
    );
    expect([...sums]).toEqual([
      ['golang.org/x/sys', 'v0.10.0'],
      ['github.com/pkg/errors', 'v0.9.1'],
    ]);
  });
});

describe('needsGoSum', () => {
  it.each([
    [undefined, true],
    ['1.16', true],
    ['1.11', true],
    ['1.17', false],
    ['1.21.3', false],
    ['2.0', false],
  ])('go %s → %s', (directive, want) => {
    expect(needsGoSum(directive)).toBe(want);
  });
});
