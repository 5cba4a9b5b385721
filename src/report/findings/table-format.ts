import type { Finding } from '../../core/types.ts';
import type { Suppression } from '../../policy/types.ts';
import { imagePlatform } from '../image-identity.ts';
import { compareByPackage, compareFindings, fixText, summaryLine } from './report-facts.ts';
import { clean, fitWidths, length, truncate, wrapList } from './text-cells.ts';
import type { FindingsFormat, FindingsRenderOptions, ScanReport } from './types.ts';

/**
 * Findings for people, after Trivy's table: a header naming the image and the data, the summary
 * line, one row per finding (grouped by package, the package named once, or most severe first),
 * then what VEX or the ignore file suppressed and the notes. Width-aware: cells shrink, widest
 * first, to fit `width`; control characters in package or advisory text are escaped.
 */
export const tableFormat = {
  id: 'table',
  mediaType: 'text/plain; charset=utf-8',
  fileExtension: '.txt',
  render(report: ScanReport, options: FindingsRenderOptions): string {
    const style = options.color === true ? ansi : plain;
    const width = options.width !== undefined && options.width > 0 ? Math.floor(options.width) : undefined;
    const lines = [
      ...header(report, style, width),
      '',
      ...wrapList(summaryLine(report.findings), width).map((line) => style.bold(line)),
      ...suppressedLine(report.suppressed).flatMap((line) => wrapList(line, width)),
      '',
      ...findingTable(report.findings, options.order ?? 'package', style, width),
      ...suppressedList(report.suppressed, style, width),
      ...noteList(report.notes, style, width),
    ];
    return `${lines.join('\n')}\n`;
  },
} as const satisfies FindingsFormat;

interface Style {
  bold(text: string): string;
  severity(severity: string, text: string): string;
}
const plain: Style = { bold: (t) => t, severity: (_s, t) => t };
// Trivy's palette: CRITICAL red, HIGH bright red, MEDIUM yellow, LOW blue, UNKNOWN/NONE default
const SEVERITY_COLOURS: Readonly<Record<string, string>> = { CRITICAL: '31', HIGH: '91', MEDIUM: '33', LOW: '34' };
const ansi: Style = {
  bold: (t) => `\u001b[1m${t}\u001b[22m`,
  severity: (s, t) => (SEVERITY_COLOURS[s] ? `\u001b[${SEVERITY_COLOURS[s]}m${t}\u001b[39m` : t),
};

const COLUMNS: readonly string[] = ['PACKAGE', 'VULNERABILITY', 'SEVERITY', 'STATUS', 'INSTALLED', 'FIXED IN', 'TITLE'];
const SEVERITY_COLUMN = 2;
const UNCUT_COLUMNS: ReadonlySet<string> = new Set(['VULNERABILITY', 'SEVERITY', 'STATUS']);
const DROP_ORDER = ['TITLE', 'STATUS', 'FIXED IN'] as const;
const GAP = '  ';

function header(report: ScanReport, style: Style, width: number | undefined): string[] {
  const { image, distro, packages } = report.inventory;
  const distroText = distro
    ? (distro.prettyName ?? [distro.id, distro.versionId].filter((part) => part !== undefined).join(' '))
    : 'not detected';
  const sources = report.db.sources.map((s) => `${s.name}${s.stale ? ' (stale)' : ''}`);
  const rows: Array<[string, string]> = [
    ['Image', image.ref],
    ['Digest', image.manifestDigest],
    ['Platform', imagePlatform(report.inventory)],
    ['Distro', distroText],
    ['Packages', String(packages.length)],
    [
      'Database',
      [
        report.db.builtAt ? `built ${report.db.builtAt}` : 'build time unknown',
        ...(sources.length > 0 ? [`from ${sources.join(', ')}`] : []),
      ].join(' '),
    ],
  ];
  const labelWidth = Math.max(...rows.map(([label]) => label.length)) + 2;
  return rows.map(([label, value]) => {
    const room = width === undefined ? undefined : Math.max(width - labelWidth, 1);
    return style.bold(label.padEnd(labelWidth)) + truncate(clean(value), room);
  });
}

function suppressedLine(suppressed: readonly Suppression[]): string[] {
  if (suppressed.length === 0) return [];
  const vex = suppressed.filter((s) => s.by === 'vex').length;
  return [`Suppressed: ${suppressed.length} (VEX: ${vex}, ignore file: ${suppressed.length - vex})`];
}

const STATUS: Readonly<Record<Finding['fixState'], string>> = {
  fixed: 'fixed',
  'not-fixed': 'affected',
  'wont-fix': "won't fix",
};

