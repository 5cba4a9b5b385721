import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { OsvRecord } from '../../../core/osv.ts';
import type { SourceItem } from '../../types.ts';

/**
 * Native feeds are grouped by package, but osv.dev's records for them are one per CVE (`DEBIAN-CVE-…`,
 * `ALPINE-CVE-…`) with an `affected[]` entry per (release, package). Parsers therefore yield partial
 * records that share an id; this merges them without holding the feed in memory: records are spilled
 * to `buckets` files by a hash of their id, then each file is read back and merged on its own, so
 * memory holds one bucket (about 1/buckets of the feed). Items other than records pass straight
 * through. If the input fails, the records read so far are still merged and yielded, then the error
 * is rethrown (the store discards a failed source anyway, but it can count what arrived).
 */
export interface MergeOptions {
  /** scratch space; a private subdirectory is made and removed */
  readonly tmpDir: string;
  readonly buckets?: number;
}

export async function* mergeRecordsById(
  items: AsyncIterable<SourceItem>,
  options: MergeOptions,
): AsyncGenerator<SourceItem> {
  const buckets = options.buckets ?? 64;
  const dir = await mkdtemp(join(options.tmpDir, 'merge-'));
  const files = new Map<number, WriteStream>();
  let failure: { error: unknown } | undefined;
  try {
    try {
      for await (const item of items) {
        if (item.kind !== 'osv') {
          yield item;
          continue;
        }
        const bucket = fnv1a(item.record.id) % buckets;
        let file = files.get(bucket);
        if (file === undefined) {
          file = createWriteStream(join(dir, `${bucket}.ndjson`));
          files.set(bucket, file);
        }
        if (!file.write(`${JSON.stringify(item.record)}\n`)) await once(file, 'drain');
      }
    } catch (error) {
      failure = { error };
    }
    await Promise.all([...files.values()].map((file) => closeStream(file)));
    for (const bucket of [...files.keys()].sort((a, b) => a - b)) {
      const merged = new Map<string, OsvRecord>();
      const lines = createInterface({ input: createReadStream(join(dir, `${bucket}.ndjson`)), crlfDelay: Infinity });
      for await (const line of lines) {
        const record = JSON.parse(line) as OsvRecord;
        const earlier = merged.get(record.id);
        merged.set(record.id, earlier === undefined ? record : mergeRecords(earlier, record));
      }
      for (const id of [...merged.keys()].sort()) yield { kind: 'osv', record: merged.get(id)! };
    }
    if (failure !== undefined) throw failure.error;
  } finally {
    for (const file of files.values()) file.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}

/** `a` with `b`'s affected entries, aliases and upstream ids added; the rest of `a` wins. */
export function mergeRecords(a: OsvRecord, b: OsvRecord): OsvRecord {
  const union = (x: readonly string[] | undefined, y: readonly string[] | undefined) =>
    x === undefined && y === undefined ? undefined : [...new Set([...(x ?? []), ...(y ?? [])])];
  const aliases = union(a.aliases, b.aliases);
  const upstream = union(a.upstream, b.upstream);
  return {
    ...a,
    ...(aliases ? { aliases } : {}),
    ...(upstream ? { upstream } : {}),
    ...(a.details === undefined && b.details !== undefined ? { details: b.details } : {}),
    affected: [...(a.affected ?? []), ...(b.affected ?? [])],
  };
}

async function closeStream(file: WriteStream): Promise<void> {
  if (file.closed) return;
  file.end();
  await once(file, 'close');
}

/** FNV-1a, 32 bits (http://www.isthe.com/chongo/tech/comp/fnv/): cheap and spreads ids evenly. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
