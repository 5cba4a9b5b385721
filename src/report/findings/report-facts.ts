import { type Finding, type Severity, severities } from '../../core/types.ts';

/** Most severe first, then package name, version and vulnerability id: the order every format lists. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    severities.indexOf(a.severity) - severities.indexOf(b.severity) ||
    compareText(a.package.name, b.package.name) ||
    compareText(a.package.version, b.package.version) ||
    compareText(a.id, b.id) ||
    compareText(a.package.purl, b.package.purl)
  );
}

/** Package name, version, location, then most severe first: Trivy's table order. */
export function compareByPackage(a: Finding, b: Finding): number {
  return (
    compareText(a.package.name, b.package.name) ||
    compareText(a.package.version, b.package.version) ||
    compareText(a.package.locations[0] ?? '', b.package.locations[0] ?? '') ||
    severities.indexOf(a.severity) - severities.indexOf(b.severity) ||
    compareText(a.id, b.id)
  );
}

/** Code-unit order: the same on every machine and locale, so golden files hold. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function severityCounts(findings: readonly Finding[]): Record<Severity, number> {
  const counts = Object.fromEntries(severities.map((s) => [s, 0])) as Record<Severity, number>;
  for (const finding of findings) counts[finding.severity]++;
  return counts;
}

/** "Total: 5 (CRITICAL: 1, HIGH: 2, MEDIUM: 1, LOW: 1, UNKNOWN: 0)"; NONE only when some finding has it. */
export function summaryLine(findings: readonly Finding[]): string {
  const counts = severityCounts(findings);
  const shown = severities.filter((s) => s !== 'NONE' || counts.NONE > 0);
  return `Total: ${findings.length} (${shown.map((s) => `${s}: ${counts[s]}`).join(', ')})`;
}

/** The highest CVSS base score of the finding, when it has any. */
export function maxCvss(finding: Finding): number | undefined {
  let max: number | undefined;
  for (const score of finding.cvss)
    if (Number.isFinite(score.score) && (max === undefined || score.score > max)) max = score.score;
  return max;
}

/** "3.0.14, 3.1.2", or what the data says when there is no fixed version. */
export function fixText(finding: Finding): string {
  if (finding.fixedVersions.length > 0) return finding.fixedVersions.join(', ');
  return finding.fixState === 'wont-fix' ? "won't fix" : 'no fix yet';
}

/** Where to read about the vulnerability: the record's first http(s) URL, else its page on osv.dev. */
export function primaryUrl(finding: Finding): string {
  return webUrls(finding.urls)[0] ?? `https://osv.dev/vulnerability/${encodeURIComponent(finding.id)}`;
}

/** The advisory links that are absolute http(s) URLs, normalised (records carry junk too). */
export function webUrls(urls: readonly string[]): string[] {
  return urls.flatMap((url) => {
    if (!URL.canParse(url)) return [];
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? [parsed.href] : [];
  });
}

/** The id's home database, as CycloneDX `source` and SARIF help name it. */
export function vulnerabilitySource(id: string): { name: string; url: string } {
  const encoded = encodeURIComponent(id);
  if (/^CVE-\d+-\d+$/.test(id)) return { name: 'NVD', url: `https://nvd.nist.gov/vuln/detail/${encoded}` };
  if (/^GHSA-/.test(id)) return { name: 'GitHub', url: `https://github.com/advisories/${encoded}` };
  return { name: 'OSV', url: `https://osv.dev/vulnerability/${encoded}` };
}
