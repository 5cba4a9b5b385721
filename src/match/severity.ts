import cvssCalculator from 'ae-cvss-calculator';
import type { NvdCvss, OsvAffectedEntry, OsvRecordHead } from '../core/osv.ts';
import type { CvssScore, Severity } from '../core/types.ts';

const { fromVector } = cvssCalculator;

/** CVSS v3.x/v4.0 qualitative rating scale (FIRST CVSS v3.1 specification, section 5) */
export function severityOfScore(score: number, type: string): Severity {
  if (type === 'CVSS_V2') {
    // NVD's v2 ranges: Low 0.0-3.9, Medium 4.0-6.9, High 7.0-10.0 (v2 has no None or Critical)
    return score >= 7 ? 'HIGH' : score >= 4 ? 'MEDIUM' : 'LOW';
  }
  if (score === 0) return 'NONE';
  if (score >= 9) return 'CRITICAL';
  if (score >= 7) return 'HIGH';
  if (score >= 4) return 'MEDIUM';
  return 'LOW';
}

const typeOfVectorName: Readonly<Record<string, string>> = {
  'CVSS:2.0': 'CVSS_V2',
  'CVSS:3.0': 'CVSS_V3',
  'CVSS:3.1': 'CVSS_V3',
  'CVSS:4.0': 'CVSS_V4',
};

/**
 * Base metrics every vector must state (CVSS v2 guide 3.2.1, v3.1 specification 6, v4.0
 * specification 7): the calculator fills missing ones with defaults, which would invent a score.
 */
const baseMetrics: Readonly<Record<string, readonly string[]>> = {
  CVSS_V2: ['AV', 'AC', 'Au', 'C', 'I', 'A'],
  CVSS_V3: ['AV', 'AC', 'PR', 'UI', 'S', 'C', 'I', 'A'],
  CVSS_V4: ['AV', 'AC', 'AT', 'PR', 'UI', 'VC', 'VI', 'VA', 'SC', 'SI', 'SA'],
};

function statesBaseMetrics(vector: string, type: string): boolean {
  const stated = new Set<string>();
  for (const part of vector.split('/')) {
    const m = /^([A-Za-z]+):([A-Za-z0-9.]+)$/.exec(part);
    if (m === null) return false;
    stated.add(m[1] as string);
  }
  return (baseMetrics[type] ?? []).every((metric) => stated.has(metric));
}

type VectorScore = Omit<CvssScore, 'source'>;

/**
 * Scores by vector: a vector scores the same wherever it appears, and the records of one ecosystem
 * repeat a few hundred vectors thousands of times, which the first match in a process scored one by
 * one. Bounded: cleared when full.
 */
const vectorScores = new Map<string, VectorScore | null>();
const SCORES_CAPACITY = 20_000;

/** a CVSS vector scored with ae-cvss-calculator; undefined when the vector does not parse */
export function scoreVector(vector: string, source: string): CvssScore | undefined {
  let known = vectorScores.get(vector);
  if (known === undefined) {
    known = scoreUncached(vector) ?? null;
    if (vectorScores.size >= SCORES_CAPACITY) vectorScores.clear();
    vectorScores.set(vector, known);
  }
  if (known === null) return undefined;
  return { type: known.type, vector: known.vector, score: known.score, severity: known.severity, source };
}

function scoreUncached(vector: string): VectorScore | undefined {
  if (vector.length === 0 || vector.length > 512) return undefined;
  let parsed: ReturnType<typeof fromVector>;
  try {
    parsed = fromVector(vector);
  } catch {
    return undefined;
  }
  if (parsed === undefined || parsed === null) return undefined;
  const type = typeOfVectorName[parsed.getVectorName()];
  if (type === undefined || !statesBaseMetrics(vector, type)) return undefined;
  const scores = parsed.calculateScores() as { base?: number; overall?: number };
  const score = scores.base ?? scores.overall;
  if (score === undefined || !Number.isFinite(score)) return undefined;
  return { type, vector, score, severity: severityOfScore(score, type) };
}

/**
 * Severity names of the ecosystems' own scales mapped to Vigil's, as Trivy maps them
 * (trivy-db pkg/vulnsrc/{debian,ubuntu,ghsa}): Debian urgency "unimportant" and Ubuntu priority
 * "negligible" are LOW; "not yet assigned"/"untriaged" stay UNKNOWN; GHSA "MODERATE" is MEDIUM.
 */
