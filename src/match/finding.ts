import type { OsvRecord, VulnDbReader } from '../core/osv.ts';
import type { CvssScore, Finding, Package } from '../core/types.ts';
import { compare } from '../versioning/index.ts';
import type { RecordGroup } from './dedupe.ts';
import { chooseSeverity, ecosystemRating, nvdScores, recordCvss } from './severity.ts';

/** One record that affects one installed package, with what the matched affected entries say. */
export interface Candidate {
  readonly record: OsvRecord;
  /** indexes into `record.affected` of the entries that name the package and contain its version */
  readonly affectedIndexes: readonly number[];
  /** `fixed` versions of the ranges containing the installed version */
  readonly fixed: readonly string[];
  /** the matched entry says the distro will not fix it (see wontFix in match-package.ts) */
  readonly wontFix: boolean;
}

export interface MatchedPackage {
  readonly pkg: Package;
  /** the full OSV ecosystem the package was matched in ("Debian:12", "npm") */
  readonly ecosystem: string;
  /** version scheme of that ecosystem, to sort fixed versions */
  readonly scheme: string;
}

const CVE = /^CVE-(\d{4})-(\d+)$/;

/** what a finding takes from one record: scored once per record, not once per package */
interface RecordFacts {
  readonly cvss: readonly CvssScore[];
  readonly rating: string | undefined;
  readonly urls: readonly string[];
}

/** per reader (see readerCaches in index.ts): id and modified name one record only within one DB */
export type FactsCache = Map<string, RecordFacts>;
const FACTS_CAPACITY = 50_000;

function factsOf(candidate: Candidate, factsCache: FactsCache): RecordFacts {
  const { record, affectedIndexes } = candidate;
  const key = `${record.id}\u0000${record.modified}\u0000${affectedIndexes.join(',')}`;
  let facts = factsCache.get(key);
  if (facts === undefined) {
    if (factsCache.size >= FACTS_CAPACITY) factsCache.clear();
    facts = {
      cvss: recordCvss(record, affectedIndexes, 'osv'),
      rating: ecosystemRating(record, affectedIndexes),
      urls: (record.references ?? []).map((ref) => ref.url),
    };
    factsCache.set(key, facts);
  }
  return facts;
}

function cveOrder(a: string, b: string): number {
  const ma = CVE.exec(a);
  const mb = CVE.exec(b);
  if (ma === null || mb === null) return a < b ? -1 : a > b ? 1 : 0;
  return Number(ma[1]) - Number(mb[1]) || Number(ma[2]) - Number(mb[2]);
}

/** the id shown: the CVE among the group's identities (the oldest when several), else a record id */
export function findingId(ids: ReadonlySet<string>, recordIds: readonly string[]): string {
  const cves = [...ids].filter((id) => CVE.test(id)).sort(cveOrder);
  if (cves.length > 0) return cves[0] as string;
  return [...recordIds].sort()[0] as string;
}

function sortVersions(scheme: string, versions: Iterable<string>): string[] {
  const unique = [...new Set(versions)];
  try {
    return unique.sort((a, b) => compare(scheme, a, b));
  } catch {
    return unique.sort();
  }
}

