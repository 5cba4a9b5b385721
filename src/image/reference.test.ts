import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isVigilError, VigilError } from '../core/errors.ts';
import { formatImageRef, parseImageRef, parsePlatform } from './reference.ts';

const D = `sha256:${'a'.repeat(64)}`;
const D512 = `sha512:${'0123456789abcdef'.repeat(8)}`;

describe('parseImageRef: registry references', () => {
  it.each([
    ['alpine', 'registry-1.docker.io', 'library/alpine', 'latest', undefined],
    ['alpine:3.19', 'registry-1.docker.io', 'library/alpine', '3.19', undefined],
    ['docker.io/library/debian:12', 'registry-1.docker.io', 'library/debian', '12', undefined],
    ['index.docker.io/debian', 'registry-1.docker.io', 'library/debian', 'latest', undefined],
    ['docker.io/debian:12', 'registry-1.docker.io', 'library/debian', '12', undefined],
    ['bitnami/redis:7.2', 'registry-1.docker.io', 'bitnami/redis', '7.2', undefined],
    [`ghcr.io/org/app@${D}`, 'ghcr.io', 'org/app', undefined, D],
    [`name:tag@${D}`, 'registry-1.docker.io', 'library/name', 'tag', D],
    [`quay.io/a/b@${D512}`, 'quay.io', 'a/b', undefined, D512],
    [
      '123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:1.4',
      '123456789012.dkr.ecr.us-east-1.amazonaws.com',
      'team/app',
      '1.4',
      undefined,
    ],
    ['localhost:5000/x/y:tag', 'localhost:5000', 'x/y', 'tag', undefined],
    ['localhost/x', 'localhost', 'x', 'latest', undefined],
    ['[::1]:5000/x', '[::1]:5000', 'x', 'latest', undefined],
    ['[2001:db8::1]/a/b:c', '[2001:db8::1]', 'a/b', 'c', undefined],
    ['127.0.0.1:5000/a_b/c__d/e-f/g--h.i:T_a.g-1', '127.0.0.1:5000', 'a_b/c__d/e-f/g--h.i', 'T_a.g-1', undefined],
    ['Registry/foo', 'Registry', 'foo', 'latest', undefined],
    ['registry:alpine:3.19', 'registry-1.docker.io', 'library/alpine', '3.19', undefined],
    ['docker://ghcr.io/a/b:1', 'ghcr.io', 'a/b', '1', undefined],
    [`x:${'t'.repeat(128)}`, 'registry-1.docker.io', 'library/x', 't'.repeat(128), undefined],
  ])('%s', (input, registry, repository, tag, digest) => {
    const ref = parseImageRef(input);
    expect(ref).toEqual({
      transport: 'registry',
      original: input,
      registry,
      repository,
      ...(tag === undefined ? {} : { tag }),
      ...(digest === undefined ? {} : { digest }),
    });
  });

  it.each([
    ['', 'empty'],
    ['Alpine', 'lower-case'],
    ['docker.io/Library/debian', 'lower-case'],
    ['alpine:', 'tag'],
    ['alpine:-x', 'tag'],
    [`alpine:${'t'.repeat(129)}`, 'tag'],
    ['alpine@sha256:abc', '64'],
    [`alpine@sha256:${'A'.repeat(64)}`, 'lower-case hex'],
    [`alpine@md5:${'a'.repeat(32)}`, 'not supported'],
    ['alpine@', 'ALGORITHM:HEX'],
    ['a//b', 'empty component'],
    ['a/b/', 'empty component'],
    ['ghcr.io/', 'repository path is empty'],
    ['-a', 'invalid'],
    ['a-', 'invalid'],
    ['a..b', 'invalid'],
    ['a___b', 'invalid'],
    ['local host/x', 'white space'],
    ['host:99999/x', 'port'],
    ['ho_st.io/x', 'host name'],
    ['[::1/x', 'unclosed'],
    ['[zz]:5000/x', 'IPv6'],
    ['https://ghcr.io/a/b', 'URLs'],
    [`a/${'b'.repeat(260)}`, 'longer than 255'],
    ['docker-archive:', 'needs a path'],
    ['oci:', 'needs a path'],
    ['oci:dir:bad ref', 'ref.name'],
  ])('rejects %j (%s)', (input, reason) => {
    expect.assertions(3);
    try {
      parseImageRef(input);
    } catch (err) {
      expect(isVigilError(err, 'VIGIL_IMAGE_REF_INVALID')).toBe(true);
      expect((err as Error).message).toContain(reason);
      expect((err as VigilError).context.reference).toBeDefined();
    }
  });
});

