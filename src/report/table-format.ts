import type { Inventory, Package, Warning } from '../core/types.ts';
import { imagePlatform } from './image-identity.ts';
import type { RenderOptions, SbomFormat } from './types.ts';

/**
 * The inventory for people: a header block, one row per package sorted by type then name, and
 * the warnings. Widths count code points (wide CJK characters make a row look longer than it is).
 * Control characters in package data are escaped so that a hostile name cannot drive the terminal.
 */
export const tableFormat = {
  id: 'table',
  mediaType: 'text/plain; charset=utf-8',
  fileExtension: '.txt',
  render(inventory: Inventory, options: RenderOptions): string {
    const style = options.color === true ? ansi : plain;
    const width = options.width !== undefined && options.width > 0 ? Math.floor(options.width) : undefined;
    const lines = [
      ...headerBlock(inventory, style, width),
      '',
      ...packageTable(inventory.packages, style, width),
      ...warningList(inventory.warnings, style),
    ];
    return `${lines.join('\n')}\n`;
  },
} as const satisfies SbomFormat;

interface Style {
  bold(text: string): string;
  warn(text: string): string;
  dim(text: string): string;
}
const plain: Style = { bold: (t) => t, warn: (t) => t, dim: (t) => t };
const ansi: Style = {
  bold: (t) => `\u001b[1m${t}\u001b[22m`,
  warn: (t) => `\u001b[33m${t}\u001b[39m`,
  dim: (t) => `\u001b[2m${t}\u001b[22m`,
};

const COLUMNS = ['NAME', 'VERSION', 'TYPE', 'SOURCE', 'LAYER'] as const;
const GAP = '  ';
const ELLIPSIS = '…';

function headerBlock(inventory: Inventory, style: Style, width: number | undefined): string[] {
  const { image, distro, packages, warnings } = inventory;
  const counts = new Map<string, number>();
  for (const pkg of packages) counts.set(pkg.type, (counts.get(pkg.type) ?? 0) + 1);
  const byType = [...counts].sort(([a], [b]) => compareText(a, b)).map(([type, n]) => `${clean(type)} ${n}`);
  const distroText = distro
    ? (distro.prettyName ?? [distro.id, distro.versionId].filter((part) => part !== undefined).join(' '))
    : 'not detected';
  const rows: Array<[string, string]> = [
    ['Image', image.ref],
    ['Digest', image.manifestDigest],
    ['Platform', imagePlatform(inventory)],
    ['Distro', distroText],
    ['Packages', byType.length > 0 ? `${packages.length} (${byType.join(', ')})` : String(packages.length)],
    ['Warnings', String(warnings.length)],
  ];
  const labelWidth = Math.max(...rows.map(([label]) => label.length)) + 2;
  return rows.map(([label, value]) => {
    const room = width === undefined ? undefined : Math.max(width - labelWidth, 1);
    return style.bold(label.padEnd(labelWidth)) + truncate(clean(value), room);
  });
}

function packageTable(packages: readonly Package[], style: Style, width: number | undefined): string[] {
  if (packages.length === 0) return ['No packages found.'];
  const rows = [...packages].sort(comparePackages).map(packageRow);
  const widths = columnWidths(rows, width);
  const line = (cells: readonly string[], format: (text: string) => string) =>
    cells
      .map((cell, i) => {
        const text = truncate(cell, widths[i]);
        return i === cells.length - 1 ? format(text) : format(text) + ' '.repeat(widths[i]! - length(text));
      })
      .join(GAP)
      .trimEnd();
  return [line(COLUMNS, style.bold), ...rows.map((row) => line(row, (t) => t))];
}

function packageRow(pkg: Package): string[] {
  const source = pkg.sourceName !== undefined && pkg.sourceName !== pkg.name ? pkg.sourceName : '';
  return [pkg.name, pkg.version, pkg.type, source, layerLabel(pkg.layerIndex, pkg.layerDiffId)].map(clean);
}

/** "#2 3f1a9c…": the layer index as the inventory counts it (base layer #0) and a short diffID. */
function layerLabel(index: number | undefined, diffId: string | undefined): string {
  const short = diffId === undefined ? '' : `${(diffId.split(':').at(-1) ?? '').slice(0, 6)}${ELLIPSIS}`;
  return [index === undefined ? '' : `#${index}`, short].filter((part) => part !== '').join(' ');
}

/** Natural widths, then the widest column loses a character at a time until the row fits. */
function columnWidths(rows: readonly string[][], width: number | undefined): number[] {
  // reduce, not Math.max(...rows): an image can hold more packages than a call can take arguments
  const widths = COLUMNS.map((header, i) =>
    rows.reduce((widest, row) => Math.max(widest, length(row[i]!)), header.length),
  );
  if (width === undefined) return widths;
  const minimum = COLUMNS.map((header) => header.length);
  let total = widths.reduce((a, b) => a + b, 0) + GAP.length * (COLUMNS.length - 1);
  while (total > width) {
    let widest = -1;
    widths.forEach((w, i) => {
      if (w > minimum[i]! && (widest < 0 || w > widths[widest]!)) widest = i;
    });
    if (widest < 0) break;
    widths[widest]!--;
    total--;
  }
  return widths;
}

function warningList(warnings: readonly Warning[], style: Style): string[] {
  if (warnings.length === 0) return [];
  return [
    '',
    style.warn(style.bold('WARNINGS')),
    ...warnings.map((warning) => {
      const where = [
        warning.path === '' ? '(image)' : clean(warning.path),
        warning.extractor === undefined ? '' : `[${clean(warning.extractor)}]`,
        warning.layerDiffId === undefined
          ? ''
          : style.dim(`(layer ${clean(layerLabel(undefined, warning.layerDiffId))})`),
      ].filter((part) => part !== '');
      return `  ${where.join(' ')}: ${clean(warning.message)}`;
    }),
  ];
}

function comparePackages(a: Package, b: Package): number {
  return (
    compareText(a.type, b.type) ||
    compareText(a.name, b.name) ||
    compareText(a.version, b.version) ||
    (a.layerIndex ?? -1) - (b.layerIndex ?? -1)
  );
}

/** Code-unit order: the same on every machine and locale, so golden files hold. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function length(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

function truncate(text: string, room: number | undefined): string {
  if (room === undefined || length(text) <= room) return text;
  return room <= 1
    ? ELLIPSIS.slice(0, room)
    : `${Array.from(text)
        .slice(0, room - 1)
        .join('')}${ELLIPSIS}`;
}

/** C0, DEL and C1 controls shown as \xNN: package data comes from the image and is untrusted. */
function clean(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
