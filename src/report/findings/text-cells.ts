/** Cell helpers for the human table: code-point widths, truncation with an ellipsis, escaped controls. */
export const ELLIPSIS = '…';

export function length(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

export function truncate(text: string, room: number | undefined): string {
  if (room === undefined || length(text) <= room) return text;
  return room <= 1
    ? ELLIPSIS.slice(0, room)
    : `${Array.from(text)
        .slice(0, room - 1)
        .join('')}${ELLIPSIS}`;
}

/** C0, DEL and C1 controls shown as \xNN: package and advisory text is untrusted. */
export function clean(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * Column widths for rows that must fit `width`: natural widths, then the widest column that is
 * still above its minimum loses a character at a time (as the inventory table does).
 */
export function fitWidths(
  headers: readonly string[],
  rows: readonly string[][],
  gap: number,
  width: number | undefined,
  minimums?: readonly number[],
): number[] {
  const widths = headers.map((header, i) =>
    rows.reduce((widest, row) => Math.max(widest, length(row[i] ?? '')), length(header)),
  );
  if (width === undefined) return widths;
  const minimum = minimums ?? headers.map((header) => length(header));
  let total = widths.reduce((a, b) => a + b, 0) + gap * (headers.length - 1);
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

/** Breaks a "a, b, c" list onto several lines of at most `width` code points, continuation lines indented. */
export function wrapList(text: string, width: number | undefined, indent = '  '): string[] {
  if (width === undefined || length(text) <= width) return [text];
  const lines: string[] = [];
  let current = '';
  for (const part of text.split(/(?<=, )/)) {
    if (current !== '' && length(current) + length(part.trimEnd()) > width) {
      lines.push(current.trimEnd());
      current = indent;
    }
    current += part;
  }
  lines.push(current.trimEnd());
  return lines.map((line) => truncate(line, width));
}