describe('parseImageRef: file transports', () => {
  it.each([
    ['docker-archive:/tmp/img.tar', { transport: 'docker-archive', path: '/tmp/img.tar' }],
    ['docker-archive:rel/x:y.tar', { transport: 'docker-archive', path: 'rel/x:y.tar' }],
    ['oci-archive:/tmp/img.tar', { transport: 'oci-archive', path: '/tmp/img.tar' }],
    ['oci-archive:/tmp/img.tar:v1', { transport: 'oci-archive', path: '/tmp/img.tar', pathRef: 'v1' }],
    ['oci:./layout', { transport: 'oci', path: './layout' }],
    ['oci:/l:example.com/app:1.0', { transport: 'oci', path: '/l', pathRef: 'example.com/app:1.0' }],
    ['dir:/srv/rootfs', { transport: 'dir', path: '/srv/rootfs' }],
  ])('%s', (input, expected) => {
    expect(parseImageRef(input)).toEqual({ original: input, ...expected });
  });
});

describe('formatImageRef', () => {
  it.each([
    ['alpine:3.19', {}, 'docker.io/library/alpine:3.19'],
    ['alpine:3.19', { familiar: true }, 'alpine:3.19'],
    ['bitnami/redis', { familiar: true }, 'bitnami/redis:latest'],
    [`ghcr.io/a/b:1@${D}`, {}, `ghcr.io/a/b:1@${D}`],
    ['oci:/l:v1', {}, 'oci:/l:v1'],
  ])('%s %j', (input, options, expected) => {
    const text = formatImageRef(parseImageRef(input), options);
    expect(text).toBe(expected);
    const { original: _a, ...reparsed } = parseImageRef(text);
    const { original: _b, ...parsed } = parseImageRef(input);
    expect(reparsed).toEqual(parsed);
  });
});

describe('parsePlatform', () => {
  it.each([
    ['linux/amd64', { os: 'linux', architecture: 'amd64' }],
    ['linux/arm64/v8', { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    ['linux/arm/v7', { os: 'linux', architecture: 'arm', variant: 'v7' }],
    ['linux/x86_64', { os: 'linux', architecture: 'amd64' }],
    ['linux/aarch64', { os: 'linux', architecture: 'arm64' }],
    ['linux/armhf', { os: 'linux', architecture: 'arm', variant: 'v7' }],
    ['Linux/AMD64', { os: 'linux', architecture: 'amd64' }],
    ['windows/amd64', { os: 'windows', architecture: 'amd64' }],
  ])('%s', (input, expected) => {
    expect(parsePlatform(input)).toEqual(expected);
  });

  it.each(['', 'linux', 'linux/', '/amd64', 'linux/amd64/v8/x', 'linux/am d64', 'linux//v7'])('rejects %j', (input) => {
    expect(() => parsePlatform(input)).toThrow(
      expect.objectContaining({ code: 'VIGIL_PLATFORM_INVALID' }) as unknown as Error,
    );
  });
});

describe('properties', () => {
  const onlyVigilErrors = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      if (!(err instanceof VigilError)) throw err;
    }
  };
  const alphabet = fc.constantFrom(...'aZ09:/@.-_[]% \t\u00e9'.split(''), `sha256:${'b'.repeat(64)}`, 'docker.io/');

  it('parseImageRef never throws anything but VigilError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(alphabet).map((parts) => parts.join('')),
        ),
        (input) => {
          onlyVigilErrors(() => parseImageRef(input));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('parsePlatform never throws anything but VigilError', () => {
    fc.assert(
      fc.property(fc.string(), (input) => {
        onlyVigilErrors(() => parsePlatform(input));
      }),
    );
  });

  it('formatting a parsed registry reference parses back to the same reference', () => {
    const component = fc.stringMatching(/^[a-z0-9]+(?:[._-][a-z0-9]+)?$/);
    const host = fc.constantFrom('ghcr.io', 'localhost:5000', 'docker.io', '[::1]:5000', '10.0.0.1');
    const tag = fc.stringMatching(/^\w[\w.-]{0,20}$/);
    fc.assert(
      fc.property(fc.option(host), fc.array(component, { minLength: 1, maxLength: 3 }), tag, (h, path, t) => {
        const input = `${h === null ? '' : `${h}/`}${path.join('/')}:${t}`;
        const ref = parseImageRef(input);
        const again = parseImageRef(formatImageRef(ref));
        expect({ ...again, original: '' }).toEqual({ ...ref, original: '' });
      }),
    );
  });
});
