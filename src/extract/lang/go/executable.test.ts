import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExecutableFormatError, executableKind, openExecutable } from './executable.ts';
import { bufferAccess } from './file-access.ts';
import { buildElf, buildMacho, buildPe } from './fixture-builder.ts';

const payload = Buffer.from('payload bytes');

describe('openExecutable', () => {
  it.each([
    [32, 'le'],
    [32, 'be'],
    [64, 'le'],
    [64, 'be'],
  ] as const)('ELF%d %s: named sections, and bytes by virtual address', async (bits, endian) => {
    const file = buildElf({
      bits,
      endian,
      sections: [
        { name: '.data', data: payload },
        { name: '.dep-v0', data: Buffer.from('not loaded'), loaded: false },
      ],
    });
    const exe = (await openExecutable(bufferAccess(file)))!;
    expect(exe.format).toBe('elf');
    expect(exe.littleEndian).toBe(endian === 'le');
    expect(exe.sections.map((s) => s.name)).toEqual(['', '.data', '.dep-v0', '.shstrtab']);
    const data = exe.sections[1]!;
    // within the loaded segment, which reaches past the section as in a real binary
    expect((await exe.readData(data.addr + 8, 5))!.toString()).toBe('bytes');
    const rest = (await exe.readData(data.addr + 8, 1000))!;
    expect(rest.length).toBeGreaterThan(5);
    expect(rest.toString('latin1')).toContain('not loaded');
    const dep = exe.sections[2]!;
    expect(dep.addr).toBe(0);
    expect(file.subarray(dep.offset, dep.offset + dep.size).toString()).toBe('not loaded');
    // no .go.buildinfo section: the first writable PT_LOAD, as debug/buildinfo's DataStart
    expect(exe.dataStart).toBe(0x10000);
    expect(exe.damaged).toBeUndefined();
  });

  it('ELF cut before its section headers: program headers still serve, and the damage is recorded', async () => {
    const file = buildElf({ bits: 64, endian: 'le', sections: [{ name: '.data', data: payload }] });
    const exe = (await openExecutable(bufferAccess(file.subarray(0, file.indexOf('payload') + 4))))!;
    expect(exe.sections).toEqual([]);
    expect(exe.damaged).toBe('section headers lies beyond the end of the file');
    expect(await exe.readData(0x10000 + file.indexOf('payload'), 100)).toEqual(Buffer.from('payl'));
  });

  it('PE32+: sections at image base + RVA; the writable data section is where Go data starts', async () => {
    const exe = (await openExecutable(bufferAccess(buildPe('.data', payload))))!;
    expect(exe.format).toBe('pe');
    expect(exe.sections.map((s) => [s.name, s.addr, s.size])).toEqual([['.data', 0x140001000, 512]]);
    expect(exe.dataStart).toBe(0x140001000);
    expect((await exe.readData(0x140001000, payload.length))!).toEqual(payload);
    expect((await openExecutable(bufferAccess(buildPe('.rdata', payload, false))))!.dataStart).toBeUndefined();
  });

  it('Mach-O 64: sections of __DATA, __PAGEZERO never mapped', async () => {
    const exe = (await openExecutable(bufferAccess(buildMacho('__go_buildinfo', () => payload))))!;
    expect(exe.format).toBe('macho');
    expect(exe.sections.map((s) => [s.name, s.addr])).toEqual([['__go_buildinfo', 0x100004000]]);
    expect(exe.dataStart).toBe(0x100004000);
    expect(await exe.readData(0x100004000, 100)).toEqual(payload);
    expect(await exe.readData(0x1000, 4)).toBeUndefined();
  });

  it.each([
    ['a shell script', Buffer.from('#!/bin/sh\necho hi\n')],
    ['a Java class (0xcafebabe, like a fat Mach-O)', Buffer.from('cafebabe00000034', 'hex')],
    ['empty', Buffer.alloc(0)],
  ])('%s is no executable we read', async (_, bytes) => {
    expect(executableKind(bytes)).toBeUndefined();
    expect(await openExecutable(bufferAccess(bytes))).toBeUndefined();
  });

  it.each([
    ['bad class', Buffer.from('7f454c46090101', 'hex')],
    ['ELF header cut short', Buffer.from('7f454c46020101', 'hex')],
    ['MZ without PE header', Buffer.from('MZ\0\0')],
  ])('%s throws ExecutableFormatError', async (_, bytes) => {
    await expect(openExecutable(bufferAccess(bytes))).rejects.toBeInstanceOf(ExecutableFormatError);
  });

  it('never throws anything but ExecutableFormatError, on any bytes behind any magic', async () => {
    const magics = ['7f454c460201', '7f454c460102', '4d5a', 'cffaedfe', 'feedface', ''].map((h) =>
      Buffer.from(h, 'hex'),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...magics), fc.uint8Array({ maxLength: 600 }), async (magic, rest) => {
        try {
          const exe = await openExecutable(bufferAccess(Buffer.concat([magic, rest])));
          if (exe?.dataStart !== undefined) await exe.readData(exe.dataStart, 64);
        } catch (err) {
          expect(err).toBeInstanceOf(ExecutableFormatError);
        }
      }),
      { numRuns: 400 },
    );
  });
});
