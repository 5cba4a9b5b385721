import { VigilError } from '../../../core/errors.ts';
import type { EpssEntry } from '../../../core/osv.ts';
import type { SourceItem } from '../../types.ts';
import { type Line, lines, maybeGunzip } from './feed-text.ts';

/**
 * EPSS scores as FIRST publishes them (https://www.first.org/epss/data_stats): a CSV, usually gzipped,
 * whose first line is a comment `#model_version:v2023.03.01,score_date:2025-02-20T00:00:00+0000`,
 * then the header `cve,epss,percentile`, then one row per CVE with the probability and its percentile,
 * both in [0, 1]. Read line by line.
 */

const CVE_ID = /^CVE-\d{4}-\d{4,}$/;
const HEADER = 'cve,epss,percentile';
/** a row is ~30 characters; anything far longer is not a row */
const MAX_LINE_CHARS = 1024;

export async function* parseEpss(
  input: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
): AsyncGenerator<SourceItem> {
  let date: string | undefined;
  let header = false;
  for await (const line of lines(maybeGunzip(input), MAX_LINE_CHARS)) {
    const where = `epss:line ${line.number}`;
    if (!header) {
      const text = line.text?.trim();
      if (line.number === 1 && text?.startsWith('#')) {
        date = scoreDate(text);
        continue;
      }
      if (text?.toLowerCase() !== HEADER) throw notEpss(`line ${line.number} is not the "${HEADER}" header`);
      header = true;
      continue;
    }
    if (line.text === '') continue;
    const entry = epssRow(line, date);
    yield typeof entry === 'string' ? { kind: 'skipped', where, reason: entry } : { kind: 'epss', entry };
  }
  if (!header) throw notEpss('no header');
}

/** `score_date` from the comment line, as YYYY-MM-DD. */
function scoreDate(comment: string): string | undefined {
  for (const field of comment.slice(1).split(',')) {
    const [key, value] = field.split(/:(.*)/s);
    if (key?.trim() === 'score_date') return /^\d{4}-\d{2}-\d{2}/.exec(value?.trim() ?? '')?.[0];
  }
  return undefined;
}

/** The row as an entry, or why it cannot be used. */
export function epssRow(line: Line, date?: string): EpssEntry | string {
  if (line.text === undefined) return `longer than ${MAX_LINE_CHARS} characters`;
  const fields = line.text.split(',');
  if (fields.length !== 3) return `${fields.length} fields, expected 3`;
  const [cveId, score, percentile] = fields.map((f) => f.trim()) as [string, string, string];
  if (!CVE_ID.test(cveId)) return `${JSON.stringify(cveId.slice(0, 40))} is not a CVE id`;
  const probability = unitInterval(score);
  const rank = unitInterval(percentile);
  if (probability === undefined || rank === undefined) return `${cveId}: epss and percentile must be numbers in [0, 1]`;
  return { cveId, score: probability, percentile: rank, ...(date ? { date } : {}) };
}

function unitInterval(text: string): number | undefined {
  if (!/^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/.test(text)) return undefined;
  const value = Number(text);
  return value >= 0 && value <= 1 ? value : undefined;
}

function notEpss(reason: string): VigilError {
  return new VigilError('VIGIL_SOURCE_INVALID', `EPSS feed is not a scores CSV: ${reason}`);
}
