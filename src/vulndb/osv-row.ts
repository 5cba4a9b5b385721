import { baseEcosystem, normalizePackageName } from '../core/ecosystem.ts';
import { defineLazy } from '../core/lazy-property.ts';
import type { OsvAffectedEntry, OsvRecord } from '../core/osv.ts';
import { matchingAffected, recordHead } from './advisory-form.ts';
import type { OsvRow, SourceItem } from './types.ts';

/** The row the store writes for a record, given the record's JSON text. */
export function osvRow(record: OsvRecord, json: string): OsvRow {
  const withdrawn = record.withdrawn !== undefined;
  const packages: string[] = [];
  const ecosystems: string[] = [];
  const list = record.affected ?? [];
  // OSV schema "withdrawn": the entry no longer applies; it stays stored but out of the index.
  if (!withdrawn) {
    // AlmaLinux records list a binary package once per module stream it was rebuilt for: the index
    // holds each package once per record.
    const seen = new Set<string>();
    for (const affected of list) {
      if (affected.package === undefined) continue;
      const { ecosystem, name } = affected.package;
      if (!ecosystems.includes(ecosystem)) ecosystems.push(ecosystem);
      const base = baseEcosystem(ecosystem);
      const normalized = normalizePackageName(ecosystem, name);
      const key = `${base}\0${normalized}`;
      if (seen.has(key)) continue;
      seen.add(key);
      packages.push(base, normalized);
    }
  }
  // the store keeps the matcher's form of a record that names one package (see store-schema.ts)
  const entries: OsvAffectedEntry[] = [];
  if (packages.length === 2) {
    list.forEach((affected, index) => {
      if (affected.package !== undefined) entries.push({ index, affected: matchingAffected(affected) });
    });
  }
  return {
    id: record.id,
    modified: record.modified,
    withdrawn,
    aliases: record.aliases ?? [],
    packages,
    ecosystems,
    head: entries.length > 0 ? JSON.stringify(recordHead(record)) : '',
    entries: entries.length > 0 ? JSON.stringify(entries) : '',
    json,
  };
}

/** Whether the bytes a row's JSON is in can still be read (see FetchOptions `itemsUsedAtOnce`). */
export interface RowLease {
  readonly valid: boolean;
}

/**
 * The `osv` item for a row that came from another thread: the store reads the row alone, and the
 * record is parsed from the row's JSON only if some other reader of the source asks for it
 * (through `defineLazy`'s shared getter: a getter closure per item kept its row, JSON included,
 * alive until a full collection).
 */
export function osvRowItem(row: OsvRow, lease?: RowLease): SourceItem {
  return defineLazy({ kind: 'osv' as const, row }, 'record', () => {
    if (lease?.valid === false) {
      throw new Error(`the record ${row.id} was read after the source moved on (itemsUsedAtOnce)`);
    }
    return JSON.parse(typeof row.json === 'string' ? row.json : row.json.toString('utf8')) as OsvRecord;
  });
}
