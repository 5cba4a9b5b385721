/**
 * Test support, not used at runtime: writes minimal ELF, PE and Mach-O files byte by byte, and Go
 * build-info blobs in both layouts of src/debug/buildinfo/buildinfo.go, so the readers are tested on
 * files whose every byte is known. `testdata/bin/*` are files made by `writeFixtures` (see
 * testdata/README.md); a test checks they still match.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface SectionSpec {
  readonly name: string;
  /** the section's content, given the virtual address it will be loaded at */
  readonly data: Buffer | ((addr: number) => Buffer);
  /** ELF: SHF_ALLOC and inside the loaded segment (default true); a non-loaded section has address 0 */
  readonly loaded?: boolean;
}

export interface ElfSpec {
  readonly bits: 32 | 64;
  readonly endian: 'le' | 'be';
  readonly sections: readonly SectionSpec[];
  /** add the Go build-ID note (name "Go", type 4) in a PT_NOTE segment */
  readonly goNote?: boolean;
}

const BASE = 0x10000;

class Writer {
  readonly buf: Buffer;
  readonly le: boolean;
  constructor(size: number, le: boolean) {
    this.buf = Buffer.alloc(size);
    this.le = le;
  }
  u16(at: number, v: number): void {
    if (this.le) this.buf.writeUInt16LE(v, at);
    else this.buf.writeUInt16BE(v, at);
  }
  u32(at: number, v: number): void {
    if (this.le) this.buf.writeUInt32LE(v >>> 0, at);
    else this.buf.writeUInt32BE(v >>> 0, at);
  }
  u64(at: number, v: number): void {
    if (this.le) this.buf.writeBigUInt64LE(BigInt(v), at);
    else this.buf.writeBigUInt64BE(BigInt(v), at);
  }
  word(at: number, v: number, is64: boolean): void {
    if (is64) this.u64(at, v);
    else this.u32(at, v);
  }
}

const align = (n: number, a: number): number => Math.ceil(n / a) * a;

function goNote(le: boolean): Buffer {
  const w = new Writer(12 + 4 + 8, le);
  w.u32(0, 4);
  w.u32(4, 8);
  w.u32(8, 4);
  w.buf.write('Go\0\0', 12, 'latin1');
  w.buf.write('buildid!', 16, 'latin1');
  return w.buf;
}

/** An ELF executable: header, PT_LOAD (RW) over the whole file, optional PT_NOTE, sections, section headers. */
export function buildElf(spec: ElfSpec): Buffer {
  const is64 = spec.bits === 64;
  const le = spec.endian === 'le';
  const ehsize = is64 ? 64 : 52;
  const phentsize = is64 ? 56 : 32;
  const shentsize = is64 ? 64 : 40;
  const phnum = spec.goNote ? 2 : 1;
  let offset = ehsize + phnum * phentsize;
  const note = spec.goNote ? goNote(le) : undefined;
  const noteOffset = offset;
  if (note) offset += note.length;
  const placed = spec.sections.map((s) => {
    offset = align(offset, 16);
    const at = offset;
    const loaded = s.loaded ?? true;
    const data = typeof s.data === 'function' ? s.data(loaded ? BASE + at : 0) : s.data;
    offset += data.length;
    return { name: s.name, at, data, loaded };
  });
  const names = Buffer.from(`\0${[...spec.sections.map((s) => s.name), '.shstrtab'].join('\0')}\0`, 'latin1');
  const namesAt = offset;
  offset += names.length;
  const loadedEnd = offset;
  const shoff = align(offset, 8);
  const shnum = placed.length + 2;
  const w = new Writer(shoff + shnum * shentsize, le);

  w.buf.write('\x7fELF', 0, 'latin1');
  w.buf[4] = is64 ? 2 : 1;
  w.buf[5] = le ? 1 : 2;
  w.buf[6] = 1;
  w.u16(16, 2); // ET_EXEC
  w.u16(18, is64 ? (le ? 62 : 21) : le ? 3 : 20); // EM_X86_64, EM_PPC64, EM_386, EM_PPC
  w.u32(20, 1);
  w.word(24, BASE, is64);
  w.word(is64 ? 32 : 28, ehsize, is64);
  w.word(is64 ? 40 : 32, shoff, is64);
  const h = is64 ? 52 : 40;
  w.u16(h, ehsize);
  w.u16(h + 2, phentsize);
  w.u16(h + 4, phnum);
  w.u16(h + 6, shentsize);
  w.u16(h + 8, shnum);
  w.u16(h + 10, shnum - 1);

  const program = (i: number, type: number, flags: number, at: number, size: number): void => {
    const o = ehsize + i * phentsize;
    w.u32(o, type);
    w.u32(is64 ? o + 4 : o + 24, flags);
    w.word(is64 ? o + 8 : o + 4, at, is64);
    w.word(is64 ? o + 16 : o + 8, BASE + at, is64);
    w.word(is64 ? o + 24 : o + 12, BASE + at, is64);
    w.word(is64 ? o + 32 : o + 16, size, is64);
    w.word(is64 ? o + 40 : o + 20, size, is64);
  };
  program(0, 1, 6, 0, loadedEnd); // PT_LOAD, PF_R|PF_W
  if (note) {
    program(1, 4, 4, noteOffset, note.length); // PT_NOTE, PF_R
    note.copy(w.buf, noteOffset);
  }

  let nameOffset = 1;
  const section = (i: number, type: number, flags: number, addr: number, at: number, size: number): void => {
    const o = shoff + i * shentsize;
    w.u32(o, nameOffset);
    w.u32(o + 4, type);
    w.word(o + 8, flags, is64);
    w.word(is64 ? o + 16 : o + 12, addr, is64);
    w.word(is64 ? o + 24 : o + 16, at, is64);
    w.word(is64 ? o + 32 : o + 20, size, is64);
  };
  placed.forEach((s, i) => {
    s.data.copy(w.buf, s.at);
    section(i + 1, 1, s.loaded ? 3 : 0, s.loaded ? BASE + s.at : 0, s.at, s.data.length); // SHT_PROGBITS, SHF_WRITE|SHF_ALLOC
    nameOffset += Buffer.byteLength(s.name, 'latin1') + 1;
  });
  names.copy(w.buf, namesAt);
  section(shnum - 1, 3, 0, 0, namesAt, names.length); // SHT_STRTAB
  return w.buf;
}

