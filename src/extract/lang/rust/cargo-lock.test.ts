import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CargoLockError, manifestPackageName, parseCargoLock, parseDependencyRef } from './cargo-lock.ts';

const brief = (text: string) =>
  parseCargoLock(text).packages.map((p) => [p.name, p.version, p.source, p.dependencies, p.fromRootTable]);

describe('parseCargoLock', () => {
  it('v1 with the [root] table of the oldest lockfiles', () => {
    const text = [
      '[root]',
      'name = "app"',
      'version = "0.1.0"',
      'dependencies = ["libc 0.2.20 (registry+https://github.com/rust-lang/crates.io-index)"]',
      '[[package]]',
      'name = "libc"',
      'version = "0.2.20"',
      'source = "registry+https://github.com/rust-lang/crates.io-index"',
      '[metadata]',
      '"checksum libc 0.2.20 (registry+https://github.com/rust-lang/crates.io-index)" = "abc"',
    ].join('\n');
    expect(brief(text)).toEqual([
      ['app', '0.1.0', undefined, ['libc 0.2.20 (registry+https://github.com/rust-lang/crates.io-index)'], true],
      ['libc', '0.2.20', 'registry+https://github.com/rust-lang/crates.io-index', [], false],
    ]);
  });

  it.each([
    [3, 'version = 3\n[[package]]\nname = "a"\nversion = "1.0.0"\n'],
    [4, 'version = 4\n[[package]]\nname = "a"\nversion = "1.0.0"\n'],
    [undefined, '[[package]]\nname = "a"\nversion = "1.0.0"\n'],
  ])('lockfile version %s', (version, text) => {
    const lock = parseCargoLock(text);
    expect(lock.version).toBe(version);
    expect(lock.packages.map((p) => p.name)).toEqual(['a']);
  });

  it('entries without name or version are problems; the rest are read', () => {
    const lock = parseCargoLock(
      [
        '[[package]]',
        'name = "a"',
        '[[package]]',
        'version = "1.0.0"',
        '[[package]]',
        'name = "c"',
        'version = "2.0.0"',
        '[[package]]',
        'name = "d"',
        'version = 5',
      ].join('\n'),
    );
    expect(lock.packages.map((p) => p.name)).toEqual(['c']);
    expect(lock.problems).toEqual([
      '[[package]] #1: no usable name and version',
      '[[package]] #2: no usable name and version',
      '[[package]] #4: no usable name and version',
    ]);
  });

  it.each([
    ['not TOML', 'name = \n', /^not valid TOML: /],
    ['package is not an array of tables', 'package = "x"\n', /wrong type/],
    ['version is a string', 'version = "3"\n', /wrong type/],
  ])('%s: CargoLockError', (_, text, message) => {
    expect(() => parseCargoLock(text)).toThrow(CargoLockError);
    expect(() => parseCargoLock(text)).toThrow(message);
  });

  it('an empty file is an empty lockfile', () => {
    expect(parseCargoLock('')).toEqual({ packages: [], problems: [] });
  });

  it('never throws anything but CargoLockError', () => {
    const piece = fc.constantFrom(
      '[[package]]\n',
      'name = "a"\n',
      'version = "1"\n',
      'dependencies = ["a 1"]\n',
      '[root]\n',
      'version = 3\n',
      '[metadata]\n',
      '"x" = [[',
      '{}',
      '\n',
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(piece, fc.string({ maxLength: 20 })), { maxLength: 30 }), (pieces) => {
        try {
          parseCargoLock(pieces.join(''));
        } catch (err) {
          expect(err).toBeInstanceOf(CargoLockError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('pieces', () => {
  it.each([
    ['serde', { name: 'serde' }],
    ['memchr 2.5.0', { name: 'memchr', version: '2.5.0' }],
    ['libc 0.2.54 (registry+https://github.com/rust-lang/crates.io-index)', { name: 'libc', version: '0.2.54' }],
  ])('parseDependencyRef(%j)', (ref, want) => {
    expect(parseDependencyRef(ref)).toEqual(want);
  });

  it.each([
    ['[package]\nname = "server"\nversion = "0.1.0"\n', 'server'],
    ['[workspace]\nmembers = ["a"]\n', undefined],
    ['[package\n', undefined],
  ])('manifestPackageName #%#', (text, want) => {
    expect(manifestPackageName(text)).toBe(want);
  });
});
