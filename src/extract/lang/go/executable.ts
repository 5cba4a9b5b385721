/**
 * Just enough of ELF, PE and Mach-O to find named sections and read bytes by virtual address, with
 * bounded random access: headers are read piecewise, never the whole file. Layouts follow the ELF
 * gABI (System V ABI, "Object Files": ELF header, program and section headers), Microsoft's "PE
 * Format" (COFF file header, optional header, section table) and Apple's <mach-o/loader.h>
 * (mach_header, segment_command(_64), section(_64)). Shared by lang/go (build info) and lang/rust
 * (the cargo-auditable `.dep-v0` section).
 */
import type { RandomAccess } from './file-access.ts';

export interface ExeSection {
  readonly name: string;
  /** virtual address (0 when the section is not loaded) */
  readonly addr: number;
  /** file offset and byte count of the section's data in the file; size 0 when it has none */
  readonly offset: number;
  readonly size: number;
}

/** a piece of the file mapped at a virtual address: ELF program header, PE section, Mach-O segment */
interface Mapping {
  readonly addr: number;
  readonly offset: number;
  readonly size: number;
}

export interface Executable {
  readonly format: 'elf' | 'pe' | 'macho';
  readonly littleEndian: boolean;
  readonly sections: readonly ExeSection[];
  /**
   * Where Go's linker puts the build info (debug/buildinfo `DataStart`): the named section when
   * present, else the first writable, non-executable data segment; undefined when neither exists.
   */
  readonly dataStart: number | undefined;
  /** why part of the headers could not be read (a truncated file), when the rest still could */
  readonly damaged?: string;
  /** file extents of ELF PT_NOTE segments */
  readonly notes: readonly { readonly offset: number; readonly size: number }[];
  /** up to `size` bytes at virtual address `addr`, within one mapping; undefined when unmapped */
  readData(addr: number, size: number): Promise<Buffer | undefined>;
}

/** The file is not an executable format we read, or its headers are inconsistent. */
export class ExecutableFormatError extends Error {}

const MAX_SECTIONS = 65_535;
const MAX_LOAD_COMMANDS_BYTES = 16 << 20;
const MAX_SECTION_NAMES_BYTES = 1 << 20;

/** the magic of a format we read, from the first 4 bytes (Go's readRawBuildInfo does the same) */
export function executableKind(head: Buffer): Executable['format'] | undefined {
  if (head.length < 4) return undefined;
  if (head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46) return 'elf';
  if (head[0] === 0x4d && head[1] === 0x5a) return 'pe';
  const be = head.readUInt32BE(0);
  const le = head.readUInt32LE(0);
  if (be === 0xfeedface || be === 0xfeedfacf || le === 0xfeedface || le === 0xfeedfacf) return 'macho';
  return undefined;
}

/** Reads the headers of an ELF, PE or Mach-O file; undefined when it is none of them. */
export async function openExecutable(file: RandomAccess): Promise<Executable | undefined> {
  const head = await file.read(0, 64);
  switch (executableKind(head)) {
    case 'elf':
      return readElf(file, head);
    case 'pe':
      return readPe(file);
    case 'macho':
      return readMacho(file, head);
    default:
      return undefined;
  }
}

function fail(message: string): never {
  throw new ExecutableFormatError(message);
}

/** a little- or big-endian reader over one header buffer; reads past its end throw ExecutableFormatError */
class Fields {
  readonly buf: Buffer;
  readonly le: boolean;
  constructor(buf: Buffer, le: boolean) {
    this.buf = buf;
    this.le = le;
  }
  private check(at: number, n: number): void {
    if (at < 0 || at + n > this.buf.length) fail('header truncated');
  }
  u16(at: number): number {
    this.check(at, 2);
    return this.le ? this.buf.readUInt16LE(at) : this.buf.readUInt16BE(at);
  }
  u32(at: number): number {
    this.check(at, 4);
    return this.le ? this.buf.readUInt32LE(at) : this.buf.readUInt32BE(at);
  }
  /** 64-bit value as a number; beyond 2^53 it cannot be a real offset or address here */
  u64(at: number): number {
    this.check(at, 8);
    const v = this.le ? this.buf.readBigUInt64LE(at) : this.buf.readBigUInt64BE(at);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
  }
  word(at: number, is64: boolean): number {
    return is64 ? this.u64(at) : this.u32(at);
  }
  cstring(at: number, max: number): string {
    this.check(at, 0);
    const end = Math.min(this.buf.length, at + max);
    const nul = this.buf.indexOf(0, at);
    return this.buf.toString('latin1', at, nul === -1 || nul > end ? end : nul);
  }
}

