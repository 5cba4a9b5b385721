/**
 * The build information the Go linker embeds in every binary since Go 1.13, read as Go's own
 * src/debug/buildinfo/buildinfo.go (readRawBuildInfo) reads it:
 *
 * - the blob sits in the `.go.buildinfo` section (ELF), `__go_buildinfo` (Mach-O), or near the start
 *   of the first writable data segment; it is found within the first 64 KiB there, 16-byte aligned;
 * - a 32-byte header: the 14-byte magic "\xff Go buildinf:", the pointer size (4 or 8), and a flags
 *   byte: bit 0 big-endian, bit 1 "strings inline";
 * - Go 1.18+ (flag bit 1): two varint-length-prefixed strings follow the header, the toolchain
 *   version ("go1.21.3") and the module info;
 * - before 1.18: two pointers after the magic, each to a Go string header (data pointer, length),
 *   which point in turn to the string bytes: read by virtual address through the segments;
 * - the module info is framed by 16-byte sentinels (cmd/go/internal/modload infoStart/infoEnd),
 *   recognised, as Go does, by the "\n" just before the trailing 16 bytes.
 */
import { type Executable, openExecutable } from './executable.ts';
import type { RandomAccess } from './file-access.ts';

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const HEADER_SIZE = 32;
const ALIGN = 16;
const SEARCH_WINDOW = 64 * 1024;
/** bounds on what a hostile file can make us read; real module info is tens of KiB */
const MAX_VERSION_BYTES = 1024;
export const MAX_MODINFO_BYTES = 16 << 20;

export interface RawBuildInfo {
  /** runtime.buildVersion, e.g. "go1.21.3" or "go1.22.3 X:boringcrypto" */
  readonly goVersion: string;
  /** the module info text without its sentinels; "" for binaries built outside module mode */
  readonly modinfo: string;
}

/** A Go binary whose build info cannot be read: a warning, unlike a binary that is not Go at all. */
export class BuildInfoError extends Error {}

export type BuildInfoResult =
  | { readonly kind: 'not-executable' }
  | { readonly kind: 'not-go' }
  | { readonly kind: 'go'; readonly info: RawBuildInfo };

/** the offset of the first 16-byte-aligned magic with a whole header after it, or -1 */
export function findHeader(data: Buffer): number {
  for (let i = data.indexOf(MAGIC); i !== -1; i = data.indexOf(MAGIC, i + 1)) {
    if (data.length - i < HEADER_SIZE) return -1;
    if (i % ALIGN === 0) return i;
  }
  return -1;
}

/** encoding/binary.Uvarint, limited to lengths that fit a number; undefined when malformed */
export function uvarint(buf: Buffer, at: number): { value: number; length: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 8 && at + i < buf.length; i++) {
    const b = buf[at + i]!;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return { value, length: i + 1 };
    scale *= 128;
  }
  return undefined;
}

/** Go 1.18+: a varint length then the bytes, read by address (newer debug/buildinfo decodeString) */
async function decodeString(exe: Executable, addr: number, limit: number): Promise<{ bytes: Buffer; next: number }> {
  const prefix = await exe.readData(addr, 10);
  const len = prefix && uvarint(prefix, 0);
  if (!len) throw new BuildInfoError('build info string length is malformed');
  if (len.value > limit) throw new BuildInfoError(`build info string of ${len.value} bytes exceeds ${limit}`);
  const bytes = len.value === 0 ? Buffer.alloc(0) : await exe.readData(addr + len.length, len.value);
  if (!bytes || bytes.length < len.value) throw new BuildInfoError('build info string runs past its section');
  return { bytes, next: addr + len.length + len.value };
}

/** before Go 1.18: the address of a Go string header (data pointer, length) in the binary */
async function readPointedString(exe: Executable, header: Buffer, at: number, limit: number): Promise<Buffer> {
  const ptrSize = header[14] === 4 ? 4 : 8;
  const bigEndian = header[15] !== 0;
  const pointer = (b: Buffer, o: number): number => {
    if (ptrSize === 4) return bigEndian ? b.readUInt32BE(o) : b.readUInt32LE(o);
    const v = bigEndian ? b.readBigUInt64BE(o) : b.readBigUInt64LE(o);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
  };
  const stringHeader = await exe.readData(pointer(header, at), 2 * ptrSize);
  if (!stringHeader || stringHeader.length < 2 * ptrSize)
    throw new BuildInfoError('build info points outside the file');
  const length = pointer(stringHeader, ptrSize);
  if (length > limit) throw new BuildInfoError(`build info string of ${length} bytes exceeds ${limit}`);
  if (length === 0) return Buffer.alloc(0);
  const bytes = await exe.readData(pointer(stringHeader, 0), length);
  if (!bytes || bytes.length < length) throw new BuildInfoError('build info string points outside the file');
  return bytes;
}

