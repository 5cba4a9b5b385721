import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseWwwAuthenticate, preferredChallenge } from './challenge.ts';

describe('parseWwwAuthenticate', () => {
  it.each([
    [
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"',
      [
        {
          scheme: 'bearer',
          params: {
            realm: 'https://auth.docker.io/token',
            service: 'registry.docker.io',
            scope: 'repository:library/alpine:pull',
          },
        },
      ],
    ],
    ['Basic realm="Registry Realm"', [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]],
    ['basic REALM=unquoted', [{ scheme: 'basic', params: { realm: 'unquoted' } }]],
    [
      'Bearer  realm = "https://x/t" , scope="repository:a/b:pull,push"',
      [{ scheme: 'bearer', params: { realm: 'https://x/t', scope: 'repository:a/b:pull,push' } }],
    ],
    ['Bearer realm="a\\"b\\\\c"', [{ scheme: 'bearer', params: { realm: 'a"b\\c' } }]],
    ['Bearer realm="unterminated', [{ scheme: 'bearer', params: { realm: 'unterminated' } }]],
    [
      'Negotiate abc==, Basic realm="r", Bearer realm="https://t",service=s',
      [
        { scheme: 'negotiate', params: {} },
        { scheme: 'basic', params: { realm: 'r' } },
        { scheme: 'bearer', params: { realm: 'https://t', service: 's' } },
      ],
    ],
    ['', []],
    ['realm="orphan"', []],
    ['  ,, ;;; ', []],
  ])('%s', (header, expected) => {
    expect(parseWwwAuthenticate(header)).toEqual(expected);
  });

  it('prefers Bearer over Basic', () => {
    expect(preferredChallenge(parseWwwAuthenticate('Basic realm="r", Bearer realm="t"'))?.scheme).toBe('bearer');
    expect(preferredChallenge(parseWwwAuthenticate('Negotiate x'))).toBeUndefined();
  });

  it('never throws and stays linear on arbitrary and huge headers', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (header) => {
        expect(Array.isArray(parseWwwAuthenticate(header))).toBe(true);
      }),
      { numRuns: 2000 },
    );
    expect(parseWwwAuthenticate(`Bearer realm="${'x'.repeat(1_000_000)}`)[0]?.params.realm).toHaveLength(
      16 * 1024 - 14,
    );
  });
});
