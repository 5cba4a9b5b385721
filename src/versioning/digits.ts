import type { Ordering } from './types.ts';

/**
 * Orders two runs of ASCII digits by numeric value without converting them, so components longer
 * than Number.MAX_SAFE_INTEGER (seen in OSV test data and in date-stamped versions) stay exact.
 */
export function compareDigits(a: string, b: string): Ordering {
  let i = 0;
  let j = 0;
  while (i < a.length - 1 && a.charCodeAt(i) === 48) i++;
  while (j < b.length - 1 && b.charCodeAt(j) === 48) j++;
  const lenA = a.length - i;
  const lenB = b.length - j;
  if (lenA !== lenB) return lenA < lenB ? -1 : 1;
  for (; i < a.length; i++, j++) {
    const d = a.charCodeAt(i) - b.charCodeAt(j);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** compareDigits on a[aStart, aEnd) and b[bStart, bEnd), without slicing (empty runs are zero) */
export function compareDigitRuns(
  a: string,
  aStart: number,
  aEnd: number,
  b: string,
  bStart: number,
  bEnd: number,
): Ordering {
  let i = aStart;
  let j = bStart;
  while (i < aEnd && a.charCodeAt(i) === 48) i++;
  while (j < bEnd && b.charCodeAt(j) === 48) j++;
  const lenA = aEnd - i;
  const lenB = bEnd - j;
  if (lenA !== lenB) return lenA < lenB ? -1 : 1;
  for (; i < aEnd; i++, j++) {
    const d = a.charCodeAt(i) - b.charCodeAt(j);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** strcmp on a[aStart, aEnd) and b[bStart, bEnd) */
export function compareTextRuns(
  a: string,
  aStart: number,
  aEnd: number,
  b: string,
  bStart: number,
  bEnd: number,
): Ordering {
  const n = Math.min(aEnd - aStart, bEnd - bStart);
  for (let k = 0; k < n; k++) {
    const d = a.charCodeAt(aStart + k) - b.charCodeAt(bStart + k);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  const lenA = aEnd - aStart;
  const lenB = bEnd - bStart;
  return lenA === lenB ? 0 : lenA < lenB ? -1 : 1;
}

export function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}

export function isAllDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isDigitCode(s.charCodeAt(i))) return false;
  return true;
}

/** strcmp-like ordering of code units, as Go's strings.Compare and C's strcmp on ASCII */
export function compareText(a: string, b: string): Ordering {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** True for printable ASCII without space: the outer bound of every scheme's alphabet. */
export function isPrintableAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 32 || c >= 127) return false;
  }
  return true;
}