function findingTable(
  findings: readonly Finding[],
  order: 'package' | 'severity',
  style: Style,
  width: number | undefined,
): string[] {
  if (findings.length === 0) return ['No vulnerabilities found.'];
  const sorted = [...findings].sort(order === 'package' ? compareByPackage : compareFindings);
  const located = installedInSeveralPlaces(findings);
  const rows = sorted.map((finding, i) => {
    const previous = sorted[i - 1];
    const samePackage =
      order === 'package' &&
      previous !== undefined &&
      previous.package.name === finding.package.name &&
      previous.package.version === finding.package.version &&
      previous.package.purl === finding.package.purl &&
      previous.package.locations[0] === finding.package.locations[0];
    return [
      samePackage ? '' : packageCell(finding, located),
      finding.id,
      finding.severity,
      STATUS[finding.fixState],
      samePackage ? '' : finding.package.version,
      finding.fixedVersions.length > 0 ? fixText(finding) : '',
      `${finding.kev ? 'KEV ' : ''}${finding.summary ?? ''}`,
    ].map(clean);
  });
  const { columns, widths } = layout(rows, width);
  const line = (cells: readonly string[], format: (text: string, column: string) => string) =>
    columns
      .map((column, i) => {
        const text = truncate(cells[COLUMNS.indexOf(column)]!, widths[i]);
        const padding = i === columns.length - 1 ? '' : ' '.repeat(widths[i]! - length(text));
        return format(text, column) + padding;
      })
      .join(GAP)
      .trimEnd();
  return [
    line(COLUMNS, (t) => style.bold(t)),
    ...rows.map((row) =>
      line(row, (t, column) => (column === 'SEVERITY' ? style.severity(row[SEVERITY_COLUMN]!, t) : t)),
    ),
  ];
}

/** name@version keys installed at more than one path: their rows say where, or they read as repeats */
function installedInSeveralPlaces(findings: readonly Finding[]): ReadonlySet<string> {
  const places = new Map<string, Set<string>>();
  for (const { package: pkg } of findings) {
    const key = `${pkg.name}@${pkg.version}`;
    const set = places.get(key) ?? new Set<string>();
    set.add(pkg.locations[0] ?? '');
    places.set(key, set);
  }
  return new Set([...places].filter(([, set]) => set.size > 1).map(([key]) => key));
}

function packageCell(finding: Finding, located: ReadonlySet<string>): string {
  const { name, version, locations } = finding.package;
  return located.has(`${name}@${version}`) && locations[0] ? `${name} (${locations[0]})` : name;
}

/**
 * Which columns fit and how wide: ids, severities and statuses are not cut (a truncated CVE id
 * names another vulnerability), so on a narrow terminal whole columns go first, TITLE, then
 * STATUS, then FIXED IN; only when even that does not fit is every column cut to its header.
 */
function layout(rows: readonly string[][], width: number | undefined): { columns: string[]; widths: number[] } {
  const natural = fitWidths(COLUMNS, rows, GAP.length, undefined);
  const minimum = (column: string) => (UNCUT_COLUMNS.has(column) ? natural[COLUMNS.indexOf(column)]! : column.length);
  const total = (columns: readonly string[]) =>
    columns.reduce((sum, c) => sum + minimum(c), 0) + GAP.length * (columns.length - 1);
  let columns: string[] = [...COLUMNS];
  for (const dropped of DROP_ORDER) {
    if (width === undefined || total(columns) <= width) break;
    columns = columns.filter((column) => column !== dropped);
  }
  const cells = rows.map((row) => columns.map((column) => row[COLUMNS.indexOf(column)]!));
  const cut = width !== undefined && total(columns) > width;
  const widths = fitWidths(
    columns,
    cells,
    GAP.length,
    width,
    columns.map((c) => (cut ? c.length : minimum(c))),
  );
  return { columns, widths };
}

const SUPPRESSED_COLUMNS = ['VULNERABILITY', 'PACKAGE', 'INSTALLED', 'WHY'] as const;

function suppressedList(suppressed: readonly Suppression[], style: Style, width: number | undefined): string[] {
  if (suppressed.length === 0) return [];
  const rows = [...suppressed]
    .sort((a, b) => compareFindings(a.finding, b.finding))
    .map((s) => [s.finding.id, s.finding.package.name, s.finding.package.version, s.reason].map(clean));
  const widths = fitWidths(SUPPRESSED_COLUMNS, rows, GAP.length, width === undefined ? undefined : width - 2);
  const line = (cells: readonly string[]) =>
    `  ${cells
      .map((cell, i) => {
        const text = truncate(cell, widths[i]);
        return i === cells.length - 1 ? text : text + ' '.repeat(widths[i]! - length(text));
      })
      .join(GAP)}`.trimEnd();
  return ['', style.bold('SUPPRESSED'), style.bold(line(SUPPRESSED_COLUMNS)), ...rows.map(line)];
}

function noteList(notes: readonly string[], style: Style, width: number | undefined): string[] {
  if (notes.length === 0) return [];
  return ['', style.bold('NOTES'), ...notes.map((note) => truncate(`  ${clean(note)}`, width))];
}
