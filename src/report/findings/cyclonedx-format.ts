import type { CvssScore, Finding, Severity } from '../../core/types.ts';
import type { Suppression } from '../../policy/types.ts';
import { cyclonedxBom } from '../cyclonedx-format.ts';
import { compareFindings, compareText, fixText, vulnerabilitySource, webUrls } from './report-facts.ts';
import type { FindingsFormat, FindingsRenderOptions, ScanReport } from './types.ts';

/**
 * CycloneDX 1.6 JSON with vulnerabilities (https://cyclonedx.org/docs/1.6/json/#vulnerabilities):
 * the inventory's SBOM exactly as the `cyclonedx` SBOM format writes it, plus one
 * `vulnerabilities[]` entry per vulnerability id (and, for suppressed findings, per analysis),
 * whose `affects` point at the package components' bom-refs. Suppressed findings carry an
 * `analysis` so that a consumer sees the VEX decision (CycloneDX's own VEX form): VEX statuses as
 * their CycloneDX states, ignore-file rules as an accepted risk (exploitable, will_not_fix).
 */
export const cyclonedxFormat = {
  id: 'cyclonedx',
  mediaType: 'application/vnd.cyclonedx+json;version=1.6',
  fileExtension: '.cdx.json',
  render(report: ScanReport, options: FindingsRenderOptions): string {
    return `${JSON.stringify(cyclonedxVulnerabilityBom(report, options), null, 2)}\n`;
  },
} as const satisfies FindingsFormat;

const CDX_SEVERITY: Readonly<Record<Severity, string>> = {
  CRITICAL: 'critical',
  HIGH: 'high',
  MEDIUM: 'medium',
  LOW: 'low',
  NONE: 'none',
  UNKNOWN: 'unknown',
};

/** CycloneDX 1.6 impactAnalysisJustification values. */
const CDX_JUSTIFICATIONS: ReadonlySet<string> = new Set([
  'code_not_present',
  'code_not_reachable',
  'requires_configuration',
  'requires_dependency',
  'requires_environment',
  'protected_by_compiler',
  'protected_at_runtime',
  'protected_at_perimeter',
  'protected_by_mitigating_control',
]);

/** OpenVEX justifications in CycloneDX terms, after CISA's "Vulnerability Exploitability eXchange (VEX) – Status Justifications" mapping. */
const FROM_OPENVEX: Readonly<Record<string, string>> = {
  component_not_present: 'code_not_present',
  vulnerable_code_not_present: 'code_not_present',
  vulnerable_code_not_in_execute_path: 'code_not_reachable',
  vulnerable_code_cannot_be_controlled_by_adversary: 'requires_environment',
  inline_mitigations_already_exist: 'protected_by_mitigating_control',
};

export function cyclonedxVulnerabilityBom(report: ScanReport, options: FindingsRenderOptions): Record<string, unknown> {
  const bom = cyclonedxBom(report.inventory, options);
  const refOf = componentRefs(report, bom);
  const groups = new Map<string, { findings: Finding[]; suppression?: Suppression }>();
  const add = (finding: Finding, suppression?: Suppression) => {
    const analysis = suppression ? JSON.stringify(analysisOf(suppression)) : '';
    const key = `${finding.id}\u0000${analysis}`;
    const group = groups.get(key) ?? { findings: [], ...(suppression ? { suppression } : {}) };
    group.findings.push(finding);
    groups.set(key, group);
  };
  for (const finding of [...report.findings].sort(compareFindings)) add(finding);
  for (const suppression of [...report.suppressed].sort((a, b) => compareFindings(a.finding, b.finding)))
    add(suppression.finding, suppression);

  const vulnerabilities = [...groups.values()].map(({ findings, suppression }) =>
    vulnerability(findings, suppression, refOf),
  );
  return { ...bom, vulnerabilities };
}

/** The bom-ref cyclonedxBom gave each inventory package, found again by the finding's package identity. */
function componentRefs(report: ScanReport, bom: Record<string, unknown>): (finding: Finding) => string | undefined {
  const components = bom.components as Array<{ 'bom-ref': string; type: string }>;
  const offset = components.length - report.inventory.packages.length;
  const byPurl = new Map<
    string,
    Array<{ index: number; locations: readonly string[]; name: string; version: string }>
  >();
  report.inventory.packages.forEach((pkg, index) => {
    const key = pkg.purl || `${pkg.type}/${pkg.name}@${pkg.version}`;
    byPurl.set(key, [
      ...(byPurl.get(key) ?? []),
      { index, locations: pkg.locations, name: pkg.name, version: pkg.version },
    ]);
  });
  return (finding) => {
    const { package: pkg } = finding;
    const candidates = byPurl.get(pkg.purl || `${pkg.type}/${pkg.name}@${pkg.version}`) ?? [];
    const same = candidates.filter((c) => c.name === pkg.name && c.version === pkg.version);
    const chosen = same.find((c) => c.locations.some((l) => pkg.locations.includes(l))) ?? same[0] ?? candidates[0];
    return chosen === undefined ? undefined : components[chosen.index + offset]?.['bom-ref'];
  };
}