async function readExactly(file: RandomAccess, offset: number, length: number, what: string): Promise<Buffer> {
  if (length > file.size || offset > file.size - length) fail(`${what} lies beyond the end of the file`);
  const buf = await file.read(offset, length);
  if (buf.length < length) fail(`${what} truncated`);
  return buf;
}

function executable(
  file: RandomAccess,
  format: Executable['format'],
  littleEndian: boolean,
  sections: ExeSection[],
  mappings: Mapping[],
  dataStart: number | undefined,
  extra: { damaged?: string; notes?: Mapping[] } = {},
): Executable {
  return {
    format,
    littleEndian,
    sections,
    dataStart,
    notes: extra.notes ?? [],
    ...(extra.damaged ? { damaged: extra.damaged } : {}),
    async readData(addr, size) {
      for (const m of mappings) {
        if (m.size > 0 && addr >= m.addr && addr - m.addr < m.size) {
          const n = Math.min(size, m.size - (addr - m.addr));
          return file.read(m.offset + (addr - m.addr), n);
        }
      }
      return undefined;
    },
  };
}

const PT_LOAD = 1;
const PT_NOTE = 4;
const PF_X = 1;
const PF_W = 2;
const SHT_NOBITS = 8;

async function readElf(file: RandomAccess, head: Buffer): Promise<Executable> {
  const cls = head[4];
  const data = head[5];
  if ((cls !== 1 && cls !== 2) || (data !== 1 && data !== 2)) fail('bad ELF class or data encoding');
  const is64 = cls === 2;
  const h = new Fields(head, data === 1);
  const phoff = h.word(is64 ? 32 : 28, is64);
  const shoff = h.word(is64 ? 40 : 32, is64);
  const at = is64 ? 54 : 42;
  const phentsize = h.u16(at);
  const phnum = h.u16(at + 2);
  const shentsize = h.u16(at + 4);
  const shnum = h.u16(at + 6);
  const shstrndx = h.u16(at + 8);

  const mappings: Mapping[] = [];
  const notes: Mapping[] = [];
  let firstData: number | undefined;
  if (phnum > 0) {
    if (phentsize < (is64 ? 56 : 32)) fail('bad program header size');
    const ph = new Fields(await readExactly(file, phoff, phentsize * phnum, 'program headers'), h.le);
    for (let i = 0; i < phnum; i++) {
      const o = i * phentsize;
      const type = ph.u32(o);
      const flags = ph.u32(is64 ? o + 4 : o + 24);
      const offset = ph.word(is64 ? o + 8 : o + 4, is64);
      const vaddr = ph.word(is64 ? o + 16 : o + 8, is64);
      const filesz = ph.word(is64 ? o + 32 : o + 16, is64);
      // debug/elf's Prog.ReadAt reads within the file; clamp a segment claiming more than the file has
      mappings.push({ addr: vaddr, offset, size: Math.max(0, Math.min(filesz, file.size - offset)) });
      if (type === PT_NOTE) notes.push({ addr: vaddr, offset, size: Math.min(filesz, 1 << 16) });
      if (firstData === undefined && type === PT_LOAD && (flags & (PF_X | PF_W)) === PF_W) firstData = vaddr;
    }
  }

  // Section headers sit at the end of the file: a truncated binary loses them but keeps its
  // program headers, which is enough to go on (Go's DataStart falls back to the data segment).
  let sections: ExeSection[] = [];
  let damaged: string | undefined;
  try {
    sections = await readElfSections(file, h, is64, shoff, shentsize, shnum, shstrndx);
  } catch (err) {
    if (!(err instanceof ExecutableFormatError)) throw err;
    damaged = err.message;
  }
  const buildinfo = sections.find((s) => s.name === '.go.buildinfo');
  // a section outside every segment (a hand-made or partly stripped file) is still readable by offset
  for (const s of sections)
    if (s.addr !== 0 && s.size > 0) mappings.push({ addr: s.addr, offset: s.offset, size: s.size });
  return executable(file, 'elf', h.le, sections, mappings, buildinfo?.addr ?? firstData, {
    notes,
    ...(damaged ? { damaged } : {}),
  });
}

