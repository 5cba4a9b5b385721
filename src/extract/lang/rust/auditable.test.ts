import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExecutableFormatError } from '../go/executable.ts';
import { bufferAccess } from '../go/file-access.ts';
import { buildElf, buildMacho, buildPe } from '../go/fixture-builder.ts';
import { AuditDataError, decodeAuditData, MAX_JSON_BYTES, readAuditData } from './auditable.ts';

const json = (value: unknown) => deflateSync(Buffer.from(JSON.stringify(value)));
const audit = {
  packages: [
    { name: 'app', version: '0.1.0', source: 'local', dependencies: [1], root: true },
    { name: 'libc', version: '0.2.150', source: 'crates.io' },
  ],
};

describe('decodeAuditData', () => {
  it('the schema: optional kind, dependencies, root, format; the "Other" source form', () => {
    const data = decodeAuditData(
      json({
        format: 8,
        packages: [
          ...audit.packages,
          { name: 'x', version: '1.0.0', source: { Other: 'sparse+https://r' }, kind: 'build' },
        ],
      }),
    );
    expect(data).toEqual({
      format: 8,
      packages: [...audit.packages, { name: 'x', version: '1.0.0', source: 'sparse+https://r', kind: 'build' }],
    });
  });

  it.each([
    ['not zlib', Buffer.from('plain text'), /is not zlib data/],
    [
      'a zlib bomb past 8 MiB',
      deflateSync(Buffer.alloc(MAX_JSON_BYTES + 1, 0x20)),
      /inflates to more than 8388608 bytes/,
    ],
    ['not UTF-8', deflateSync(Buffer.from([0x7b, 0xff, 0x7d])), /is not UTF-8 JSON/],
    ['not JSON', deflateSync(Buffer.from('{"packages": [')), /is not UTF-8 JSON/],
    ['no packages', json({ format: 1 }), /does not match the cargo-auditable schema at packages/],
    ['a package without version', json({ packages: [{ name: 'a', source: 'crates.io' }] }), /at packages.0.version/],
    [
      'an unknown kind',
      json({ packages: [{ name: 'a', version: '1', source: 'crates.io', kind: 'dev' }] }),
      /at packages.0.kind/,
    ],
  ])('%s: AuditDataError', (_, compressed, message) => {
    expect(() => decodeAuditData(compressed)).toThrow(AuditDataError);
    expect(() => decodeAuditData(compressed)).toThrow(message);
  });
});

describe('readAuditData', () => {
  it.each([
    [
      'ELF64 LE, section not loaded (as objcopy --add-section makes it)',
      buildElf({ bits: 64, endian: 'le', sections: [{ name: '.dep-v0', data: json(audit), loaded: false }] }),
    ],
    ['ELF32 BE', buildElf({ bits: 32, endian: 'be', sections: [{ name: '.dep-v0', data: json(audit) }] })],
    ['PE', buildPe('.dep-v0', json(audit))],
    ['Mach-O, in __DATA', buildMacho('.dep-v0', () => json(audit))],
  ])('%s', async (_, bytes) => {
    const got = await readAuditData(bufferAccess(bytes));
    expect(got).toEqual({ kind: 'audit', data: audit });
  });

  it.each([
    ['a script', Buffer.from('#!/bin/sh\n'), 'not-executable'],
    [
      'an ELF without .dep-v0',
      buildElf({ bits: 64, endian: 'le', sections: [{ name: '.data', data: json(audit) }] }),
      'none',
    ],
  ])('%s → %s', async (_, bytes, kind) => {
    expect(await readAuditData(bufferAccess(bytes))).toEqual({ kind });
  });

  it.each([
    ['empty', Buffer.alloc(0), /is empty/],
    ['garbage', Buffer.from('garbage'), /is not zlib data/],
  ])('a %s .dep-v0: AuditDataError', async (_, data, message) => {
    const bytes = buildElf({ bits: 64, endian: 'le', sections: [{ name: '.dep-v0', data, loaded: false }] });
    await expect(readAuditData(bufferAccess(bytes))).rejects.toThrow(message);
  });

  it('a .dep-v0 with bytes overwritten inside the stream: AuditDataError', async () => {
    const big = deflateSync(Buffer.from(JSON.stringify(audit)), { level: 0 });
    const bytes = buildElf({ bits: 64, endian: 'le', sections: [{ name: '.dep-v0', data: big, loaded: false }] });
    const at = bytes.indexOf(big);
    bytes.fill(0, at + 4, at + 12);
    await expect(readAuditData(bufferAccess(bytes))).rejects.toBeInstanceOf(AuditDataError);
  });

  it('never throws anything but AuditDataError or ExecutableFormatError, whatever the file is mutated into', async () => {
    const base = buildElf({
      bits: 64,
      endian: 'le',
      sections: [{ name: '.dep-v0', data: json(audit), loaded: false }],
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.option(fc.nat()),
        async (edits, cut) => {
          const bytes = Buffer.from(base);
          for (const [at, value] of edits) bytes[at % bytes.length] = value;
          try {
            await readAuditData(bufferAccess(cut === null ? bytes : bytes.subarray(0, cut % bytes.length)));
          } catch (err) {
            expect(err instanceof AuditDataError || err instanceof ExecutableFormatError).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
