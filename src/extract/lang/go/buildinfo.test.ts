import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BuildInfoError, findHeader, readBuildInfo, unframeModinfo, uvarint } from './buildinfo.ts';
import { ExecutableFormatError } from './executable.ts';
import { bufferAccess } from './file-access.ts';
import {
  buildElf,
  buildMacho,
  buildPe,
  fixtures,
  framedModinfo,
  INFO_END,
  INFO_START,
  inlineBlob,
  pointerBlob,
} from './fixture-builder.ts';

const MODINFO = 'path\texample.com/m\nmod\texample.com/m\tv1.0.0\t\n';
const framed = framedModinfo(MODINFO);
const read = (bytes: Buffer) => readBuildInfo(bufferAccess(bytes));

describe('readBuildInfo', () => {
  it.each([
    [
      'ELF64 LE, Go 1.18+ inline strings',
      buildElf({ bits: 64, endian: 'le', sections: [{ name: '.go.buildinfo', data: inlineBlob('go1.21.3', framed) }] }),
    ],
    [
      'ELF32 BE, inline',
      buildElf({
        bits: 32,
        endian: 'be',
        sections: [{ name: '.go.buildinfo', data: inlineBlob('go1.21.3', framed, 4, true) }],
      }),
    ],
    [
      'ELF64 LE, pre-1.18 pointers',
      buildElf({
        bits: 64,
        endian: 'le',
        sections: [{ name: '.go.buildinfo', data: (a) => pointerBlob(a, 'go1.21.3', framed, 8, false) }],
      }),
    ],
    [
      'ELF64 BE, pointers',
      buildElf({
        bits: 64,
        endian: 'be',
        sections: [{ name: '.go.buildinfo', data: (a) => pointerBlob(a, 'go1.21.3', framed, 8, true) }],
      }),
    ],
    [
      'ELF32 LE, pointers',
      buildElf({
        bits: 32,
        endian: 'le',
        sections: [{ name: '.go.buildinfo', data: (a) => pointerBlob(a, 'go1.21.3', framed, 4, false) }],
      }),
    ],
    [
      'ELF32 BE, pointers',
      buildElf({
        bits: 32,
        endian: 'be',
        sections: [{ name: '.go.buildinfo', data: (a) => pointerBlob(a, 'go1.21.3', framed, 4, true) }],
      }),
    ],
    [
      'ELF without a .go.buildinfo section: found in the first writable segment, past unaligned decoys',
      buildElf({
        bits: 64,
        endian: 'le',
        sections: [
          // the magic at offset 1 of this section is not 16-byte aligned and must be passed over
          { name: '.data', data: Buffer.concat([Buffer.from('x\xff Go buildinf:', 'latin1'), Buffer.alloc(33)]) },
          { name: '.noptrdata', data: inlineBlob('go1.21.3', framed) },
        ],
      }),
    ],
    ['PE32+, first writable data section', buildPe('.data', inlineBlob('go1.21.3', framed))],
    ['Mach-O 64, __go_buildinfo', buildMacho('__go_buildinfo', () => inlineBlob('go1.21.3', framed))],
    ['Mach-O 64, pointers', buildMacho('__go_buildinfo', (a) => pointerBlob(a, 'go1.21.3', framed, 8, false))],
  ])('%s', async (_, bytes) => {
    expect(await read(bytes)).toEqual({ kind: 'go', info: { goVersion: 'go1.21.3', modinfo: MODINFO } });
  });

  it.each([
    ['a shell script', Buffer.from('#!/bin/sh\nexec true\n'), 'not-executable'],
    ['an ELF without build info', fixtures()['not-go-elf64le']!, 'not-go'],
    [
      'a non-Go ELF cut before its section headers (no Go build-ID note)',
      fixtures()['not-go-elf64le']!.subarray(0, 200),
      'not-go',
    ],
    ['a PE with no writable data section', buildPe('.text', inlineBlob('go1.21.3', framed), false), 'not-go'],
    [
      'an empty toolchain version (debug/buildinfo: not a Go executable)',
      buildElf({ bits: 64, endian: 'le', sections: [{ name: '.go.buildinfo', data: inlineBlob('', framed) }] }),
      'not-go',
    ],
  ])('%s → %s', async (_, bytes, kind) => {
    expect(await read(bytes)).toEqual({ kind });
  });

  it('a binary built outside module mode has no module info', async () => {
    const bytes = buildElf({
      bits: 64,
      endian: 'le',
      sections: [{ name: '.go.buildinfo', data: inlineBlob('go1.12', Buffer.alloc(0)) }],
    });
    expect(await read(bytes)).toEqual({ kind: 'go', info: { goVersion: 'go1.12', modinfo: '' } });
  });

  it.each([
    ['go-truncated-modinfo', 'build info string runs past its section'],
    [
      'go-truncated-before-buildinfo',
      'Go binary without readable build info (section headers lies beyond the end of the file)',
    ],
  ])('%s: BuildInfoError, "%s"', async (name, message) => {
    await expect(read(fixtures()[name]!)).rejects.toThrow(new BuildInfoError(message));
  });

  it.each([
    [
      'a modinfo length beyond the 16 MiB bound',
      Buffer.concat([inlineBlob('go1.21.3', Buffer.alloc(0)).subarray(0, -1), Buffer.from([0x80, 0x80, 0x80, 0x10])]),
      /exceeds 16777216/,
    ],
    [
      'a malformed varint',
      Buffer.concat([inlineBlob('go1.21.3', Buffer.alloc(0)).subarray(0, -1), Buffer.alloc(10, 0xff)]),
      /length is malformed/,
    ],
    [
      'a string pointer outside the file',
      (() => {
        const blob = pointerBlob(0x10000, 'go1.21.3', framed, 8, false);
        blob.writeBigUInt64LE(0x7fff0000n, 16);
        return blob;
      })(),
      /points outside the file/,
    ],
  ])('%s: BuildInfoError', async (_, blob, message) => {
    const bytes = buildElf({ bits: 64, endian: 'le', sections: [{ name: '.go.buildinfo', data: blob }] });
    await expect(read(bytes)).rejects.toThrow(message);
  });

  it('never throws anything but BuildInfoError or ExecutableFormatError, whatever a Go binary is mutated into', async () => {
    const original = fixtures()['go-inline-elf64le']!;
    const pointer = fixtures()['go-pointer-elf32be']!;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(original, pointer),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.option(fc.nat()),
        async (base, edits, cut) => {
          const bytes = Buffer.from(base);
          for (const [at, value] of edits) bytes[at % bytes.length] = value;
          try {
            await read(cut === null ? bytes : bytes.subarray(0, cut % bytes.length));
          } catch (err) {
            expect(err instanceof BuildInfoError || err instanceof ExecutableFormatError).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('pieces', () => {
  it.each([
    [Buffer.alloc(64), -1],
    [Buffer.concat([Buffer.alloc(16), inlineBlob('go1', Buffer.alloc(0))]), 16],
    [Buffer.concat([Buffer.alloc(3), inlineBlob('go1', Buffer.alloc(0))]), -1], // unaligned
    [Buffer.concat([Buffer.alloc(16), inlineBlob('', Buffer.alloc(0)).subarray(0, 20)]), -1], // no room for the header
  ])('findHeader #%#', (data, want) => {
    expect(findHeader(data)).toBe(want);
  });

  it.each([
    [[0x00], { value: 0, length: 1 }],
    [[0x7f], { value: 127, length: 1 }],
    [[0xac, 0x02], { value: 300, length: 2 }],
    [[0x80], undefined],
    [[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], undefined],
  ])('uvarint(%j)', (bytes, want) => {
    expect(uvarint(Buffer.from(bytes), 0)).toEqual(want);
  });

  it.each([
    [framed, MODINFO],
    [Buffer.concat([INFO_START, Buffer.from('no newline'), INFO_END]), ''],
    [Buffer.from('short'), ''],
  ])('unframeModinfo #%#', (mod, want) => {
    expect(unframeModinfo(mod)).toBe(want);
  });
});
