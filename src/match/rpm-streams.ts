import type { OsvAffected } from '../core/osv.ts';
import { compare } from '../versioning/index.ts';

/**
 * AlmaLinux (and Rocky) records often list one package several times, each entry
 * `introduced 0, fixed F` with the same upstream version and a release built for another minor
 * release or module stream (ALBA-2019:0973: oci-systemd-hook "…module_el8.5.0+119…",
 * "…module_el8.4.0+2496…", "…module_el8.3.0+2044…"; 398 of the 5,637 AlmaLinux records do this).
 * Read literally (OSV "Evaluation": affected when any entry says so), the el8.4.0 build that *is*
 * the fix is "affected" by the el8.5.0 entry, whose release sorts higher. These entries are one
 * fix rebuilt per stream, so Vigil compares the installed package with the fix built for its own
 * stream (the `module_elX.Y.Z` or `elX_Y` token of its release), and, when none was built for it,
 * calls it affected only below every rebuilt fix, as Trivy does by matching module streams for
 * AlmaLinux/Rocky. Entries with different upstream versions (nodejs:18 and nodejs:20 in one
 * advisory) are not rebuilds and keep the literal reading.
 */
export interface RebuiltFixVerdict {
  readonly affected: boolean;
  /** when affected: the fix built for the installed stream, else every rebuilt fix */
  readonly fixed: readonly string[];
}

/** the single `fixed` of an `introduced 0, fixed F` entry, else undefined */
function simpleFix(affected: OsvAffected): string | undefined {
  if ((affected.versions?.length ?? 0) > 0 || affected.ranges?.length !== 1) return undefined;
  const [range] = affected.ranges;
  if (range?.type !== 'ECOSYSTEM' || range.events.length !== 2) return undefined;
  const [first, second] = range.events;
  if (first?.introduced !== '0' || second?.fixed === undefined) return undefined;
  return second.fixed;
}

/** "1:0.1.15-2.el8" → "1:0.1.15" (epoch kept, a missing one read as 0) */
function epochVersion(label: string): string {
  const hyphen = label.lastIndexOf('-');
  const ev = hyphen >= 0 ? label.slice(0, hyphen) : label;
  return /^\d+:/.test(ev) ? ev.replace(/^0+(\d)/, '$1') : `0:${ev}`;
}

const STREAM = /\.(module_el\d+(?:\.\d+)*|el\d+(?:_\d+)*)/;

function stream(label: string): string | undefined {
  return STREAM.exec(label)?.[1];
}

/**
 * The verdict for entries of one package in one record, or undefined when they are not rebuilds
 * of one fix (then each entry is evaluated on its own).
 */
export function rebuiltFixVerdict(entries: readonly OsvAffected[], installed: string): RebuiltFixVerdict | undefined {
  if (entries.length < 2) return undefined;
  const fixes: string[] = [];
  for (const entry of entries) {
    const fix = simpleFix(entry);
    if (fix === undefined) return undefined;
    fixes.push(fix);
  }
  const upstream = epochVersion(fixes[0] as string);
  if (!fixes.every((f) => epochVersion(f) === upstream)) return undefined;
  const own = stream(installed);
  const sameStream = own === undefined ? [] : fixes.filter((f) => stream(f) === own);
  const relevant = sameStream.length > 0 ? sameStream : fixes;
  try {
    const affected = relevant.every((f) => compare('rpm', installed, f) < 0);
    return { affected, fixed: affected ? [...new Set(relevant)] : [] };
  } catch {
    // a fix the rpm scheme rejects: leave the entries to the literal reading, which notes it
    return undefined;
  }
}
