import { MAX_BLOB_BYTES } from './header.ts';
import type { PagedFile } from './paged-file.ts';
import type { WarningSink } from './warnings.ts';

/**
 * The BerkeleyDB hash database rpm < 4.16 keeps in /var/lib/rpm/Packages, read page by page.
 * Layout from Berkeley DB's dbinc/db_page.h (DBMETA/HMETA, PAGE, HOFFPAGE) and hash/hash.h, as
 * go-rpmdb's pkg/bdb reads it: page 0 is the hash metadata page; every hash page holds key/data
 * item pairs; rpm's header blobs are too big for a page, so each data item is an H_OFFPAGE
 * reference to a chain of overflow pages. Every structure is in the byte order of the machine
 * that wrote it, told apart by the magic number; the header blobs inside are big-endian always.
 */

const HASH_MAGIC = 0x061561;
/** db_page.h: SIZEOF_PAGE, the common page header (lsn, pgno, prev/next pgno, entries, hf_offset, level, type) */
const PAGE_HEADER_SIZE = 26;
const P_HASH_UNSORTED = 2;
const P_OVERFLOW = 7;
const P_HASH = 13;
/** db_page.h item types, the first byte of every hash item */
const H_KEYDATA = 1;
const H_OFFPAGE = 3;
/** HOFFPAGE: type, 3 unused bytes, pgno, tlen */
const HOFFPAGE_SIZE = 12;

interface HashMeta {
  readonly littleEndian: boolean;
  readonly pageSize: number;
  readonly lastPage: number;
}

interface PageHeader {
  readonly nextPage: number;
  readonly entries: number;
  readonly hfOffset: number;
  readonly type: number;
}

export function isBerkeleyHash(head: Buffer): boolean {
  return head.length >= 16 && (head.readUInt32LE(12) === HASH_MAGIC || head.readUInt32BE(12) === HASH_MAGIC);
}

/** An H_OFFPAGE data item: where its overflow chain starts and how long the value is. */
interface OffPageRef {
  readonly where: string;
  readonly firstPage: number;
  readonly length: number;
}

/**
 * Yields every header blob; problems go to `warnings` and end or skip only what they touch.
 * Two passes: the hash pages are walked in file order collecting H_OFFPAGE references, then the
 * overflow chains are read in the order of their first page. BerkeleyDB allocates a value's
 * overflow pages as it stores it, so that order reads the file nearly sequentially (and roughly in
 * install order), where following each reference from its hash page jumps around the file.
 */
export async function* bdbHeaderBlobs(file: PagedFile, warnings: WarningSink): AsyncGenerator<Buffer> {
  const meta = readMeta(await file.read(0, 512), file.size, warnings);
  if (!meta) return;
  const refs: OffPageRef[] = [];
  yield* hashPageValues(file, meta, refs, warnings);
  refs.sort((a, b) => a.firstPage - b.firstPage);
  for (const ref of refs) {
    const blob = await overflowChain(file, meta, ref.firstPage, ref.length);
    if (typeof blob === 'string') warnings.push(`BerkeleyDB ${ref.where}: ${blob}; skipped`);
    else yield blob;
  }
}

/** Walks the hash pages: yields values stored in the page itself, collects off-page ones in `refs`. */
async function* hashPageValues(
  file: PagedFile,
  meta: HashMeta,
  refs: OffPageRef[],
  warnings: WarningSink,
): AsyncGenerator<Buffer> {
  const { pageSize, littleEndian } = meta;
  for (let pageNo = 1; pageNo <= meta.lastPage; pageNo++) {
    const page = await file.read(pageNo * pageSize, pageSize);
    if (page.length < pageSize) {
      warnings.push(`BerkeleyDB page ${pageNo} is cut short: the file ends at ${file.size} bytes`);
      return;
    }
    const header = pageHeader(page, littleEndian);
    if (header.type !== P_HASH && header.type !== P_HASH_UNSORTED) continue;
    // the item index (one uint16 per item) follows the page header; items pair up as key, data
    const maxEntries = Math.floor((pageSize - PAGE_HEADER_SIZE) / 2);
    if (header.entries > maxEntries) {
      warnings.push(`BerkeleyDB page ${pageNo} claims ${header.entries} items; skipped`);
      continue;
    }
    for (let item = 1; item < header.entries; item += 2) {
      const at = u16(page, PAGE_HEADER_SIZE + item * 2, littleEndian);
      // db_page.h LEN_HITEM: an item runs up to the start of the item before it (or the page end)
      const until = u16(page, PAGE_HEADER_SIZE + (item - 1) * 2, littleEndian);
      if (at < PAGE_HEADER_SIZE || at >= pageSize || until > pageSize || until <= at) {
        warnings.push(`BerkeleyDB page ${pageNo} item ${item} is out of bounds; skipped`);
        continue;
      }
      if (isInstanceCounter(page, item - 1, pageSize, littleEndian)) continue;
      const kind = page[at];
      if (kind === H_KEYDATA) {
        yield Buffer.from(page.subarray(at + 1, until));
      } else if (kind === H_OFFPAGE) {
        if (at + HOFFPAGE_SIZE > pageSize) {
          warnings.push(`BerkeleyDB page ${pageNo} item ${item} is out of bounds; skipped`);
          continue;
        }
        const where = `page ${pageNo} item ${item}`;
        refs.push({ where, firstPage: u32(page, at + 4, littleEndian), length: u32(page, at + 8, littleEndian) });
      }
    }
  }
}

