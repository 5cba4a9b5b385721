/**
 * How binary extractors (lang/go, lang/rust) reach executables: which files are worth opening, and
 * positional reads of a file on disk (or of a buffer, in tests) so that headers and sections are
 * read piecewise and a 100 MB binary is never loaded whole.
 */
import { open } from 'node:fs/promises';

/** positional reads; a read past the end returns fewer bytes */
export interface RandomAccess {
  readonly size: number;
  read(offset: number, length: number): Promise<Buffer>;
}

export function fileAccess(
  handle: { read: (b: Buffer, o: number, l: number, p: number) => Promise<{ bytesRead: number }> },
  size: number,
): RandomAccess {
  return {
    size,
    async read(offset, length) {
      const len = Math.max(0, Math.min(length, size - offset));
      if (len === 0 || offset < 0) return Buffer.alloc(0);
      const buf = Buffer.alloc(len);
      const { bytesRead } = await handle.read(buf, 0, len, offset);
      return bytesRead === len ? buf : buf.subarray(0, bytesRead);
    },
  };
}

export function bufferAccess(bytes: Buffer): RandomAccess {
  return {
    size: bytes.length,
    async read(offset, length) {
      if (offset < 0 || length <= 0) return Buffer.alloc(0);
      return bytes.subarray(offset, Math.min(bytes.length, offset + length));
    },
  };
}

/** Opens the file at `localPath` for the duration of `use`. */
export async function withFile<T>(localPath: string, use: (file: RandomAccess) => Promise<T>): Promise<T> {
  const handle = await open(localPath, 'r');
  try {
    const { size } = await handle.stat();
    return await use(fileAccess(handle, size));
  } finally {
    await handle.close();
  }
}

const MIN_EXECUTABLE_BYTES = 4 * 1024;
export const MAX_EXECUTABLE_BYTES = 512 * 1024 * 1024;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
/** where executables are scripts, data or shared objects rather than programs */
const NOT_PROGRAM_DIRS = ['usr/share/', 'usr/include/', 'etc/', 'proc/', 'sys/', 'dev/'];
const NOT_PROGRAM_SUFFIX =
  /\.(?:sh|bash|zsh|py|pyc|pl|pm|rb|js|mjs|cjs|php|lua|tcl|txt|md|json|ya?ml|toml|xml|html?|conf|cfg|ini|h|c|go|rs|ts|a|o|ko|jar|war|class|so(?:\.\d+)*)$/;

/**
 * The cheap test binary extractors share (after osv-scalibr's gobinary FileRequired): a regular
 * file with an executable bit, of a size a compiled program can have, outside places that hold
 * scripts and data. Whether it is really ELF/PE/Mach-O is for `extract` to find out.
 */
export function isExecutableCandidate(path: string, size: number, mode: number): boolean {
  if ((mode & 0o111) === 0) return false;
  const type = mode & S_IFMT;
  if (type !== 0 && type !== S_IFREG) return false;
  if (size < MIN_EXECUTABLE_BYTES || size > MAX_EXECUTABLE_BYTES) return false;
  if (NOT_PROGRAM_DIRS.some((dir) => path.startsWith(dir))) return false;
  return !NOT_PROGRAM_SUFFIX.test(path);
}
