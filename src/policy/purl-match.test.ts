import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { purlMatches } from './purl-match.ts';

describe('purlMatches(pattern, target)', () => {
  it.each([
    // OpenVEX: a purl without version covers every version
    ['pkg:npm/lodash', 'pkg:npm/lodash@4.17.20', true],
    ['pkg:npm/lodash@4.17.20', 'pkg:npm/lodash@4.17.20', true],
    ['pkg:npm/lodash@4.17.21', 'pkg:npm/lodash@4.17.20', false],
    ['pkg:npm/lodash', 'pkg:npm/lodash-es@4.17.20', false],
    ['pkg:npm/lodash', 'pkg:pypi/lodash@1', false],
    // namespaces must agree
    ['pkg:npm/%40babel/core', 'pkg:npm/%40babel/core@7.0.0', true],
    ['pkg:npm/core', 'pkg:npm/%40babel/core@7.0.0', false],
    ['pkg:deb/debian/openssl', 'pkg:deb/ubuntu/openssl@3.0.2', false],
    // qualifiers of the pattern are a subset of the target's
    ['pkg:deb/debian/libssl3?arch=amd64', 'pkg:deb/debian/libssl3@3.0.13?arch=amd64&distro=debian-12', true],
    ['pkg:deb/debian/libssl3?arch=arm64', 'pkg:deb/debian/libssl3@3.0.13?arch=amd64&distro=debian-12', false],
    ['pkg:deb/debian/libssl3?distro=debian-12', 'pkg:deb/debian/libssl3@3.0.13', false],
    ['pkg:deb/debian/libssl3', 'pkg:deb/debian/libssl3@3.0.13?arch=amd64', true],
    // per-type normalisation from the purl spec: npm and pypi names are case-insensitive
    ['pkg:npm/Lodash', 'pkg:npm/lodash@1', true],
    ['pkg:pypi/Django_Rest', 'pkg:pypi/django-rest@3', true],
    ['pkg:maven/org.Apache/Log4j', 'pkg:maven/org.apache/log4j@2', false],
    // one module path, however the namespace/name split is encoded (core/purl.ts encodes Go paths)
    ['pkg:golang/github.com/a/b', 'pkg:golang/github.com%2Fa%2Fb@v1.2.3', true],
    ['pkg:golang/github.com%2Fa%2Fb@v1.2.3', 'pkg:golang/github.com/a/b@v1.2.3', true],
    ['pkg:golang/github.com/a/c', 'pkg:golang/github.com%2Fa%2Fb@v1.2.3', false],
    ['pkg:npm/%40babel%2Fcore', 'pkg:npm/%40babel/core@7.0.0', true],
    // subpaths
    ['pkg:golang/github.com/a/b#sub', 'pkg:golang/github.com/a/b@v1.0.0#sub', true],
    ['pkg:golang/github.com/a/b#sub', 'pkg:golang/github.com/a/b@v1.0.0#other', false],
    ['pkg:golang/github.com/a/b', 'pkg:golang/github.com/a/b@v1.0.0#other', true],
    // oci digests compare case-insensitively
    ['pkg:oci/app@sha256%3AABCDEF', 'pkg:oci/app@sha256%3Aabcdef?tag=1', true],
    // text that is no purl matches only itself
    ['not a purl', 'not a purl', true],
    ['', '', false],
    ['pkg:', 'pkg:npm/x@1', false],
  ])('%s covers %s: %s', (pattern, target, expected) => {
    expect(purlMatches(pattern, target)).toBe(expected);
  });
});

const segment = fc.stringMatching(/^[a-z][a-z0-9.-]{0,8}$/);
const generatedPurl = fc.record({
  type: fc.constantFrom('npm', 'deb', 'generic'),
  namespace: fc.option(segment, { nil: undefined }),
  name: segment,
  version: fc.option(fc.stringMatching(/^[0-9][0-9a-z.+~-]{0,8}$/), { nil: undefined }),
  arch: fc.option(fc.constantFrom('amd64', 'arm64'), { nil: undefined }),
});
type Parts = {
  type: string;
  namespace?: string | undefined;
  name: string;
  version?: string | undefined;
  arch?: string | undefined;
};
const text = ({ type, namespace, name, version, arch }: Parts) =>
  `pkg:${type}/${namespace ? `${namespace}/` : ''}${name}${version ? `@${encodeURIComponent(version)}` : ''}${arch ? `?arch=${arch}` : ''}`;

describe('purlMatches properties', () => {
  it('a purl covers itself, and its versionless, qualifier-less form covers it', () => {
    fc.assert(
      fc.property(generatedPurl, (p) => {
        expect(purlMatches(text(p), text(p))).toBe(true);
        expect(purlMatches(text({ ...p, version: undefined, arch: undefined }), text(p))).toBe(true);
      }),
    );
  });

  it('a pattern with a different name never covers', () => {
    fc.assert(
      fc.property(generatedPurl, segment, (p, other) => {
        fc.pre(other !== p.name);
        expect(purlMatches(text({ ...p, name: other }), text(p))).toBe(false);
      }),
    );
  });

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ maxLength: 40 }), (a, b) => {
        expect(typeof purlMatches(`pkg:${a}`, b)).toBe('boolean');
      }),
    );
  });
});
