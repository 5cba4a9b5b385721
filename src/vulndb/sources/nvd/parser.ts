import { VigilError } from '../../../core/errors.ts';
import type { NvdCvss } from '../../../core/osv.ts';
import type { SourceItem } from '../../types.ts';
import { scanJson } from '../debian-tracker/json-scan.ts';
import { maybeGunzip } from '../epss/feed-text.ts';

/**
 * NVD's CVE API 2.0 responses and its 2.0 JSON feed files (https://nvd.nist.gov/vuln/data-feeds) share
 * one shape (https://csrc.nist.gov/schema/nvd/api/2.0/cve_api_json_2.0.schema): `{resultsPerPage,
 * startIndex, totalResults, format: "NVD_CVE", version: "2.0", timestamp, vulnerabilities: [{cve: {id,
 * vulnStatus, metrics: {cvssMetricV40?, cvssMetricV31?, cvssMetricV30?, cvssMetricV2?: [{source, type:
 * "Primary" | "Secondary", cvssData: {version, vectorString, baseScore}}]}}}]}`. One CVE is read at a
 * time, gunzipped first when the feed file is `.json.gz`.
 *
 * Per CVE and CVSS major version one vector is kept: NVD's own (`source: nvd@nist.gov`), else another
 * Primary one, else the first Secondary (a CNA's), which is what the NVD web page shows first; v3.1
 * wins over v3.0 as both are `CVSS_V3`.
 */

const CVE_ID = /^CVE-\d{4}-\d{4,}$/;
/** metric arrays by preference within each OSV severity type */
const METRICS: ReadonlyArray<readonly [string, NvdCvss['type']]> = [
  ['cvssMetricV40', 'CVSS_V4'],
  ['cvssMetricV31', 'CVSS_V3'],
  ['cvssMetricV30', 'CVSS_V3'],
  ['cvssMetricV2', 'CVSS_V2'],
];
const NVD_SOURCE = 'nvd@nist.gov';

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export async function* parseNvd(
  input: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
  feed = 'nvd',
): AsyncGenerator<SourceItem> {
  let sawList = false;
  const scan = scanJson(maybeGunzip(input), { expand: ['vulnerabilities'], maxValueChars: 16 * 1024 * 1024 });
  for await (const event of scan) {
    if (event.kind === 'member' || (event.kind === 'oversize' && event.index === undefined)) {
      if (event.key === 'vulnerabilities') throw notNvd(feed, '"vulnerabilities" is not an array');
      if (event.kind === 'member' && event.key === 'format' && event.text !== '"NVD_CVE"')
        throw notNvd(feed, `format is ${event.text.slice(0, 40)}`);
      continue;
    }
    if (event.kind === 'array') {
      sawList = event.key === 'vulnerabilities' || sawList;
      continue;
    }
    const where = `${feed}:vulnerabilities[${event.index}]`;
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
    yield* cvssOf(value, where);
  }
  if (!sawList) throw notNvd(feed, 'no "vulnerabilities" array');
}

/** The CVSS vectors of one `vulnerabilities[]` element. */
export function* cvssOf(element: unknown, where: string): Generator<SourceItem> {
  const cve = isObject(element) ? element.cve : undefined;
  if (!isObject(cve) || typeof cve.id !== 'string' || !CVE_ID.test(cve.id)) {
    yield { kind: 'skipped', where, reason: 'no cve.id' };
    return;
  }
  const cveId = cve.id;
  // a rejected CVE keeps no scores worth showing
  if (cve.vulnStatus === 'Rejected' || cve.metrics === undefined) return;
  if (!isObject(cve.metrics)) {
    yield { kind: 'skipped', where: `nvd:${cveId}`, reason: 'metrics is not an object' };
    return;
  }
  const chosen = new Map<string, NvdCvss>();
  for (const [key, type] of METRICS) {
    const metrics = cve.metrics[key];
    if (metrics === undefined || chosen.has(type)) continue;
    if (!Array.isArray(metrics)) {
      yield { kind: 'skipped', where: `nvd:${cveId}`, reason: `${key} is not an array` };
      continue;
    }
    const usable = metrics.flatMap((metric) => {
      const cvss = isObject(metric) && isObject(metric.cvssData) ? metric.cvssData : undefined;
      const vector = cvss?.vectorString;
      if (typeof vector !== 'string' || vector.length === 0 || vector.length > 256) return [];
      const rank = metric.source === NVD_SOURCE ? 0 : metric.type === 'Primary' ? 1 : 2;
      const score = cvss?.baseScore;
      const baseScore = typeof score === 'number' && score >= 0 && score <= 10 ? { baseScore: score } : {};
      return [{ rank, entry: { cveId, type, vector, ...baseScore } }];
    });
    if (usable.length < metrics.length) {
      yield {
        kind: 'skipped',
        where: `nvd:${cveId}`,
        reason: `${metrics.length - usable.length} ${key} without a vector`,
      };
    }
    const best = usable.sort((a, b) => a.rank - b.rank)[0];
    if (best) chosen.set(type, best.entry);
  }
  for (const cvss of chosen.values()) yield { kind: 'nvd', cvss };
}

function notNvd(feed: string, reason: string): VigilError {
  return new VigilError('VIGIL_SOURCE_INVALID', `NVD feed ${feed} is not CVE API 2.0 JSON: ${reason}`, { feed });
}
