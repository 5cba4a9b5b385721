import { open } from 'node:fs/promises';
import { VigilError } from '../../core/errors.ts';

export interface TarMember {
  /** offset of the member's data in the archive file */
  readonly offset: number;
  readonly size: number;
}

const BLOCK = 512;
/** pax and GNU long-name records are small; a bigger one is not an image archive */
const MAX_META_BYTES = 1024 * 1024;
const MAX_MEMBERS = 1_000_000;

/**
 * Indexes a tar archive by walking its 512-byte headers (POSIX ustar, pax 'x' records, GNU 'L' long
 * names), reading only headers: member data is skipped by offset, so a multi-gigabyte archive
 * is indexed with a few hundred small reads and never extracted.
 */
export async function indexTar(file: string): Promise<Map<string, TarMember>> {
  const members = new Map<string, TarMember>();
  const handle = await open(file, 'r');
  try {
    const fileSize = (await handle.stat()).size;
    const header = Buffer.alloc(BLOCK);
    const invalid = (message: string, offset: number) =>
      new VigilError('VIGIL_IMAGE_INVALID', `${file} is not a readable tar archive: ${message} (offset ${offset})`, {
        file,
        offset,
      });
    const readData = async (offset: number, size: number): Promise<Buffer> => {
      if (size > MAX_META_BYTES) throw invalid(`tar metadata record of ${size} bytes`, offset);
      const data = Buffer.alloc(size);
      const { bytesRead } = await handle.read(data, 0, size, offset);
      if (bytesRead !== size) throw invalid('truncated', offset);
      return data;
    };

    const symlinks = new Map<string, string>();
    let offset = 0;
    let longName: string | undefined;
    let longLinkName: string | undefined;
    let pax: Record<string, string> = {};
    while (offset + BLOCK <= fileSize) {
      const { bytesRead } = await handle.read(header, 0, BLOCK, offset);
      if (bytesRead !== BLOCK) throw invalid('truncated header', offset);
      if (offset === 0) rejectCompressed(header, file);
      if (header.every((b) => b === 0)) break;
      if (!checksumValid(header)) throw invalid('header checksum mismatch', offset);
      const type = String.fromCharCode(header[156] ?? 0);
      let size = parseNumber(header.subarray(124, 136));
      if (type !== 'x' && type !== 'g' && pax.size !== undefined) size = Number(pax.size);
      if (!Number.isSafeInteger(size) || size < 0) throw invalid('bad size field', offset);
      const dataOffset = offset + BLOCK;
      if (dataOffset + size > fileSize) throw invalid('member extends past the end of the file', offset);
      offset = dataOffset + Math.ceil(size / BLOCK) * BLOCK;

      if (type === 'x') {
        pax = { ...pax, ...parsePax(await readData(dataOffset, size)) };
        continue;
      }
      if (type === 'L') {
        longName = cString(await readData(dataOffset, size), 0, size);
        continue;
      }
      if (type === 'K') {
        longLinkName = cString(await readData(dataOffset, size), 0, size);
        continue;
      }
      if (type === 'g') continue;
      const name = normalizeMemberName(pax.path ?? longName ?? headerName(header));
      longName = undefined;
      const linkName = pax.linkpath ?? longLinkName ?? cString(header, 157, 100);
      longLinkName = undefined;
      if (type === '1') {
        const target = members.get(normalizeMemberName(linkName));
        if (target) members.set(name, target);
      } else if (type === '2') {
        symlinks.set(name, linkName);
      } else if (type === '0' || type === '\0' || type === '7') {
        members.set(name, { offset: dataOffset, size });
      }
      pax = {};
      if (members.size + symlinks.size > MAX_MEMBERS) {
        throw new VigilError('VIGIL_LIMIT_EXCEEDED', `${file} has more than ${MAX_MEMBERS} members`, { file });
      }
    }
    resolveSymlinks(members, symlinks);
  } finally {
    await handle.close();
  }
  return members;
}

/**
 * skopeo writes `<id>/layer.tar` as a symlink to `../<diffID>.tar`; such members are served as their
 * target (relative to the link's directory, a few hops at most, never outside the archive).
 */
function resolveSymlinks(members: Map<string, TarMember>, symlinks: Map<string, string>): void {
  for (const name of symlinks.keys()) {
    let current = name;
    for (let hop = 0; hop < 8; hop++) {
      const target = symlinks.get(current);
      if (target === undefined) break;
      const base = target.startsWith('/') ? [] : current.split('/').slice(0, -1);
      const parts: string[] = [];
      for (const segment of [...base, ...target.split('/')]) {
        if (segment === '..') parts.pop();
        else if (segment !== '' && segment !== '.') parts.push(segment);
      }
      current = parts.join('/');
      const member = members.get(current);
      if (member) {
        members.set(name, member);
        break;
      }
    }
  }
}

function rejectCompressed(head: Buffer, file: string): void {
  const gzip = head[0] === 0x1f && head[1] === 0x8b;
  const zstd = head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd;
  if (gzip || zstd) {
    // Serving blobs by offset needs random access, which a compressed stream does not give;
    // decompressing once to disk is the user's call (it may be large), not a hidden side effect.
    throw new VigilError(
      'VIGIL_IMAGE_INVALID',
      `${file} is ${gzip ? 'gzip' : 'zstd'}-compressed; decompress it first (e.g. ${gzip ? 'gunzip' : 'unzstd'} -k)`,
      { file },
    );
  }
}

export function normalizeMemberName(name: string): string {
  return name
    .split('/')
    .filter((segment) => segment !== '' && segment !== '.')
    .join('/');
}

function headerName(header: Buffer): string {
  const name = cString(header, 0, 100);
  // POSIX ustar ("ustar\0") splits long names into prefix + name; GNU ("ustar  ") does not.
  const posix = header.toString('latin1', 257, 263) === 'ustar\0';
  const prefix = posix ? cString(header, 345, 155) : '';
  return prefix ? `${prefix}/${name}` : name;
}

function cString(buf: Buffer, start: number, length: number): string {
  const end = buf.indexOf(0, start);
  return buf.toString('utf8', start, end === -1 || end > start + length ? start + length : end);
}

function parseNumber(field: Buffer): number {
  // GNU base-256: high bit of the first byte set, big-endian two's complement in the rest.
  if ((field[0] ?? 0) & 0x80) {
    if ((field[0] ?? 0) & 0x40) return -1;
    let value = (field[0] ?? 0) & 0x3f;
    for (let i = 1; i < field.length; i++) value = value * 256 + (field[i] ?? 0);
    return value;
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) return Number.NaN;
  return Number.parseInt(text, 8);
}

function checksumValid(header: Buffer): boolean {
  const stored = parseNumber(header.subarray(148, 156));
  let unsigned = 0;
  for (let i = 0; i < BLOCK; i++) unsigned += i >= 148 && i < 156 ? 0x20 : (header[i] ?? 0);
  return stored === unsigned;
}

/** pax extended header records: "LEN KEY=VALUE\n" (POSIX.1-2001, pax "Extended Header"). */
function parsePax(data: Buffer): Record<string, string> {
  const records: Record<string, string> = {};
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space === -1) break;
    const length = Number.parseInt(data.toString('latin1', pos, space), 10);
    if (!Number.isSafeInteger(length) || length <= 0 || pos + length > data.length) break;
    const record = data.toString('utf8', space + 1, pos + length - 1);
    const eq = record.indexOf('=');
    if (eq > 0) records[record.slice(0, eq)] = record.slice(eq + 1);
    pos += length;
  }
  return records;
}
