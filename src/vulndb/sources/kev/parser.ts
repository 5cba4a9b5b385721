import { VigilError } from '../../../core/errors.ts';
import type { KevEntry } from '../../../core/osv.ts';
import type { SourceItem } from '../../types.ts';
import { scanJson } from '../debian-tracker/json-scan.ts';

/**
 * CISA's Known Exploited Vulnerabilities catalog: `{title, catalogVersion, dateReleased, count,
 * vulnerabilities: [{cveID, vendorProject, product, vulnerabilityName, dateAdded, shortDescription,
 * requiredAction, dueDate, knownRansomwareCampaignUse, notes, cwes}]}` as its JSON schema
 * (cisagov/kev-data `known_exploited_vulnerabilities_schema.json`) defines it. Entries are read one
 * at a time from the stream.
 */

// the schema's own patterns
const CVE_ID = /^CVE-[0-9]{4}-[0-9]{4,19}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export async function* parseKev(
  input: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
): AsyncGenerator<SourceItem> {
  let sawCatalog = false;
  for await (const event of scanJson(input, { expand: ['vulnerabilities'], maxValueChars: 1024 * 1024 })) {
    if (event.kind === 'member' || (event.kind === 'oversize' && event.index === undefined)) {
      if (event.key === 'vulnerabilities') throw notKev('"vulnerabilities" is not an array');
      continue;
    }
    if (event.kind === 'array') {
      sawCatalog = true;
      continue;
    }
    if (event.key !== 'vulnerabilities') continue;
    const where = `kev:vulnerabilities[${event.index}]`;
    if (event.kind === 'oversize') {
      yield { kind: 'skipped', where, reason: `entry of ${event.chars} characters is too large` };
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(event.text);
    } catch (err) {
      yield { kind: 'skipped', where, reason: `not valid JSON: ${(err as Error).message}` };
      continue;
    }
    const entry = kevEntry(value);
    yield typeof entry === 'string' ? { kind: 'skipped', where, reason: entry } : { kind: 'kev', entry };
  }
  if (!sawCatalog) throw notKev('no "vulnerabilities" array');
}

/** The entry, or why it cannot be used. */
export function kevEntry(value: unknown): KevEntry | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'entry is not an object';
  const { cveID, dateAdded, dueDate, knownRansomwareCampaignUse, vulnerabilityName } = value as Record<string, unknown>;
  if (typeof cveID !== 'string' || !CVE_ID.test(cveID)) return `cveID ${JSON.stringify(cveID)} is not a CVE id`;
  if (typeof dateAdded !== 'string' || !DATE.test(dateAdded)) return `${cveID}: dateAdded is not YYYY-MM-DD`;
  if (dueDate !== undefined && (typeof dueDate !== 'string' || !DATE.test(dueDate))) {
    return `${cveID}: dueDate is not YYYY-MM-DD`;
  }
  return {
    cveId: cveID,
    dateAdded,
    ...(dueDate !== undefined ? { dueDate } : {}),
    // "Known" if used in a ransomware campaign, "Unknown" if CISA lacks confirmation (schema description)
    ...(knownRansomwareCampaignUse === 'Known' || knownRansomwareCampaignUse === 'Unknown'
      ? { knownRansomwareCampaignUse: knownRansomwareCampaignUse === 'Known' }
      : {}),
    ...(typeof vulnerabilityName === 'string' ? { vulnerabilityName } : {}),
  };
}

function notKev(reason: string): VigilError {
  return new VigilError('VIGIL_SOURCE_INVALID', `KEV feed is not the CISA catalog: ${reason}`);
}