function vulnerability(
  findings: readonly Finding[],
  suppression: Suppression | undefined,
  refOf: (f: Finding) => string | undefined,
) {
  const finding = findings[0]!;
  const source = vulnerabilitySource(finding.id);
  const affects = new Map<string, Set<string>>();
  for (const f of findings) {
    const ref = refOf(f);
    if (ref === undefined) continue;
    affects.set(ref, (affects.get(ref) ?? new Set()).add(f.package.version));
  }
  const fixes = findings.filter((f) => f.fixedVersions.length > 0);
  const properties = [
    ...(finding.kev ? [{ name: 'vigil:kev:date-added', value: finding.kev.dateAdded }] : []),
    ...(finding.epss
      ? [
          { name: 'vigil:epss:score', value: String(finding.epss.score) },
          { name: 'vigil:epss:percentile', value: String(finding.epss.percentile) },
        ]
      : []),
    ...(finding.ecosystemSeverity ? [{ name: 'vigil:ecosystem-severity', value: finding.ecosystemSeverity }] : []),
  ];
  return {
    id: finding.id,
    source,
    ...(finding.aliases.length > 0
      ? { references: finding.aliases.map((alias) => ({ id: alias, source: vulnerabilitySource(alias) })) }
      : {}),
    ratings: ratings(finding),
    ...(finding.summary ? { description: finding.summary } : {}),
    ...(fixes.length > 0
      ? {
          recommendation: fixes
            .map((f) => `Upgrade ${f.package.name} to ${fixText(f)}`)
            .filter(unique)
            .join('; '),
        }
      : {}),
    ...(webUrls(finding.urls).length > 0 ? { advisories: webUrls(finding.urls).map((url) => ({ url })) } : {}),
    ...dateField('published', finding.published),
    ...dateField('updated', finding.modified),
    ...(suppression ? { analysis: analysisOf(suppression) } : {}),
    affects: [...affects]
      .sort(([a], [b]) => compareText(a, b))
      .map(([ref, versions]) => ({
        ref,
        versions: [...versions].sort(compareText).map((version) => ({ version, status: 'affected' })),
      })),
    ...(properties.length > 0 ? { properties } : {}),
  };
}

function ratings(finding: Finding) {
  const fromCvss = finding.cvss.map((score) => ({
    source: { name: score.source },
    ...(Number.isFinite(score.score) ? { score: score.score } : {}),
    severity: CDX_SEVERITY[score.severity],
    method: method(score),
    vector: score.vector,
  }));
  return fromCvss.length > 0 ? fromCvss : [{ severity: CDX_SEVERITY[finding.severity], method: 'other' }];
}

/** CycloneDX scoreMethod: CVSSv2, CVSSv3 (3.0), CVSSv31, CVSSv4, other. */
function method(score: CvssScore): string {
  if (score.type === 'CVSS_V2') return 'CVSSv2';
  if (score.type === 'CVSS_V4') return 'CVSSv4';
  if (score.type === 'CVSS_V3') return score.vector.startsWith('CVSS:3.0/') ? 'CVSSv3' : 'CVSSv31';
  return 'other';
}

function analysisOf(suppression: Suppression) {
  const why = `${suppression.detail ? `${suppression.detail} ` : ''}(${suppression.source})`;
  if (suppression.by === 'ignore') {
    return { state: 'exploitable', response: ['will_not_fix'], detail: `accepted risk: ${why}` };
  }
  const state = suppression.cyclonedxState ?? (suppression.status === 'fixed' ? 'resolved' : 'not_affected');
  const raw = suppression.justification;
  const justification = raw === undefined ? undefined : CDX_JUSTIFICATIONS.has(raw) ? raw : FROM_OPENVEX[raw];
  return {
    state,
    ...(justification && state === 'not_affected' ? { justification } : {}),
    detail: `${suppression.status}${raw ? ` (${raw})` : ''}: ${why}`,
  };
}

/** CycloneDX wants RFC 3339 date-times; anything else is left out rather than failing validation. */
function dateField(key: 'published' | 'updated', value: string | undefined): Record<string, string> {
  if (value === undefined) return {};
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? {} : { [key]: date.toISOString().replace(/\.\d{3}Z$/, 'Z') };
}

function unique(value: string, index: number, all: readonly string[]): boolean {
  return all.indexOf(value) === index;
}
