import { MAX_BLOB_BYTES } from './header.ts';
import type { PagedFile } from './paged-file.ts';
import type { WarningSink } from './warnings.ts';

/**
 * rpm's own "ndb" package store (Packages.db; SUSE, rpm >= 4.16 --with-ndb), after rpm
 * lib/backend/ndb/rpmpkg.c, which go-rpmdb's pkg/ndb reads the same way. All fields little-endian:
 *
 *   header (32 bytes): "RpmP" magic, version 0, generation, slot page count, next pkgidx, ...
 *   slot pages (4096 bytes each; the header takes the first two 16-byte slots of page 0):
 *     slot: "Slot" magic, pkgidx (0 = free), blkoff, blkcnt; blocks are 16 bytes
 *   blob at blkoff * 16: "BlbS" magic, pkgidx, generation, blob length, then the header blob
 */

const NDB_MAGIC = 0x506d7052; // 'R' | 'p' << 8 | 'm' << 16 | 'P' << 24
const SLOT_MAGIC = 0x746f6c53; // 'S' | 'l' << 8 | 'o' << 16 | 't' << 24
const BLOB_MAGIC = 0x53626c42; // 'B' | 'l' << 8 | 'b' << 16 | 'S' << 24
const NDB_VERSION = 0;
const SLOT_PAGE_SIZE = 4096;
const SLOT_SIZE = 16;
const BLOCK_SIZE = 16;
const BLOB_HEADER_SIZE = 16;
/** go-rpmdb refuses more slot pages than this (about half a million packages) */
const MAX_SLOT_PAGES = 2048;

export function isNdb(head: Buffer): boolean {
  return head.length >= 4 && head.readUInt32LE(0) === NDB_MAGIC;
}

/** Yields every header blob the slot table points to; problems go to `warnings`. */
export async function* ndbHeaderBlobs(file: PagedFile, warnings: WarningSink): AsyncGenerator<Buffer> {
  const head = await file.read(0, 32);
  if (!isNdb(head) || head.length < 32) {
    warnings.push('not an rpm NDB database (no "RpmP" magic)');
    return;
  }
  const version = head.readUInt32LE(4);
  if (version !== NDB_VERSION) {
    warnings.push(`NDB version ${version} is not supported`);
    return;
  }
  const slotPages = head.readUInt32LE(12);
  if (slotPages === 0 || slotPages > MAX_SLOT_PAGES) {
    warnings.push(`NDB slot page count ${slotPages} is out of range`);
    return;
  }
  const seen = new Set<number>();
  for (let pageNo = 0; pageNo < slotPages; pageNo++) {
    const page = await file.read(pageNo * SLOT_PAGE_SIZE, SLOT_PAGE_SIZE);
    if (page.length < SLOT_PAGE_SIZE) {
      warnings.push(`NDB slot page ${pageNo} is cut short: the file ends at ${file.size} bytes`);
      return;
    }
    for (let at = pageNo === 0 ? 2 * SLOT_SIZE : 0; at < SLOT_PAGE_SIZE; at += SLOT_SIZE) {
      if (page.readUInt32LE(at) !== SLOT_MAGIC) {
        warnings.push(`NDB slot at byte ${pageNo * SLOT_PAGE_SIZE + at} has a bad magic; slot table abandoned`);
        return;
      }
      const pkgIdx = page.readUInt32LE(at + 4);
      if (pkgIdx === 0) continue;
      if (seen.has(pkgIdx)) {
        warnings.push(`NDB package ${pkgIdx} appears in two slots; the second is skipped`);
        continue;
      }
      seen.add(pkgIdx);
      const blob = await readBlob(file, pkgIdx, page.readUInt32LE(at + 8), page.readUInt32LE(at + 12));
      if (typeof blob === 'string') warnings.push(`NDB package ${pkgIdx}: ${blob}; skipped`);
      else yield blob;
    }
  }
}

async function readBlob(file: PagedFile, pkgIdx: number, blockOffset: number, blockCount: number) {
  const offset = blockOffset * BLOCK_SIZE;
  const blobHeader = await file.read(offset, BLOB_HEADER_SIZE);
  if (blobHeader.length < BLOB_HEADER_SIZE) return `blob at byte ${offset} lies past the end of the file`;
  if (blobHeader.readUInt32LE(0) !== BLOB_MAGIC) return `blob at byte ${offset} has a bad magic`;
  if (blobHeader.readUInt32LE(4) !== pkgIdx)
    return `blob at byte ${offset} belongs to package ${blobHeader.readUInt32LE(4)}`;
  const length = blobHeader.readUInt32LE(12);
  // rpmpkg.c rpmpkgVerifyblob: the blob (with its 16-byte head and 12-byte tail) fills blkcnt blocks
  if (length === 0 || length > MAX_BLOB_BYTES || BLOB_HEADER_SIZE + length > blockCount * BLOCK_SIZE) {
    return `blob length ${length} does not fit its ${blockCount} blocks`;
  }
  const blob = await file.read(offset + BLOB_HEADER_SIZE, length);
  if (blob.length < length) return `blob is cut short: the file ends at ${file.size} bytes`;
  return blob;
}
