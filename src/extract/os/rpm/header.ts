/**
 * The rpm header blob, as every rpmdb backend stores it per package (rpm lib/header.c,
 * headerImport/hdrblobInit/hdrblobVerifyInfo; go-rpmdb pkg/entry.go reads the same layout):
 *
 *   int32 il        index entry count            (big-endian, like every field below)
 *   int32 dl        data store length in bytes
 *   il x { int32 tag, uint32 type, int32 offset, uint32 count }   16-byte index entries
 *   dl bytes        the data store that `offset` points into
 *
 * The first entry is normally the region tag (HEADER_IMMUTABLE 63, type BIN, count 16) whose
 * trailer marks which entries were signed; a reader of installed packages only needs the tags, so
 * the region is treated as an ordinary BIN entry. Every offset and count is checked against the
 * blob before use: a hostile header (counts in the billions, offsets out of range, strings without
 * a NUL) loses the entry or the whole header, never the scan.
 */

/** rpm lib/rpmtag.h rpmTagType_e */
export const RpmType = {
  NULL: 0,
  CHAR: 1,
  INT8: 2,
  INT16: 3,
  INT32: 4,
  INT64: 5,
  STRING: 6,
  BIN: 7,
  STRING_ARRAY: 8,
  I18NSTRING: 9,
} as const;

/** bytes per element of the fixed-width types (rpm lib/header.c typeSizes) */
const fixedSize: Readonly<Record<number, number>> = {
  [RpmType.CHAR]: 1,
  [RpmType.INT8]: 1,
  [RpmType.INT16]: 2,
  [RpmType.INT32]: 4,
  [RpmType.INT64]: 8,
  [RpmType.BIN]: 1,
};

/** rpm lib/header_internal.h: HEADER_TAGS_MAX and HEADER_DATA_MAX (hdrchkTags / hdrchkData) */
export const HEADER_TAGS_MAX = 0xffff;
export const HEADER_DATA_MAX = 0x0fffffff;
/** no installed rpm header comes near this; it bounds what a lying length field can make us allocate */
export const MAX_BLOB_BYTES = 64 * 1024 * 1024;
const ENTRY_SIZE = 16;
const PREAMBLE_SIZE = 8;

interface IndexEntry {
  readonly type: number;
  /** absolute position in the blob */
  readonly start: number;
  readonly count: number;
}

export type HeaderParse = { readonly header: RpmHeader } | { readonly problem: string };

export class RpmHeader {
  readonly #blob: Buffer;
  readonly #entries: ReadonlyMap<number, IndexEntry>;
  /** entries dropped as malformed; the package is still usable without them */
  readonly problems: readonly string[];

  private constructor(blob: Buffer, entries: ReadonlyMap<number, IndexEntry>, problems: string[]) {
    this.#blob = blob;
    this.#entries = entries;
    this.problems = problems;
  }

  static parse(blob: Buffer): HeaderParse {
    if (blob.length < PREAMBLE_SIZE) return { problem: `header blob of ${blob.length} bytes is too short` };
    const il = blob.readUInt32BE(0);
    const dl = blob.readUInt32BE(4);
    if (il < 1 || il > HEADER_TAGS_MAX) return { problem: `header index count ${il} is out of range` };
    if (dl > HEADER_DATA_MAX) return { problem: `header data length ${dl} is out of range` };
    const dataStart = PREAMBLE_SIZE + il * ENTRY_SIZE;
    const dataEnd = dataStart + dl;
    if (dataEnd > blob.length) {
      return { problem: `header needs ${dataEnd} bytes but the blob has ${blob.length}` };
    }
    const entries = new Map<number, IndexEntry>();
    const problems: string[] = [];
    for (let i = 0; i < il; i++) {
      const at = PREAMBLE_SIZE + i * ENTRY_SIZE;
      const tag = blob.readUInt32BE(at);
      const type = blob.readUInt32BE(at + 4);
      const offset = blob.readInt32BE(at + 8);
      const count = blob.readUInt32BE(at + 12);
      const invalid = entryProblem(blob, type, offset, count, dataStart, dataEnd);
      if (invalid !== undefined) {
        problems.push(`tag ${tag}: ${invalid}`);
        continue;
      }
      // rpm keeps the first copy of a tag (headerGet finds the first match in the sorted index)
      if (!entries.has(tag)) entries.set(tag, { type, start: dataStart + offset, count });
    }
    return { header: new RpmHeader(blob, entries, problems) };
  }

