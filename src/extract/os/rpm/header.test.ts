import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HEADER_TAGS_MAX, RpmHeader, RpmType } from './header.ts';
import { RpmTag, readInstalledPackage } from './installed-package.ts';
import { headerBlob, int32s, str, strs } from './testing.ts';

const nevra = [
  str(RpmTag.NAME, 'openssl'),
  str(RpmTag.VERSION, '3.0.7'),
  str(RpmTag.RELEASE, '24.el9'),
  int32s(RpmTag.EPOCH, [1]),
  str(RpmTag.ARCH, 'x86_64'),
];

function parsed(blob: Buffer): RpmHeader {
  const result = RpmHeader.parse(blob);
  if ('problem' in result) throw new Error(result.problem);
  return result.header;
}

describe('RpmHeader.parse', () => {
  it('reads STRING, STRING_ARRAY, INT32 and I18NSTRING entries', () => {
    const header = parsed(
      headerBlob([
        ...nevra,
        strs(RpmTag.DIRNAMES, ['/usr/bin/', '/etc/']),
        { tag: RpmTag.LICENSE, type: RpmType.I18NSTRING, data: Buffer.from('OpenSSL\0Autre\0'), count: 2 },
      ]),
    );
    expect(header.string(RpmTag.NAME)).toBe('openssl');
    expect(header.integer(RpmTag.EPOCH)).toBe(1);
    expect(header.stringArray(RpmTag.DIRNAMES)).toEqual(['/usr/bin/', '/etc/']);
    expect(header.string(RpmTag.LICENSE)).toBe('OpenSSL');
    expect(header.problems).toEqual([]);
  });

  it.each([
    ['too short', Buffer.alloc(4), /too short/],
    ['zero entries', Buffer.from([0, 0, 0, 0, 0, 0, 0, 0]), /index count 0/],
    ['entry count in the billions', Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]), /index count/],
    ['data length beyond HEADER_DATA_MAX', Buffer.from([0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff]), /data length/],
    ['index that runs past the blob', Buffer.from([0, 0, 0, 2, 0, 0, 0, 0]), /needs 40 bytes/],
  ])('rejects a header with %s', (_name, blob, message) => {
    const result = RpmHeader.parse(blob);
    expect('problem' in result && result.problem).toMatch(message);
  });

  it.each([
    ['an offset outside the data store', { offset: 4096 }, /outside/],
    ['a negative offset', { offset: -8 }, /outside/],
    ['a count in the billions', { count: 0xfffffff0 }, /count/],
    ['an unknown type', { type: 42 }, /type 42/],
    ['a STRING with count 2', { type: RpmType.STRING, count: 2 }, /not 1/],
  ])('drops an entry with %s and keeps the rest', (_name, patch, message) => {
    const blob = headerBlob([...nevra, str(RpmTag.VENDOR, 'Red Hat')]);
    const vendorIndex = 8 + nevra.length * 16;
    if ('offset' in patch) blob.writeInt32BE(patch.offset as number, vendorIndex + 8);
    if ('count' in patch) blob.writeUInt32BE(patch.count as number, vendorIndex + 12);
    if ('type' in patch) blob.writeUInt32BE(patch.type as number, vendorIndex + 4);
    const header = parsed(blob);
    expect(header.has(RpmTag.VENDOR)).toBe(false);
    expect(header.string(RpmTag.NAME)).toBe('openssl');
    expect(header.problems.join()).toMatch(message);
  });

  it('drops a string that is not NUL-terminated inside the data store', () => {
    const blob = headerBlob([
      ...nevra,
      { tag: RpmTag.VENDOR, type: RpmType.STRING, data: Buffer.from('abc'), count: 1 },
    ]);
    const header = parsed(blob);
    expect(header.has(RpmTag.VENDOR)).toBe(false);
    expect(header.problems.join()).toMatch(/NUL/);
  });

  it('drops a misaligned INT32 array', () => {
    const blob = headerBlob([...nevra, int32s(RpmTag.DIRINDEXES, [0, 1])]);
    const last = 8 + nevra.length * 16;
    blob.writeInt32BE(blob.readInt32BE(last + 8) + 1, last + 8);
    expect(parsed(blob).has(RpmTag.DIRINDEXES)).toBe(false);
  });

  it('never throws and never reads outside the blob, whatever the bytes (fast-check)', () => {
    const valid = headerBlob([...nevra, strs(RpmTag.BASENAMES, ['a', 'b']), int32s(RpmTag.DIRINDEXES, [0, 0])]);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 24 }),
        (flips) => {
          const blob = Buffer.from(valid);
          for (const [at, value] of flips) blob[at] = value;
          const result = RpmHeader.parse(blob);
          if ('problem' in result) return;
          readInstalledPackage(result.header);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('bounds the index count by rpm HEADER_TAGS_MAX', () => {
    const blob = Buffer.alloc(8);
    blob.writeUInt32BE(HEADER_TAGS_MAX + 1, 0);
    expect(RpmHeader.parse(blob)).toEqual({ problem: `header index count ${HEADER_TAGS_MAX + 1} is out of range` });
  });
});

describe('readInstalledPackage', () => {
  it('joins DIRNAMES[DIRINDEXES[i]] and BASENAMES[i] without the leading "/"', () => {
    const header = parsed(
      headerBlob([
        ...nevra,
        strs(RpmTag.BASENAMES, ['openssl', 'openssl.cnf']),
        int32s(RpmTag.DIRINDEXES, [0, 1]),
        strs(RpmTag.DIRNAMES, ['/usr/bin/', '/etc/pki/tls/']),
      ]),
    );
    const read = readInstalledPackage(header);
    expect('installed' in read && read.installed.files).toEqual(['usr/bin/openssl', 'etc/pki/tls/openssl.cnf']);
  });

  it('falls back to OLDFILENAMES for headers older than CompressedFileNames', () => {
    const read = readInstalledPackage(parsed(headerBlob([...nevra, strs(RpmTag.OLDFILENAMES, ['/bin/sh'])])));
    expect('installed' in read && read.installed.files).toEqual(['bin/sh']);
  });

  it.each([
    ['a DIRINDEXES entry past DIRNAMES', [0, 5], /points past/],
    ['fewer DIRINDEXES than BASENAMES', [0], /DIRINDEXES/],
  ])('drops the file list on %s and keeps the package', (_name, indexes, message) => {
    const header = parsed(
      headerBlob([
        ...nevra,
        strs(RpmTag.BASENAMES, ['a', 'b']),
        int32s(RpmTag.DIRINDEXES, indexes),
        strs(RpmTag.DIRNAMES, ['/x/']),
      ]),
    );
    const read = readInstalledPackage(header);
    if (!('installed' in read)) throw new Error(read.problem);
    expect(read.installed.files).toEqual([]);
    expect(read.problems.join()).toMatch(message);
  });

  it('refuses a header without NAME', () => {
    expect(readInstalledPackage(parsed(headerBlob([str(RpmTag.VERSION, '1')])))).toEqual({
      problem: 'header lacks NAME, VERSION or RELEASE',
    });
  });
});