async function readElfSections(
  file: RandomAccess,
  h: Fields,
  is64: boolean,
  shoff: number,
  shentsize: number,
  shnum: number,
  shstrndx: number,
): Promise<ExeSection[]> {
  const sections: ExeSection[] = [];
  if (shnum === 0 || shoff === 0) return sections;
  if (shentsize < (is64 ? 64 : 40)) fail('bad section header size');
  const sh = new Fields(await readExactly(file, shoff, shentsize * shnum, 'section headers'), h.le);
  const raw = [];
  for (let i = 0; i < shnum; i++) {
    const o = i * shentsize;
    raw.push({
      nameOffset: sh.u32(o),
      type: sh.u32(o + 4),
      addr: sh.word(is64 ? o + 16 : o + 12, is64),
      offset: sh.word(is64 ? o + 24 : o + 16, is64),
      size: sh.word(is64 ? o + 32 : o + 20, is64),
    });
  }
  const strtab = raw[shstrndx];
  if (strtab === undefined || strtab.size > MAX_SECTION_NAMES_BYTES) fail('bad section name table');
  const names = new Fields(await readExactly(file, strtab.offset, strtab.size, 'section name table'), h.le);
  for (const s of raw) {
    const hasData = s.type !== SHT_NOBITS;
    sections.push({
      name: s.nameOffset < names.buf.length ? names.cstring(s.nameOffset, 256) : '',
      addr: s.addr,
      offset: hasData ? s.offset : 0,
      size: hasData ? s.size : 0,
    });
  }
  return sections;
}

// PE section characteristics (PE Format, "Section Flags"), as debug/buildinfo's peExe.DataStart uses them
const IMAGE_SCN_CNT_INITIALIZED_DATA = 0x40;
const IMAGE_SCN_MEM_READ = 0x40000000;
const IMAGE_SCN_MEM_WRITE = 0x80000000;
const IMAGE_SCN_ALIGN_32BYTES = 0x600000;

async function readPe(file: RandomAccess): Promise<Executable> {
  const dos = new Fields(await readExactly(file, 0, 64, 'DOS header'), true);
  const peOffset = dos.u32(0x3c);
  const coff = new Fields(await readExactly(file, peOffset, 24, 'PE header'), true);
  if (coff.u32(0) !== 0x00004550) fail('no PE signature');
  const nsections = coff.u16(6);
  const optSize = coff.u16(20);
  const opt = new Fields(await readExactly(file, peOffset + 24, optSize, 'optional header'), true);
  const magic = opt.u16(0);
  const imageBase = magic === 0x20b ? opt.u64(24) : magic === 0x10b ? opt.u32(28) : fail('bad optional header magic');
  const table = new Fields(await readExactly(file, peOffset + 24 + optSize, nsections * 40, 'section table'), true);
  const sections: ExeSection[] = [];
  const mappings: Mapping[] = [];
  let dataStart: number | undefined;
  for (let i = 0; i < nsections; i++) {
    const o = i * 40;
    const virtualAddress = table.u32(o + 12);
    const rawSize = table.u32(o + 16);
    const rawOffset = table.u32(o + 20);
    const characteristics = table.u32(o + 36);
    const addr = imageBase + virtualAddress;
    // debug/pe reads SizeOfRawData bytes from PointerToRawData
    const size = Math.max(0, Math.min(rawSize, file.size - rawOffset));
    sections.push({ name: table.cstring(o, 8), addr, offset: rawOffset, size });
    mappings.push({ addr, offset: rawOffset, size });
    const dataFlags = IMAGE_SCN_CNT_INITIALIZED_DATA | IMAGE_SCN_MEM_READ | IMAGE_SCN_MEM_WRITE;
    if (
      dataStart === undefined &&
      virtualAddress !== 0 &&
      rawSize !== 0 &&
      (characteristics & ~IMAGE_SCN_ALIGN_32BYTES) >>> 0 === dataFlags >>> 0
    ) {
      dataStart = addr;
    }
  }
  return executable(file, 'pe', true, sections, mappings, dataStart);
}