const ecosystemScale: Readonly<Record<string, Severity>> = {
  critical: 'CRITICAL',
  high: 'HIGH',
  important: 'HIGH',
  moderate: 'MEDIUM',
  medium: 'MEDIUM',
  low: 'LOW',
  negligible: 'LOW',
  unimportant: 'LOW',
  none: 'NONE',
};

export function severityOfEcosystemRating(rating: string): Severity {
  const key = rating.trim().toLowerCase().replace(/\*+$/, '');
  return ecosystemScale[key] ?? 'UNKNOWN';
}

/**
 * The ecosystem's own severity for a record: Ubuntu priority (`severity[]` type "Ubuntu"), Debian
 * urgency (`ecosystem_specific.urgency`, as osv.dev's Debian records carry it), GHSA
 * (`database_specific.severity`), a record-level `database_specific.severity` of other feeds, or the
 * Red Hat rating an AlmaLinux/Rocky summary starts with.
 */
export function ecosystemRating(record: OsvRecordHead, entries: readonly OsvAffectedEntry[]): string | undefined {
  for (let e = 0; e < entries.length; e++) {
    const { affected } = entries[e] as OsvAffectedEntry;
    const severity = affected.severity;
    if (severity !== undefined) {
      for (let s = 0; s < severity.length; s++) if (severity[s]?.type === 'Ubuntu') return severity[s]?.score;
    }
    const urgency = affected.ecosystem_specific?.urgency ?? affected.database_specific?.urgency;
    if (typeof urgency === 'string') return urgency;
  }
  for (const s of record.severity ?? []) if (s.type === 'Ubuntu') return s.score;
  const severity = record.database_specific?.severity;
  if (typeof severity === 'string') return severity;
  // AlmaLinux and Rocky errata carry Red Hat's rating only as the summary's prefix
  // ("Important: openssl security update"), as the RHSA they rebuild does
  return redHatRating.exec(record.summary ?? '')?.[1];
}

const redHatRating = /^(Critical|Important|Moderate|Low):/;

/** CVSS vectors of a record: record-level `severity[]` and the matched affected entries' own */
export function recordCvss(record: OsvRecordHead, entries: readonly OsvAffectedEntry[], source: string): CvssScore[] {
  const out: CvssScore[] = [];
  const vectors = [...(record.severity ?? [])];
  for (const { affected } of entries) vectors.push(...(affected.severity ?? []));
  for (const s of vectors) {
    if (s.type !== 'CVSS_V2' && s.type !== 'CVSS_V3' && s.type !== 'CVSS_V4') continue;
    const scored = scoreVector(s.score, source);
    if (scored !== undefined) out.push(scored);
  }
  return out;
}

export function nvdScores(entries: readonly NvdCvss[]): CvssScore[] {
  const out: CvssScore[] = [];
  for (const entry of entries) {
    const scored = scoreVector(entry.vector, 'nvd');
    if (scored !== undefined) out.push(scored);
  }
  return out;
}

const typePreference = ['CVSS_V3', 'CVSS_V4', 'CVSS_V2'];

/** the highest-scoring vector of the most preferred CVSS version present */
function preferred(scores: readonly CvssScore[]): CvssScore | undefined {
  for (let t = 0; t < typePreference.length; t++) {
    const type = typePreference[t];
    let best: CvssScore | undefined;
    for (let i = 0; i < scores.length; i++) {
      const s = scores[i] as CvssScore;
      if (s.type === type && (best === undefined || s.score > best.score)) best = s;
    }
    if (best !== undefined) return best;
  }
  return undefined;
}

/**
 * The severity a finding is shown under. Order (Grype's: the advisory's own CVSS first, then NVD's):
 * 1. CVSS from the matched records, v3.x before v4.0 before v2 (v3 is what most policies and
 *    NVD history are stated in), the highest score of that version when records disagree;
 * 2. NVD's CVSS for the CVE, same version order;
 * 3. the ecosystem's own rating (GHSA severity, Debian urgency, Ubuntu priority), mapped;
 * 4. UNKNOWN.
 * Trivy instead prefers the distro's rating for OS packages; that rating stays in
 * `ecosystemSeverity` for reports and policies that want it.
 */
export function chooseSeverity(
  recordScores: readonly CvssScore[],
  nvd: readonly CvssScore[],
  ecosystemSeverity: string | undefined,
): Severity {
  const fromRecord = preferred(recordScores);
  if (fromRecord !== undefined) return fromRecord.severity;
  const fromNvd = preferred(nvd);
  if (fromNvd !== undefined) return fromNvd.severity;
  if (ecosystemSeverity !== undefined) return severityOfEcosystemRating(ecosystemSeverity);
  return 'UNKNOWN';
}
