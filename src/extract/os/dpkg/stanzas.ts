/**
 * Reads the paragraphs of a dpkg database file (deb822 control syntax, Debian Policy §5.1): fields
 * "Name: value", continuation lines starting with a space or tab, paragraphs separated by lines that
 * are empty or hold only spaces and tabs. Field names are case-insensitive. Only the fields asked
 * for are kept, so a multi-megabyte Description never reaches memory.
 */
import { forEachLine, type WarningLog } from './text-lines.ts';

/** Field values keyed by lower-case field name. */
export type Stanza = ReadonlyMap<string, string>;

export interface StanzaOptions {
  /** lower-case names of the fields to keep */
  readonly fields: ReadonlySet<string>;
  readonly warnings: WarningLog;
  /** longest line read; longer lines are dropped with a warning */
  readonly maxLineLength?: number;
  /** longest field value kept (continuations included) */
  readonly maxValueLength?: number;
}

const MAX_LINE = 1 << 20;
const MAX_VALUE = 64 * 1024;

function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09) return false;
  }
  return true;
}

/** Streams the file and calls `onStanza` with each paragraph that has at least one kept field. */
export async function forEachStanza(
  localPath: string,
  onStanza: (stanza: Stanza, firstLine: number) => void,
  opts: StanzaOptions,
): Promise<void> {
  const maxValue = opts.maxValueLength ?? MAX_VALUE;
  let fields = new Map<string, string>();
  let inStanza = false;
  let firstLine = 0;
  /** field spelling as written → kept lower-case name, or null when the field is not kept */
  const fieldNames = new Map<string, string | null>();
  /** the kept field that continuation lines extend; undefined when the current field is not kept */
  let current: string | undefined;

  const finish = (): void => {
    if (fields.size > 0) onStanza(fields, firstLine);
    fields = new Map();
    inStanza = false;
    current = undefined;
  };

  await forEachLine(
    localPath,
    (line, lineNumber) => {
      if (isBlank(line)) {
        if (inStanza) finish();
        return;
      }
      if (!inStanza) {
        inStanza = true;
        firstLine = lineNumber;
        current = undefined;
      }
      const first = line.charCodeAt(0);
      if (first === 0x20 || first === 0x09) {
        if (current !== undefined) {
          // The kept fields are all single-line (simple) fields; a stray continuation is folded.
          const value = `${fields.get(current) ?? ''} ${line.trim()}`.trim();
          fields.set(current, value.length > maxValue ? value.slice(0, maxValue) : value);
        }
        return;
      }
      if (first === 0x23 /* # */) return;
      const colon = line.indexOf(':');
      if (colon <= 0) {
        opts.warnings.add(`line ${lineNumber}: not a "Field: value" line`);
        current = undefined;
        return;
      }
      const rawName = line.slice(0, colon);
      let name = fieldNames.get(rawName);
      if (name === undefined) {
        // a status file uses a few dozen distinct spellings; remember each one's verdict
        const lower = rawName.trim().toLowerCase();
        name = opts.fields.has(lower) ? lower : null;
        if (fieldNames.size < 4096) fieldNames.set(rawName, name);
      }
      if (name === null) {
        current = undefined;
        return;
      }
      if (fields.has(name)) {
        // dpkg rejects duplicate fields; keep the first value and ignore the repeat.
        opts.warnings.add(`line ${lineNumber}: duplicate field ${line.slice(0, colon).trim()}`);
        current = undefined;
        return;
      }
      const value = line.slice(colon + 1).trim();
      fields.set(name, value.length > maxValue ? value.slice(0, maxValue) : value);
      current = name;
    },
    {
      maxLineLength: opts.maxLineLength ?? MAX_LINE,
      onOverlong: (lineNumber) => opts.warnings.add(`line ${lineNumber}: longer than ${MAX_LINE} bytes, skipped`),
    },
  );
  finish();
}
