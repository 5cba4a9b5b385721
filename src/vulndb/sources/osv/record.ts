import { z } from 'zod';
import type { OsvRecord } from '../../../core/osv.ts';

/**
 * The minimal shape of an OSV record (https://ossf.github.io/osv-schema/) that the store and the
 * matcher rely on: `id` and `modified` are required by the schema; `affected[].package` names what
 * the index is built from; ranges carry `type` and `events`. Everything else passes through.
 */
const event = z
  .object({
    introduced: z.string().optional(),
    fixed: z.string().optional(),
    last_affected: z.string().optional(),
    limit: z.string().optional(),
  })
  .loose();

const affected = z
  .object({
    package: z
      .object({ ecosystem: z.string().min(1), name: z.string().min(1), purl: z.string().optional() })
      .loose()
      .optional(),
    ranges: z.array(z.object({ type: z.string().min(1), events: z.array(event) }).loose()).optional(),
    versions: z.array(z.string()).optional(),
  })
  .loose();

const osvRecordShape = z
  .object({
    id: z.string().min(1).max(256),
    modified: z.string().refine((value) => !Number.isNaN(Date.parse(value)), 'is not an RFC 3339 time'),
    withdrawn: z.string().optional(),
    aliases: z.array(z.string()).optional(),
    affected: z.array(affected).optional(),
  })
  .loose();

export type ParsedOsvRecord = { ok: true; record: OsvRecord } | { ok: false; reason: string };

/** Parses one `<ID>.json` entry; the record returned is the JSON as written, not a copy. */
export function parseOsvRecord(text: string): ParsedOsvRecord {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `invalid JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  const checked = osvRecordShape.safeParse(json);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'record';
    return { ok: false, reason: `not an OSV record: ${where}: ${issue?.message ?? 'invalid'}` };
  }
  return { ok: true, record: json as OsvRecord };
}