/** cmd/go/internal/modload infoStart and infoEnd, the sentinels around the module info */
export const INFO_START = Buffer.from('3077af0c9274080241e1c107e6d618e6', 'hex');
export const INFO_END = Buffer.from('f932433186182072008242104116d8f2', 'hex');

export function framedModinfo(text: string): Buffer {
  return Buffer.concat([INFO_START, Buffer.from(text, 'utf8'), INFO_END]);
}

function uvarint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return Buffer.from(out);
}

function header(ptrSize: 4 | 8, flags: number): Buffer {
  const h = Buffer.alloc(32);
  h.write('\xff Go buildinf:', 0, 'latin1');
  h[14] = ptrSize;
  h[15] = flags;
  return h;
}

/** Go 1.18+ layout: header with flag bit 1, then varint-prefixed version and module info */
export function inlineBlob(version: string, modinfo: Buffer, ptrSize: 4 | 8 = 8, bigEndian = false): Buffer {
  const v = Buffer.from(version, 'utf8');
  return Buffer.concat([
    header(ptrSize, 2 | (bigEndian ? 1 : 0)),
    uvarint(v.length),
    v,
    uvarint(modinfo.length),
    modinfo,
  ]);
}

/**
 * Before Go 1.18: two pointers after the magic, each to a string header (data pointer, length),
 * laid out here after the 32-byte header as [hdr1][hdr2][version bytes][modinfo bytes].
 */
export function pointerBlob(
  addr: number,
  version: string,
  modinfo: Buffer,
  ptrSize: 4 | 8,
  bigEndian: boolean,
): Buffer {
  const v = Buffer.from(version, 'utf8');
  const w = new Writer(32 + 4 * ptrSize + v.length + modinfo.length, !bigEndian);
  header(ptrSize, bigEndian ? 1 : 0).copy(w.buf, 0);
  const hdr1 = addr + 32;
  const hdr2 = hdr1 + 2 * ptrSize;
  const vAt = hdr2 + 2 * ptrSize;
  const mAt = vAt + v.length;
  const is64 = ptrSize === 8;
  w.word(16, hdr1, is64);
  w.word(16 + ptrSize, hdr2, is64);
  w.word(32, vAt, is64);
  w.word(32 + ptrSize, v.length, is64);
  w.word(32 + 2 * ptrSize, mAt, is64);
  w.word(32 + 3 * ptrSize, modinfo.length, is64);
  v.copy(w.buf, vAt - addr);
  modinfo.copy(w.buf, mAt - addr);
  return w.buf;
}

/** A PE32+ file with one initialized, writable data section (what Go's DataStart looks for). */
export function buildPe(sectionName: string, data: Buffer, writable = true): Buffer {
  const peAt = 0x40;
  const optSize = 240;
  const tableAt = peAt + 24 + optSize;
  const rawAt = align(tableAt + 40, 0x200);
  const imageBase = 0x140000000;
  const w = new Writer(rawAt + align(data.length, 0x200), true);
  w.buf.write('MZ', 0, 'latin1');
  w.u32(0x3c, peAt);
  w.buf.write('PE\0\0', peAt, 'latin1');
  w.u16(peAt + 4, 0x8664);
  w.u16(peAt + 6, 1);
  w.u16(peAt + 20, optSize);
  w.u16(peAt + 24, 0x20b);
  w.u64(peAt + 24 + 24, imageBase);
  w.buf.write(sectionName, tableAt, 'latin1');
  w.u32(tableAt + 8, data.length);
  w.u32(tableAt + 12, 0x1000);
  w.u32(tableAt + 16, align(data.length, 0x200));
  w.u32(tableAt + 20, rawAt);
  w.u32(tableAt + 36, writable ? 0xc0000040 : 0x40000040);
  data.copy(w.buf, rawAt);
  return w.buf;
}

