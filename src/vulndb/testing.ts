import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { OsvRecord } from '../core/osv.ts';
import type { SourceItem, VulnSource } from './types.ts';
import { writeZip, type ZipEntryOptions } from './zip-writer.ts';

/** Test support: OSV records in the shape osv.dev publishes, and mirrors laid out like its bucket. */

export interface RecordSpec {
  readonly ecosystem?: string;
  readonly name?: string;
  readonly modified?: string;
  readonly withdrawn?: string;
  readonly aliases?: readonly string[];
  readonly fixed?: string;
  readonly packages?: ReadonlyArray<readonly [ecosystem: string, name: string]>;
}

export function osvRecord(id: string, spec: RecordSpec = {}): OsvRecord {
  const packages = spec.packages ?? [[spec.ecosystem ?? 'npm', spec.name ?? 'left-pad']];
  return {
    schema_version: '1.6.0',
    id,
    modified: spec.modified ?? '2025-01-01T00:00:00Z',
    published: '2024-06-01T00:00:00Z',
    ...(spec.withdrawn !== undefined ? { withdrawn: spec.withdrawn } : {}),
    aliases: spec.aliases ?? [],
    summary: `test advisory ${id}`,
    affected: packages.map(([ecosystem, name]) => ({
      package: { ecosystem, name },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: spec.fixed ?? '1.0.0' }] }],
    })),
  };
}

/** Writes `<dir>/<ecosystem>/all.zip` holding each record as `<ID>.json`. */
export async function writeMirrorZip(
  dir: string,
  ecosystem: string,
  entries: ReadonlyArray<OsvRecord | readonly [string, Buffer | string, ZipEntryOptions?]>,
): Promise<string> {
  await mkdir(join(dir, ecosystem), { recursive: true });
  const path = join(dir, ecosystem, 'all.zip');
  await writeZip(
    path,
    entries.map((entry) =>
      Array.isArray(entry)
        ? (entry as readonly [string, Buffer | string, ZipEntryOptions?])
        : ([`${(entry as OsvRecord).id}.json`, JSON.stringify(entry, null, 2)] as const),
    ),
  );
  return path;
}

/** A source that yields the given items, then throws `failWith` when set. */
export function inlineSource(name: string, items: readonly SourceItem[], failWith?: Error): VulnSource {
  return {
    name,
    async *fetch() {
      for (const item of items) yield item;
      if (failWith !== undefined) throw failWith;
    },
  };
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}
