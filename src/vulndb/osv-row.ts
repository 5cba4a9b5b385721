import type { OsvRecord } from '../core/osv.ts';
import type { OsvRow, SourceItem } from './types.ts';

/** The row the store writes for a record, given the record's JSON text. */
export function osvRow(record: OsvRecord, json: string): OsvRow {
  const packages: string[] = [];
  for (const affected of record.affected ?? []) {
    if (affected.package !== undefined) packages.push(affected.package.ecosystem, affected.package.name);
  }
  return {
    id: record.id,
    modified: record.modified,
    withdrawn: record.withdrawn !== undefined,
    aliases: record.aliases ?? [],
    packages,
    json,
  };
}

/**
 * The `osv` item for a row that came from another thread: the store reads the row alone, and the
 * record is parsed from the row's JSON only if some other reader of the source asks for it.
 */
export function osvRowItem(row: OsvRow): SourceItem {
  let record: OsvRecord | undefined;
  return {
    kind: 'osv',
    row,
    get record(): OsvRecord {
      record ??= JSON.parse(row.json) as OsvRecord;
      return record;
    },
  };
}
