import { compareText } from '../digits.ts';
import type { Ordering } from '../types.ts';

/**
 * Ordering of pre-PEP 440 ("legacy") Python versions, as packaging < 22 ordered LegacyVersion
 * (packaging/version.py _legacy_cmpkey, after setuptools' parse_version): the string is split into
 * numbers, words, "." and "-"; numbers are zero-padded to eight digits, words marked with "*", and
 * trailing zero numbers and "final-" markers dropped before each word. All legacy versions sort
 * below every PEP 440 version (their epoch is -1).
 */
const COMPONENT = /(\d+|[a-z]+|\.|-)/;
const REPLACEMENT: Readonly<Record<string, string>> = { pre: 'c', preview: 'c', '-': 'final-', rc: 'c', dev: '@' };

export function legacyKey(version: string): readonly string[] {
  const parts: string[] = [];
  const pieces = version.toLowerCase().split(COMPONENT);
  pieces.push('*final');
  for (let i = 0; i < pieces.length; i++) {
    let part = pieces[i] as string;
    if (i < pieces.length - 1) {
      part = REPLACEMENT[part] ?? part;
      if (part === '' || part === '.') continue;
      const c = part.charCodeAt(0);
      part = c >= 48 && c <= 57 ? part.padStart(8, '0') : `*${part}`;
    }
    if (part.startsWith('*')) {
      if (part < '*final') while (parts.at(-1) === '*final-') parts.pop();
      while (parts.at(-1) === '00000000') parts.pop();
    }
    parts.push(part);
  }
  return parts;
}

/** Python tuple ordering of two legacy keys */
export function compareLegacy(a: readonly string[], b: readonly string[]): Ordering {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = compareText(a[i] as string, b[i] as string);
    if (d !== 0) return d;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}