  has(tag: number): boolean {
    return this.#entries.has(tag);
  }

  /** STRING, or the first element of STRING_ARRAY / I18NSTRING (rpm's default locale) */
  string(tag: number): string | undefined {
    const entry = this.#entries.get(tag);
    if (!entry || !isStringType(entry.type)) return undefined;
    const nul = this.#blob.indexOf(0, entry.start);
    return this.#blob.toString('utf8', entry.start, nul);
  }

  stringArray(tag: number): string[] | undefined {
    const entry = this.#entries.get(tag);
    if (!entry || !isStringType(entry.type)) return undefined;
    if (entry.type === RpmType.STRING) return [this.string(tag) ?? ''];
    const values: string[] = [];
    let at = entry.start;
    for (let i = 0; i < entry.count; i++) {
      const nul = this.#blob.indexOf(0, at);
      values.push(this.#blob.toString('utf8', at, nul));
      at = nul + 1;
    }
    return values;
  }

  /** INT8/INT16/INT32 values, widened; INT64 is not used by the tags read here */
  integers(tag: number): number[] | undefined {
    const entry = this.#entries.get(tag);
    if (!entry) return undefined;
    const size =
      entry.type === RpmType.INT32 ? 4 : entry.type === RpmType.INT16 ? 2 : entry.type === RpmType.INT8 ? 1 : 0;
    if (size === 0) return undefined;
    const values = new Array<number>(entry.count);
    for (let i = 0; i < entry.count; i++) {
      const at = entry.start + i * size;
      values[i] =
        size === 4 ? this.#blob.readInt32BE(at) : size === 2 ? this.#blob.readUInt16BE(at) : this.#blob.readUInt8(at);
    }
    return values;
  }

  integer(tag: number): number | undefined {
    const entry = this.#entries.get(tag);
    if (!entry || entry.count < 1) return undefined;
    return this.integers(tag)?.[0];
  }
}

function isStringType(type: number): boolean {
  return type === RpmType.STRING || type === RpmType.STRING_ARRAY || type === RpmType.I18NSTRING;
}

/**
 * Why an entry cannot be trusted, if it cannot (rpm lib/header.c hdrblobVerifyInfo: hdrchkType,
 * hdrchkAlign, hdrchkRange; dataLength walks strings to their NUL).
 */
function entryProblem(
  blob: Buffer,
  type: number,
  offset: number,
  count: number,
  dataStart: number,
  dataEnd: number,
): string | undefined {
  if (type < RpmType.CHAR || type > RpmType.I18NSTRING) return `type ${type} is unknown`;
  const dl = dataEnd - dataStart;
  if (offset < 0 || offset >= dl) return `offset ${offset} is outside the ${dl}-byte data store`;
  if (count < 1) return 'count is 0';
  const size = fixedSize[type];
  if (size !== undefined) {
    if (offset % size !== 0) return `offset ${offset} is not aligned to ${size}`;
    if (count > (dl - offset) / size) return `count ${count} runs past the data store`;
    return undefined;
  }
  if (type === RpmType.STRING && count !== 1) return `STRING count ${count} is not 1`;
  // each string takes at least its NUL, so a count beyond the remaining bytes is a lie
  if (count > dl - offset) return `count ${count} runs past the data store`;
  let at = dataStart + offset;
  for (let i = 0; i < count; i++) {
    const nul = blob.indexOf(0, at);
    if (nul < 0 || nul >= dataEnd) return 'string is not NUL-terminated inside the data store';
    at = nul + 1;
  }
  return undefined;
}