/** A 64-bit little-endian Mach-O with __PAGEZERO and a __DATA segment holding one section. */
export function buildMacho(sectionName: string, data: (addr: number) => Buffer): Buffer {
  const segAt = 32;
  const pageZero = 72;
  const dataSeg = 72 + 80;
  const sizeofcmds = pageZero + dataSeg;
  const fileoff = align(segAt + sizeofcmds, 16);
  const vmaddr = 0x100004000;
  const content = data(vmaddr);
  const w = new Writer(fileoff + content.length, true);
  w.u32(0, 0xfeedfacf);
  w.u32(4, 0x01000007);
  w.u32(12, 2);
  w.u32(16, 2);
  w.u32(20, sizeofcmds);
  w.u32(segAt, 0x19);
  w.u32(segAt + 4, pageZero);
  w.buf.write('__PAGEZERO', segAt + 8, 'latin1');
  w.u64(segAt + 32, 0x100000000);
  const d = segAt + pageZero;
  w.u32(d, 0x19);
  w.u32(d + 4, dataSeg);
  w.buf.write('__DATA', d + 8, 'latin1');
  w.u64(d + 24, vmaddr);
  w.u64(d + 32, content.length);
  w.u64(d + 40, fileoff);
  w.u64(d + 48, content.length);
  w.u32(d + 56, 3);
  w.u32(d + 60, 3);
  w.u32(d + 64, 1);
  const s = d + 72;
  w.buf.write(sectionName, s, 'latin1');
  w.buf.write('__DATA', s + 16, 'latin1');
  w.u64(s + 32, vmaddr);
  w.u64(s + 40, content.length);
  w.u32(s + 48, fileoff);
  content.copy(w.buf, fileoff);
  return w.buf;
}

/** the module info of the committed "app" fixtures */
export const APP_MODINFO = [
  'path\texample.com/app/cmd/app',
  'mod\texample.com/app\tv1.2.3\th1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
  'dep\tgithub.com/google/uuid\tv1.3.0\th1:t6JiXgmwXMjEs8VusXIJk2BXHsn+wx8BZdTaoZ5fu7I=',
  'dep\tgolang.org/x/net\tv0.17.0',
  '=>\tgithub.com/example/net-fork\tv0.17.1-fork\th1:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=',
  'dep\texample.com/local\tv0.0.0',
  '=>\t../local\t(devel)\t',
  'build\t-compiler=gc',
  'build\t-ldflags="-s -w -X main.version=1.2.3"',
  'build\tCGO_ENABLED=0',
  'build\tGOOS=linux',
  '',
].join('\n');

/** every committed binary fixture under testdata/bin, by file name */
export function fixtures(): Record<string, Buffer> {
  const inline = buildElf({
    bits: 64,
    endian: 'le',
    goNote: true,
    sections: [
      { name: '.go.buildinfo', data: inlineBlob('go1.21.3', framedModinfo(APP_MODINFO)) },
      // past the 4 KiB below which `required` takes a file for no compiled program
      { name: '.pad', data: Buffer.alloc(4096), loaded: false },
    ],
  });
  const pointer = buildElf({
    bits: 32,
    endian: 'be',
    sections: [
      {
        name: '.go.buildinfo',
        data: (addr) =>
          pointerBlob(
            addr,
            'go1.16.15',
            framedModinfo(
              'path\texample.com/old\nmod\texample.com/old\t(devel)\t\ndep\tgithub.com/pkg/errors\tv0.9.1\th1:x=\n',
            ),
            4,
            true,
          ),
      },
    ],
  });
  return {
    'go-inline-elf64le': inline,
    'go-pointer-elf32be': pointer,
    // cut inside the module info: the header is there, the strings run off the end of the file
    'go-truncated-modinfo': inline.subarray(0, inline.indexOf('github.com/google/uuid')),
    // cut before the build info: only the Go build-ID note says it was a Go program
    'go-truncated-before-buildinfo': inline.subarray(0, inline.indexOf('\xff Go buildinf:', 0, 'latin1') - 8),
    'not-go-elf64le': buildElf({
      bits: 64,
      endian: 'le',
      sections: [{ name: '.data', data: Buffer.from('hello, world\n') }],
    }),
  };
}

/** regenerates testdata/bin: `node src/extract/lang/go/fixture-builder.ts` */
export async function writeFixtures(dir: string): Promise<void> {
  for (const [name, bytes] of Object.entries(fixtures())) await writeFile(join(dir, name), bytes, { mode: 0o755 });
}

if (import.meta.main) await writeFixtures(join(import.meta.dirname, 'testdata', 'bin'));
