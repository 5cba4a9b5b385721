import { baseEcosystem, normalizePackageName } from '../core/ecosystem.ts';
import type { OsvAffected, OsvAffectedEntry, OsvRecord } from '../core/osv.ts';
import { matchingAffected, recordHead } from './advisory-form.ts';
import type { OsvRow, SourceItem } from './types.ts';

/** The row the store writes for a record, given the record's JSON text. */
export function osvRow(record: OsvRecord, json: string): OsvRow {
  const withdrawn = record.withdrawn !== undefined;
  const packages: string[] = [];
  const ecosystems: string[] = [];
  const forms: string[] = [];
  // OSV schema "withdrawn": the entry no longer applies; it stays stored but out of the index.
  if (!withdrawn) {
    // AlmaLinux records list a binary package once per module stream it was rebuilt for: the index
    // holds each package once per record, with all its entries.
    const entries = new Map<string, OsvAffectedEntry[]>();
    const list = record.affected ?? [];
    for (let index = 0; index < list.length; index++) {
      const affected = list[index] as OsvAffected;
      if (affected.package === undefined) continue;
      const { ecosystem, name } = affected.package;
      if (!ecosystems.includes(ecosystem)) ecosystems.push(ecosystem);
      const base = baseEcosystem(ecosystem);
      const normalized = normalizePackageName(ecosystem, name);
      const key = `${base}\0${normalized}`;
      const entry = { index, affected: matchingAffected(affected) };
      const known = entries.get(key);
      if (known !== undefined) {
        known.push(entry);
        continue;
      }
      entries.set(key, [entry]);
      packages.push(base, normalized);
    }
    for (const list of entries.values()) forms.push(JSON.stringify(list));
  }
  return {
    id: record.id,
    modified: record.modified,
    withdrawn,
    aliases: record.aliases ?? [],
    packages,
    ecosystems,
    head: withdrawn ? '' : JSON.stringify(recordHead(record)),
    forms,
    json,
  };
}

/** Whether the bytes a row's JSON is in can still be read (see FetchOptions `itemsUsedAtOnce`). */
export interface RowLease {
  readonly valid: boolean;
}

/**
 * The `osv` item for a row that came from another thread: the store reads the row alone, and the
 * record is parsed from the row's JSON only if some other reader of the source asks for it.
 */
export function osvRowItem(row: OsvRow, lease?: RowLease): SourceItem {
  let record: OsvRecord | undefined;
  return {
    kind: 'osv',
    row,
    get record(): OsvRecord {
      if (record === undefined) {
        if (lease?.valid === false) {
          throw new Error(`the record ${row.id} was read after the source moved on (itemsUsedAtOnce)`);
        }
        record = JSON.parse(typeof row.json === 'string' ? row.json : row.json.toString('utf8')) as OsvRecord;
      }
      return record;
    },
  };
}
