/**
 * Test support: writes rpm header blobs the way rpm lays them out, so tests can build hostile and
 * edge-case headers and databases. Not used at runtime.
 */
import { RpmType } from './header.ts';

export interface EntrySpec {
  tag: number;
  type: number;
  /** raw data for the entry, appended to the data store (aligned for its type) */
  data: Buffer;
  count: number;
}

/** Writes a header blob as rpm lays it out (lib/header.c headerExport): il, dl, index, data. */
export function headerBlob(entries: EntrySpec[]): Buffer {
  const index = Buffer.alloc(entries.length * 16);
  const chunks: Buffer[] = [];
  let dl = 0;
  entries.forEach((entry, i) => {
    const align = entry.type === RpmType.INT32 ? 4 : entry.type === RpmType.INT16 ? 2 : 1;
    const pad = (align - (dl % align)) % align;
    chunks.push(Buffer.alloc(pad));
    dl += pad;
    index.writeUInt32BE(entry.tag, i * 16);
    index.writeUInt32BE(entry.type, i * 16 + 4);
    index.writeInt32BE(dl, i * 16 + 8);
    index.writeUInt32BE(entry.count, i * 16 + 12);
    chunks.push(entry.data);
    dl += entry.data.length;
  });
  const preamble = Buffer.alloc(8);
  preamble.writeUInt32BE(entries.length, 0);
  preamble.writeUInt32BE(dl, 4);
  return Buffer.concat([preamble, index, ...chunks]);
}

export const str = (tag: number, value: string): EntrySpec => ({
  tag,
  type: RpmType.STRING,
  data: Buffer.from(`${value}\0`),
  count: 1,
});
export const strs = (tag: number, values: string[]): EntrySpec => ({
  tag,
  type: RpmType.STRING_ARRAY,
  data: Buffer.from(values.map((v) => `${v}\0`).join('')),
  count: values.length,
});
export const int32s = (tag: number, values: number[]): EntrySpec => {
  const data = Buffer.alloc(values.length * 4);
  for (const [i, v] of values.entries()) data.writeInt32BE(v, i * 4);
  return { tag, type: RpmType.INT32, data, count: values.length };
};
