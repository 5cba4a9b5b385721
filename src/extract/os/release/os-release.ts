/**
 * The os-release(5) file format (https://www.freedesktop.org/software/systemd/man/os-release.html),
 * also used by /etc/lsb-release: newline-separated shell-compatible assignments KEY=value; values
 * in double or single quotes when they hold special characters; inside double quotes "$", '"', "\"
 * and "`" are escaped with a backslash; no variable expansion, no concatenation of quoted strings;
 * lines starting with "#" are comments, blank lines are ignored.
 */

export interface KeyValueFile {
  readonly values: ReadonlyMap<string, string>;
  /** lines that were not assignments, with the reason */
  readonly problems: readonly string[];
}

const DOUBLE_QUOTE_ESCAPES = new Set(['$', '"', '\\', '`']);

function isKey(key: string): boolean {
  if (key === '' || key.length > 128) return false;
  for (let i = 0; i < key.length; i++) {
    const c = key[i]!;
    const letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c === '_';
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

/** The value after "=": undefined when a quote is not closed. */
function parseValue(raw: string): string | undefined {
  const text = raw.trim();
  const quote = text[0];
  if (quote === '"') {
    let out = '';
    for (let i = 1; i < text.length; i++) {
      const c = text[i]!;
      if (c === '\\' && i + 1 < text.length && DOUBLE_QUOTE_ESCAPES.has(text[i + 1]!)) {
        out += text[++i];
      } else if (c === '"') {
        return out;
      } else {
        out += c;
      }
    }
    return undefined;
  }
  if (quote === "'") {
    const close = text.indexOf("'", 1);
    return close === -1 ? undefined : text.slice(1, close);
  }
  // Unquoted: a backslash escapes the next character, as in the shell.
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) out += text[++i];
    else out += c;
  }
  return out;
}

/** Parses KEY=value lines; a repeated key keeps its last value, as a shell sourcing the file would. */
export function parseKeyValueFile(text: string): KeyValueFile {
  const values = new Map<string, string>();
  const problems: string[] = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.replace(/\r$/, '').trimStart();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const key = eq === -1 ? '' : line.slice(0, eq);
    if (!isKey(key)) {
      problems.push(`line ${n + 1}: not a KEY=value assignment`);
      continue;
    }
    const value = parseValue(line.slice(eq + 1));
    if (value === undefined) {
      problems.push(`line ${n + 1}: ${key} has an unterminated quote`);
      continue;
    }
    values.set(key, value);
  }
  return { values, problems };
}
