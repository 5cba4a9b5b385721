import { detailsSummary, type OsvAffectedEntry, type OsvRecordHead, type VulnDbReader } from '../core/osv.ts';
import type { CvssScore, Finding, Package } from '../core/types.ts';
import { compare } from '../versioning/index.ts';
import type { RecordGroup } from './dedupe.ts';
import { chooseSeverity, ecosystemRating, nvdScores, recordCvss } from './severity.ts';

/** One record that affects one installed package, with what the matched affected entries say. */
export interface Candidate {
  readonly record: OsvRecordHead;
  /** the record's affected entries that name the package and contain its version, in record order */
  readonly entries: readonly OsvAffectedEntry[];
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
  const { record, entries } = candidate;
  let key = `${record.id}\u0000${record.modified}\u0000`;
  for (const entry of entries) key += `${entry.index},`;
  let facts = factsCache.get(key);
  if (facts === undefined) {
    if (factsCache.size >= FACTS_CAPACITY) factsCache.clear();
    facts = {
      cvss: recordCvss(record, entries, 'osv'),
      rating: ecosystemRating(record, entries),
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
  // the first of the least, as sorting and taking the first would give
  let oldest: string | undefined;
  ids.forEach((id) => {
    if (CVE.test(id) && (oldest === undefined || cveOrder(id, oldest) < 0)) oldest = id;
  });
  if (oldest !== undefined) return oldest;
  let least = recordIds[0] as string;
  for (let i = 1; i < recordIds.length; i++) if ((recordIds[i] as string) < least) least = recordIds[i] as string;
  return least;
}

function sortVersions(scheme: string, versions: readonly string[]): string[] {
  if (versions.length < 2) return [...versions];
  const unique = [...new Set(versions)];
  try {
    return unique.sort((a, b) => compare(scheme, a, b));
  } catch {
    return unique.sort();
  }
}

function uniqueScores(scores: readonly CvssScore[]): CvssScore[] {
  if (scores.length < 2) return [...scores];
  const seen = new Set<string>();
  return scores.filter((s) => {
    const key = `${s.source}\u0000${s.vector}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function firstSummary(records: readonly OsvRecordHead[]): string | undefined {
  for (const r of records) if (r.summary !== undefined && r.summary.trim() !== '') return r.summary.trim();
  for (const r of records) {
    const line = r.details === undefined ? '' : detailsSummary(r.details);
    if (line !== '') return line;
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
  return {
    kev: (cve) => {
      if (!kev.has(cve)) kev.set(cve, db.kev(cve));
      return kev.get(cve);
    },
    epss: (cve) => {
      if (!epss.has(cve)) epss.set(cve, db.epss(cve));
      return epss.get(cve);
    },
    nvdCvss: (cve) => db.nvdCvss(cve),
    nvdScores: (cve) => {
      let scores = nvd.get(cve);
      if (scores === undefined) {
        scores = uniqueScores(nvdScores(db.nvdCvss(cve)));
        nvd.set(cve, scores);
      }
      return scores;
    },
    facts,
  };
}

/** records naming one vulnerability before multi-CVE advisories, then by id */
function memberOrder(a: Candidate, b: Candidate): number {
  const advisory = (c: Candidate) => ((c.record.upstream?.length ?? 0) > 1 ? 1 : 0);
  return advisory(a) - advisory(b) || (a.record.id < b.record.id ? -1 : a.record.id > b.record.id ? 1 : 0);
}

/** What a finding says about the vulnerability, whichever installed package it is found in. */
export type FindingVulnerability = Omit<Finding, 'package'>;

/**
 * The vulnerability half of a finding for one group of candidates. It depends on the group's
 * records, the DB's enrichment and the version scheme only, so the matcher keeps it per reader for
 * every package that matches the same way (see index.ts). Most groups hold one record, and a first
 * match in a process builds thousands of these before V8 optimises this: the one-record case takes
 * no detour through sets, sorts and spread copies.
 */
export function vulnerabilityOf(
  group: RecordGroup<Candidate>,
  scheme: string,
  db: FindingContext,
): FindingVulnerability {
  const members = group.members.length === 1 ? group.members : [...group.members].sort(memberOrder);
  const records: OsvRecordHead[] = [];
  const fixed: string[] = [];
  const facts: RecordFacts[] = [];
  let wontFix = false;
  for (let m = 0; m < members.length; m++) {
    const member = members[m] as Candidate;
    records.push(member.record);
    for (let f = 0; f < member.fixed.length; f++) fixed.push(member.fixed[f] as string);
    if (member.wontFix) wontFix = true;
    facts.push(factsOf(member, db.facts));
  }
  const sources = records.length === 1 ? [(records[0] as OsvRecordHead).id] : [...new Set(records.map(idOf))].sort();
  const id = findingId(group.ids, sources);
  const others = new Set(group.ids);
  for (let s = 0; s < sources.length; s++) others.add(sources[s] as string);
  others.delete(id);
  const aliases = sortedStrings(others);
  const fixedVersions = sortVersions(scheme, fixed);
  const fixState = fixedVersions.length > 0 ? 'fixed' : wontFix ? 'wont-fix' : 'not-fixed';

  const fromRecords = uniqueScores(facts.length === 1 ? (facts[0] as RecordFacts).cvss : facts.flatMap(cvssOf));
  const cve = CVE.test(id) ? id : aliases.find((a) => CVE.test(a));
  const fromNvd = cve === undefined ? [] : db.nvdScores(cve);
  let ecosystemSeverity: string | undefined;
  for (let f = 0; f < facts.length && ecosystemSeverity === undefined; f++) {
    ecosystemSeverity = (facts[f] as RecordFacts).rating;
  }
  const kev = cve === undefined ? undefined : db.kev(cve);
  const epss = cve === undefined ? undefined : db.epss(cve);
  const urls = facts.length === 1 ? [...(facts[0] as RecordFacts).urls] : [...new Set(facts.flatMap(urlsOf))];
  const summary = firstSummary(records);
  const published = records.length === 1 ? records[0]?.published : minMax(records.map(publishedOf), 'min');
  const modified = records.length === 1 ? records[0]?.modified : minMax(records.map(modifiedOf), 'max');

  return {
    id,
    aliases,
    sources,
    fixedVersions,
    fixState,
    severity: chooseSeverity(fromRecords, fromNvd, ecosystemSeverity),
    cvss: fromNvd.length === 0 ? fromRecords : [...fromRecords, ...fromNvd],
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
    ...(summary !== undefined && { summary }),
    ...(published !== undefined && { published }),
    ...(modified !== undefined && { modified }),
  };
}

/**
 * The finding of `vulnerability` in the matched package. Its arrays and objects are copied, not
 * shared with the cached vulnerability half or with other findings, so a caller may change a
 * finding without reaching into another. Keys are in the order stored findings were always
 * written in (the store compares findings by their JSON).
 */
export function findingOf(vulnerability: FindingVulnerability, matched: MatchedPackage): Finding {
  const { pkg } = matched;
  const v = vulnerability;
  return {
    id: v.id,
    aliases: [...v.aliases],
    sources: [...v.sources],
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
    fixedVersions: [...v.fixedVersions],
    fixState: v.fixState,
    severity: v.severity,
    cvss: v.cvss.map((score) => ({ ...score })),
    ...(v.ecosystemSeverity !== undefined && { ecosystemSeverity: v.ecosystemSeverity }),
    ...(v.kev !== undefined && { kev: { ...v.kev } }),
    ...(v.epss !== undefined && { epss: { ...v.epss } }),
    urls: [...v.urls],
    ...(v.summary !== undefined && { summary: v.summary }),
    ...(v.published !== undefined && { published: v.published }),
    ...(v.modified !== undefined && { modified: v.modified }),
  };
}

/** the strings in code-unit order, as Array.prototype.sort orders them, without its work array */
function sortedStrings(strings: ReadonlySet<string>): string[] {
  const sorted: string[] = [];
  strings.forEach((text) => {
    let at = sorted.length;
    while (at > 0 && (sorted[at - 1] as string) > text) at--;
    sorted.splice(at, 0, text);
  });
  return sorted;
}

const idOf = (record: OsvRecordHead) => record.id;
const publishedOf = (record: OsvRecordHead) => record.published;
const modifiedOf = (record: OsvRecordHead) => record.modified;
const cvssOf = (facts: RecordFacts) => facts.cvss;
const urlsOf = (facts: RecordFacts) => facts.urls;
