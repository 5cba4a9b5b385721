/**
 * The Node.js version inside a `node` executable, found the way syft's binary classifier does
 * (syft/pkg/cataloger/binary/classifiers.go, "nodejs-binary"): the `node.js/vX.Y.Z` string that
 * process.release and the headers URL leave in every build since 0.x, else the NUL-delimited
 * `vX.Y.Z` / `node vX.Y.Z` of Node 0.10–6. The file is read in chunks with an overlap, never whole.
 */
import { open } from 'node:fs/promises';

const CHUNK = 1 << 20;
/** longer than any marker plus version ("\0node v999.999.999\0" and "node.js/v…") */
const OVERLAP = 64;
/** The largest official Node binaries are ~130 MB; a file past this bound is not scanned further. */
export const MAX_SCAN = 512 * 1024 * 1024;

const RELEASE_MARKER = /node\.js\/v([0-9]+\.[0-9]+\.[0-9]+)/;
const LEGACY_MARKER = /\x00(?:node )?v((?:0|4|5|6)\.[0-9]+\.[0-9]+)\x00/;

export interface NodeBinaryScan {
  readonly version?: string;
  /** starts with the ELF, Mach-O or PE magic: a real executable, worth a warning when no version turns up */
  readonly executable: boolean;
  readonly truncatedScan: boolean;
}

const MAGICS = [
  Buffer.from([0x7f, 0x45, 0x4c, 0x46]),
  Buffer.from([0xcf, 0xfa, 0xed, 0xfe]),
  Buffer.from([0xce, 0xfa, 0xed, 0xfe]),
  Buffer.from([0xca, 0xfe, 0xba, 0xbe]),
  Buffer.from('MZ'),
];

export async function scanNodeBinary(localPath: string, maxScan = MAX_SCAN): Promise<NodeBinaryScan> {
  const handle = await open(localPath, 'r');
  try {
    const buffer = Buffer.alloc(CHUNK + OVERLAP);
    let carried = 0;
    let offset = 0;
    let executable = false;
    let legacy: string | undefined;
    while (offset < maxScan) {
      const { bytesRead } = await handle.read(buffer, carried, Math.min(CHUNK, maxScan - offset), offset);
      if (bytesRead === 0) return { executable, truncatedScan: false, ...(legacy ? { version: legacy } : {}) };
      if (offset === 0) executable = MAGICS.some((magic) => buffer.subarray(0, magic.length).equals(magic));
      offset += bytesRead;
      // latin1 maps bytes to code points one to one, so the regexes see the raw bytes
      const window = buffer.toString('latin1', 0, carried + bytesRead);
      const release = RELEASE_MARKER.exec(window);
      if (release) return { version: release[1]!, executable, truncatedScan: false };
      legacy ??= LEGACY_MARKER.exec(window)?.[1];
      const total = carried + bytesRead;
      carried = Math.min(OVERLAP, total);
      buffer.copyWithin(0, total - carried, total);
    }
    return { executable, truncatedScan: true, ...(legacy ? { version: legacy } : {}) };
  } finally {
    await handle.close();
  }
}