const LC_SEGMENT = 0x1;
const LC_SEGMENT_64 = 0x19;
const VM_PROT_RW = 3;

async function readMacho(file: RandomAccess, head: Buffer): Promise<Executable> {
  const le = head.readUInt32LE(0) === 0xfeedface || head.readUInt32LE(0) === 0xfeedfacf;
  const h = new Fields(head, le);
  const is64 = h.u32(0) === 0xfeedfacf;
  const ncmds = h.u32(16);
  const sizeofcmds = h.u32(20);
  if (sizeofcmds > MAX_LOAD_COMMANDS_BYTES) fail('load commands too large');
  const cmds = new Fields(await readExactly(file, is64 ? 32 : 28, sizeofcmds, 'load commands'), le);
  const sections: ExeSection[] = [];
  const mappings: Mapping[] = [];
  let firstData: number | undefined;
  let at = 0;
  for (let i = 0; i < ncmds && at < sizeofcmds; i++) {
    const cmd = cmds.u32(at);
    const cmdsize = cmds.u32(at + 4);
    if (cmdsize < 8 || cmdsize > sizeofcmds - at) fail('bad load command size');
    if (cmd === LC_SEGMENT || cmd === LC_SEGMENT_64) {
      const wide = cmd === LC_SEGMENT_64;
      const segname = cmds.cstring(at + 8, 16);
      const vmaddr = cmds.word(at + 24, wide);
      const fileoff = cmds.word(wide ? at + 40 : at + 32, wide);
      const filesize = cmds.word(wide ? at + 48 : at + 36, wide);
      const maxprot = cmds.u32(wide ? at + 56 : at + 40);
      const initprot = cmds.u32(wide ? at + 60 : at + 44);
      const nsects = cmds.u32(wide ? at + 64 : at + 48);
      if (segname !== '__PAGEZERO') {
        mappings.push({ addr: vmaddr, offset: fileoff, size: Math.max(0, Math.min(filesize, file.size - fileoff)) });
      }
      if (
        firstData === undefined &&
        vmaddr !== 0 &&
        filesize !== 0 &&
        initprot === VM_PROT_RW &&
        maxprot === VM_PROT_RW
      ) {
        firstData = vmaddr;
      }
      const sectSize = wide ? 80 : 68;
      const first = at + (wide ? 72 : 56);
      if (nsects > MAX_SECTIONS || first + nsects * sectSize > at + cmdsize) fail('bad section count');
      for (let s = 0; s < nsects; s++) {
        const o = first + s * sectSize;
        sections.push({
          name: cmds.cstring(o, 16),
          addr: cmds.word(o + 32, wide),
          size: cmds.word(o + (wide ? 40 : 36), wide),
          offset: cmds.u32(o + (wide ? 48 : 40)),
        });
      }
    }
    at += cmdsize;
  }
  const buildinfo = sections.find((s) => s.name === '__go_buildinfo');
  return executable(file, 'macho', le, sections, mappings, buildinfo?.addr ?? firstData);
}