function uniqueScores(scores: readonly CvssScore[]): CvssScore[] {
  const seen = new Set<string>();
  return scores.filter((s) => {
    const key = `${s.source}\u0000${s.vector}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function firstSummary(records: readonly OsvRecord[]): string | undefined {
  for (const r of records) if (r.summary !== undefined && r.summary.trim() !== '') return r.summary.trim();
  for (const r of records) {
    const line = r.details?.trim().split('\n')[0]?.trim();
    if (line !== undefined && line !== '') return line.length > 200 ? `${line.slice(0, 199)}…` : line;
  }
  return undefined;
}

function minMax(values: readonly (string | undefined)[], pick: 'min' | 'max'): string | undefined {
  let out: string | undefined;
  for (const v of values) {
    if (v === undefined) continue;
    if (out === undefined || (pick === 'min' ? v < out : v > out)) out = v;
  }
  return out;
}

/** what a finding reads from the DB besides records */
export type Enrichment = Pick<VulnDbReader, 'kev' | 'epss' | 'nvdCvss'>;

/**
 * Enrichment lookups memoised for one matchInventory call: the binary packages of one source
 * package (libc6, libc-bin, locales ...) share every CVE.
 */
export interface FindingContext extends Enrichment {
  nvdScores(cve: string): CvssScore[];
  readonly facts: FactsCache;
}

export function memoisedEnrichment(db: Enrichment, facts: FactsCache): FindingContext {
  const kev = new Map<string, ReturnType<Enrichment['kev']>>();
  const epss = new Map<string, ReturnType<Enrichment['epss']>>();
  const nvd = new Map<string, CvssScore[]>();
  const memo = <T>(map: Map<string, T>, key: string, load: () => T): T => {
    if (map.has(key)) return map.get(key) as T;
    const value = load();
    map.set(key, value);
    return value;
  };
  return {
    kev: (cve) => memo(kev, cve, () => db.kev(cve)),
    epss: (cve) => memo(epss, cve, () => db.epss(cve)),
    nvdCvss: (cve) => db.nvdCvss(cve),
    nvdScores: (cve) => memo(nvd, cve, () => uniqueScores(nvdScores(db.nvdCvss(cve)))),
    facts,
  };
}

export function buildFinding(matched: MatchedPackage, group: RecordGroup<Candidate>, db: FindingContext): Finding {
  // records in a stable order: those naming one vulnerability first, then multi-CVE advisories
  const advisory = (c: Candidate) => ((c.record.upstream?.length ?? 0) > 1 ? 1 : 0);
  const members = [...group.members].sort(
    (a, b) => advisory(a) - advisory(b) || (a.record.id < b.record.id ? -1 : a.record.id > b.record.id ? 1 : 0),
  );
  const records = members.map((m) => m.record);
  const sources = [...new Set(records.map((r) => r.id))].sort();
  const id = findingId(group.ids, sources);
  const aliases = [...new Set([...group.ids, ...sources])].filter((a) => a !== id).sort();
  const fixedVersions = sortVersions(
    matched.scheme,
    members.flatMap((m) => m.fixed),
  );
  const wontFix = members.some((m) => m.wontFix);
  const fixState = fixedVersions.length > 0 ? 'fixed' : wontFix ? 'wont-fix' : 'not-fixed';

  const facts = members.map((m) => factsOf(m, db.facts));
  const fromRecords = uniqueScores(facts.flatMap((f) => f.cvss));
  const cve = CVE.test(id) ? id : aliases.find((a) => CVE.test(a));
  const fromNvd = cve === undefined ? [] : db.nvdScores(cve);
  const ecosystemSeverity = facts.find((f) => f.rating !== undefined)?.rating;
  const kev = cve === undefined ? undefined : db.kev(cve);
  const epss = cve === undefined ? undefined : db.epss(cve);
  const { pkg } = matched;
  const urls = facts.length === 1 ? [...(facts[0] as RecordFacts).urls] : [...new Set(facts.flatMap((f) => f.urls))];

  const finding: Finding = {
    id,
    aliases,
    sources,
    package: {
      name: pkg.name,
      version: pkg.version,
      type: pkg.type,
      ecosystem: matched.ecosystem,
      purl: pkg.purl,
      ...(pkg.sourceName !== undefined && { sourceName: pkg.sourceName }),
      ...(pkg.sourceVersion !== undefined && { sourceVersion: pkg.sourceVersion }),
      ...(pkg.layerDiffId !== undefined && { layerDiffId: pkg.layerDiffId }),
      ...(pkg.layerIndex !== undefined && { layerIndex: pkg.layerIndex }),
      locations: pkg.locations,
    },
    fixedVersions,
    fixState,
    severity: chooseSeverity(fromRecords, fromNvd, ecosystemSeverity),
    cvss: [...fromRecords, ...fromNvd],
    ...(ecosystemSeverity !== undefined && { ecosystemSeverity }),
    ...(kev !== undefined && {
      kev: {
        dateAdded: kev.dateAdded,
        ...(kev.dueDate !== undefined && { dueDate: kev.dueDate }),
        ...(kev.knownRansomwareCampaignUse !== undefined && { ransomware: kev.knownRansomwareCampaignUse }),
      },
    }),
    ...(epss !== undefined && {
      epss: { score: epss.score, percentile: epss.percentile, ...(epss.date !== undefined && { date: epss.date }) },
    }),
    urls,
  };
  const summary = firstSummary(records);
  const published = minMax(
    records.map((r) => r.published),
    'min',
  );
  const modified = minMax(
    records.map((r) => r.modified),
    'max',
  );
  return {
    ...finding,
    ...(summary !== undefined && { summary }),
    ...(published !== undefined && { published }),
    ...(modified !== undefined && { modified }),
  };
}