/**
 * rpm keys Packages by a uint32 instance number; the record under key 0 is not a header but the
 * counter of the next instance (rpm lib/backend/db3.c, dbiCursorGet on Packages; go-rpmdb only
 * ever sees it as a short in-page item and skips it).
 */
function isInstanceCounter(page: Buffer, keyItem: number, pageSize: number, littleEndian: boolean): boolean {
  const at = u16(page, PAGE_HEADER_SIZE + keyItem * 2, littleEndian);
  const until = keyItem === 0 ? pageSize : u16(page, PAGE_HEADER_SIZE + (keyItem - 1) * 2, littleEndian);
  return until - at === 5 && page[at] === H_KEYDATA && at + 5 <= pageSize && page.readUInt32LE(at + 1) === 0;
}

function readMeta(head: Buffer, fileSize: number, warnings: WarningSink): HashMeta | undefined {
  if (!isBerkeleyHash(head) || head.length < 36) {
    warnings.push('not a BerkeleyDB hash database (no 0x061561 magic at offset 12)');
    return undefined;
  }
  const littleEndian = head.readUInt32LE(12) === HASH_MAGIC;
  // DBMETA: pagesize at 20, encrypt_alg at 24, last_pgno at 32
  const pageSize = u32(head, 20, littleEndian);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) {
    warnings.push(`BerkeleyDB page size ${pageSize} is not a power of two between 512 and 65536`);
    return undefined;
  }
  if (head[24] !== 0) {
    warnings.push('BerkeleyDB database is encrypted; not readable');
    return undefined;
  }
  const claimedLast = u32(head, 32, littleEndian);
  const lastInFile = Math.floor(fileSize / pageSize) - 1;
  if (claimedLast > lastInFile) {
    warnings.push(`BerkeleyDB metadata names page ${claimedLast} as last but the file holds ${lastInFile + 1} pages`);
  }
  return { littleEndian, pageSize, lastPage: Math.min(claimedLast, lastInFile + 1) };
}

/** Concatenates an overflow chain (db_page.h: on P_OVERFLOW pages hf_offset is the bytes used). */
async function overflowChain(file: PagedFile, meta: HashMeta, first: number, total: number): Promise<Buffer | string> {
  if (total === 0 || total > MAX_BLOB_BYTES) return `overflow length ${total} is out of range`;
  const capacity = meta.pageSize - PAGE_HEADER_SIZE;
  const blob = Buffer.alloc(total);
  const seen = new Set<number>();
  let filled = 0;
  let pageNo = first;
  while (filled < total) {
    if (pageNo === 0 || pageNo > meta.lastPage) return `overflow chain leaves the file at page ${pageNo}`;
    if (seen.has(pageNo)) return `overflow chain loops back to page ${pageNo}`;
    seen.add(pageNo);
    const page = await file.read(pageNo * meta.pageSize, meta.pageSize);
    if (page.length < meta.pageSize) return `overflow page ${pageNo} is cut short`;
    const header = pageHeader(page, meta.littleEndian);
    if (header.type !== P_OVERFLOW) return `page ${pageNo} in an overflow chain has type ${header.type}`;
    const used = Math.min(header.hfOffset, capacity, total - filled);
    if (used === 0) return `overflow page ${pageNo} is empty`;
    page.copy(blob, filled, PAGE_HEADER_SIZE, PAGE_HEADER_SIZE + used);
    filled += used;
    pageNo = header.nextPage;
  }
  return blob;
}

function pageHeader(page: Buffer, littleEndian: boolean): PageHeader {
  return {
    nextPage: u32(page, 16, littleEndian),
    entries: u16(page, 20, littleEndian),
    hfOffset: u16(page, 22, littleEndian),
    type: page[25] ?? 0,
  };
}

function u32(buffer: Buffer, at: number, littleEndian: boolean): number {
  return littleEndian ? buffer.readUInt32LE(at) : buffer.readUInt32BE(at);
}

function u16(buffer: Buffer, at: number, littleEndian: boolean): number {
  return littleEndian ? buffer.readUInt16LE(at) : buffer.readUInt16BE(at);
}