const GO_NOTE_NAME = Buffer.from('Go\0\0', 'latin1');
/** cmd/link ELF_NOTE_GOBUILDID_TAG: the note holding the Go build ID */
const NT_GO_BUILD_ID = 4;

/**
 * Whether an ELF file carries the Go build-ID note (cmd/link/internal/ld/elf.go, name "Go", type 4),
 * which the linker puts in a PT_NOTE segment near the start of the file: it tells a Go binary whose
 * build info was lost (a truncated file) from any other executable.
 */
export async function hasGoBuildIdNote(file: RandomAccess, exe: Executable): Promise<boolean> {
  // a Go binary has one or two note segments; a hostile header may claim thousands
  for (const note of exe.notes.slice(0, 8)) {
    const buf = await file.read(note.offset, note.size);
    const u32 = (at: number): number => (exe.littleEndian ? buf.readUInt32LE(at) : buf.readUInt32BE(at));
    // note entries: namesz, descsz, type, then name and desc each padded to 4 bytes (ELF gABI "Note Section")
    for (let at = 0; at + 12 <= buf.length; ) {
      const namesz = u32(at);
      const descsz = u32(at + 4);
      const type = u32(at + 8);
      if (namesz === 4 && type === NT_GO_BUILD_ID && buf.subarray(at + 12, at + 16).equals(GO_NOTE_NAME)) return true;
      const next = at + 12 + Math.ceil(namesz / 4) * 4 + Math.ceil(descsz / 4) * 4;
      if (next <= at || next > buf.length) break;
      at = next;
    }
  }
  return false;
}

/** strips the infoStart/infoEnd sentinels, as readRawBuildInfo does; "" when they are not there */
export function unframeModinfo(mod: Buffer): string {
  if (mod.length >= 33 && mod[mod.length - 17] === 0x0a) return mod.toString('utf8', 16, mod.length - 16);
  return '';
}

/**
 * Reads the Go build info of an executable. "not-executable" and "not-go" are ordinary outcomes
 * (scripts, C programs); a Go binary whose build info is cut short or inconsistent throws
 * BuildInfoError, and headers that do not parse throw ExecutableFormatError.
 */
export async function readBuildInfo(file: RandomAccess): Promise<BuildInfoResult> {
  const exe = await openExecutable(file);
  if (!exe) return { kind: 'not-executable' };
  const data = exe.dataStart === undefined ? undefined : await exe.readData(exe.dataStart, SEARCH_WINDOW);
  const at = data ? findHeader(data) : -1;
  if (data === undefined || exe.dataStart === undefined || at === -1) {
    if (data && data.indexOf(MAGIC) % ALIGN === 0) throw new BuildInfoError('build info header is truncated');
    if (exe.damaged && (await hasGoBuildIdNote(file, exe))) {
      throw new BuildInfoError(`Go binary without readable build info (${exe.damaged})`);
    }
    return { kind: 'not-go' };
  }
  const header = data.subarray(at, at + HEADER_SIZE);
  let version: Buffer;
  let mod: Buffer;
  if ((header[15]! & 2) !== 0) {
    const first = await decodeString(exe, exe.dataStart + at + HEADER_SIZE, MAX_VERSION_BYTES);
    version = first.bytes;
    mod = (await decodeString(exe, first.next, MAX_MODINFO_BYTES)).bytes;
  } else {
    const ptrSize = header[14] === 4 ? 4 : 8;
    version = await readPointedString(exe, header, 16, MAX_VERSION_BYTES);
    mod = await readPointedString(exe, header, 16 + ptrSize, MAX_MODINFO_BYTES);
  }
  // debug/buildinfo: an empty version means "not a Go executable"
  if (version.length === 0) return { kind: 'not-go' };
  return { kind: 'go', info: { goVersion: version.toString('utf8'), modinfo: unframeModinfo(mod) } };
}
