import { createHash } from 'node:crypto';
import type { Finding, Severity } from '../../core/types.ts';
import type { Suppression } from '../../policy/types.ts';
import { compareFindings, fixText, maxCvss, primaryUrl } from './report-facts.ts';
import type { FindingsFormat, FindingsRenderOptions, ScanReport } from './types.ts';

/**
 * SARIF 2.1.0 (OASIS, https://docs.oasis-open.org/sarif/sarif/v2.1.0/) as GitHub code scanning
 * takes it (docs.github.com "SARIF support for code scanning"): one rule per vulnerability id,
 * one result per (vulnerability, package), `level` from the severity, and the rule's
 * `security-severity` property (a CVSS-like score GitHub buckets into critical > 9.0, high 7.0-8.9,
 * medium 4.0-6.9, low 0.1-3.9) from the highest CVSS score, else from the severity as Trivy maps
 * it. Locations are the package's database or manifest path under the image root (ROOTPATH), line 1,
 * as Trivy writes them. Suppressed findings are results with an accepted external suppression
 * (§3.35), which GitHub shows as dismissed.
 */
export const sarifFormat = {
  id: 'sarif',
  mediaType: 'application/sarif+json',
  fileExtension: '.sarif',
  render(report: ScanReport, options: FindingsRenderOptions): string {
    return `${JSON.stringify(sarifLog(report, options), null, 2)}\n`;
  },
} as const satisfies FindingsFormat;

const SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

/** Trivy's pkg/report/sarif.go levels and fallback scores. */
const LEVEL: Readonly<Record<Severity, 'error' | 'warning' | 'note' | 'none'>> = {
  CRITICAL: 'error',
  HIGH: 'error',
  MEDIUM: 'warning',
  LOW: 'note',
  NONE: 'note',
  UNKNOWN: 'note',
};
const FALLBACK_SCORE: Readonly<Record<Severity, number>> = {
  CRITICAL: 9.5,
  HIGH: 8.0,
  MEDIUM: 5.5,
  LOW: 2.0,
  NONE: 0.0,
  UNKNOWN: 0.0,
};

interface Entry {
  readonly finding: Finding;
  readonly suppression?: Suppression;
}

export function sarifLog(report: ScanReport, options: FindingsRenderOptions): Record<string, unknown> {
  const entries: Entry[] = [
    ...report.findings.map((finding): Entry => ({ finding })),
    ...report.suppressed.map((suppression) => ({ finding: suppression.finding, suppression })),
  ].sort(
    (a, b) =>
      compareFindings(a.finding, b.finding) ||
      Number(a.suppression !== undefined) - Number(b.suppression !== undefined),
  );

  const ruleIndex = new Map<string, number>();
  const rules: Array<Record<string, unknown>> = [];
  const byRule = new Map<string, Finding[]>();
  for (const { finding } of entries) byRule.set(finding.id, [...(byRule.get(finding.id) ?? []), finding]);
  for (const [id, findings] of byRule) {
    ruleIndex.set(id, rules.length);
    rules.push(rule(id, findings));
  }

  return {
    $schema: SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'Vigil',
            version: options.toolVersion,
            semanticVersion: options.toolVersion,
            rules,
          },
        },
        results: entries.map((entry) => result(entry, ruleIndex.get(entry.finding.id)!, report)),
        originalUriBaseIds: { ROOTPATH: { uri: 'file:///' } },
        properties: {
          imageName: report.inventory.image.ref,
          ...(report.inventory.image.manifestDigest ? { imageDigest: report.inventory.image.manifestDigest } : {}),
          ...(report.db.builtAt ? { databaseBuiltAt: report.db.builtAt } : {}),
        },
      },
    ],
  };
}

function rule(id: string, findings: readonly Finding[]): Record<string, unknown> {
  // the most severe finding speaks for the rule: one id can rate differently per ecosystem
  const worst = [...findings].sort(compareFindings)[0]!;
  const score = Math.max(...findings.map(securitySeverity));
  const summary = worst.summary ?? `${id} in ${worst.package.name}`;
  const packages = [...new Set(findings.map((f) => `${f.package.name} ${f.package.version}`))];
  const help = [
    `Vulnerability ${id}`,
    `Severity: ${worst.severity}`,
    ...(worst.aliases.length > 0 ? [`Aliases: ${worst.aliases.join(', ')}`] : []),
    `Packages: ${packages.join('; ')}`,
    `Fixed in: ${fixText(worst)}`,
    `Link: ${primaryUrl(worst)}`,
  ];
  return {
    id,
    shortDescription: { text: oneLine(summary, 1000) },
    fullDescription: { text: oneLine(worst.summary ?? summary, 4000) },
    defaultConfiguration: { level: LEVEL[worst.severity] },
    helpUri: primaryUrl(worst),
    help: {
      text: help.join('\n'),
      markdown: [
        '| Package | Installed | Fixed in | Severity |',
        '| --- | --- | --- | --- |',
        ...findings.map(
          (f) => `| ${md(f.package.name)} | ${md(f.package.version)} | ${md(fixText(f))} | ${f.severity} |`,
        ),
        '',
        `[${md(id)}](${primaryUrl(worst)})`,
      ].join('\n'),
    },
    properties: {
      tags: ['vulnerability', 'security', worst.severity],
      precision: 'very-high',
      'security-severity': score.toFixed(1),
    },
  };
}

function result(entry: Entry, index: number, report: ScanReport): Record<string, unknown> {
  const { finding, suppression } = entry;
  const pkg = finding.package;
  const location = pkg.locations[0] ?? report.inventory.image.ref;
  const message = [
    `Package: ${pkg.name}`,
    `Installed Version: ${pkg.version}`,
    `Vulnerability ${finding.id}`,
    `Severity: ${finding.severity}`,
    `Fixed Version: ${fixText(finding)}`,
    `Link: [${finding.id}](${primaryUrl(finding)})`,
  ].join('\n');
  return {
    ruleId: finding.id,
    ruleIndex: index,
    level: LEVEL[finding.severity],
    message: { text: message },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: uriPath(location), uriBaseId: 'ROOTPATH' },
          region: { startLine: 1, startColumn: 1, endLine: 1, endColumn: 1 },
        },
        message: { text: `${location}: ${pkg.name}@${pkg.version}` },
      },
    ],
    // GitHub de-duplicates alerts across runs by fingerprint; a package has no source line to hash
    partialFingerprints: {
      'vigilFinding/v1': createHash('sha256')
        .update(`${finding.id}\u0000${pkg.purl || pkg.name}\u0000${location}`)
        .digest('hex'),
    },
    ...(suppression
      ? { suppressions: [{ kind: 'external', status: 'accepted', justification: oneLine(suppression.reason, 1000) }] }
      : {}),
    properties: {
      purl: pkg.purl,
      ...(finding.kev ? { kev: true } : {}),
      ...(finding.epss ? { epss: finding.epss.score } : {}),
    },
  };
}

function securitySeverity(finding: Finding): number {
  return maxCvss(finding) ?? FALLBACK_SCORE[finding.severity];
}

/** A relative URI reference (§3.4.3) for an image path: no leading "/", each segment percent-encoded. */
function uriPath(path: string): string {
  return path
    .replace(/^\/+/, '')
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function md(text: string): string {
  return text.replace(/[|\\`*_[\]<>]/g, (c) => `\\${c}`).replace(/\s+/g, ' ');
}
