/**
 * Installed-gem specifications (`specifications/<name>-<version>.gemspec`) as RubyGems writes them
 * with Gem::Specification#to_ruby (rubygems lib/rubygems/specification.rb):
 *
 *   Gem::Specification.new do |s|
 *     s.name = "rake".freeze
 *     s.version = "13.0.6"
 *     s.licenses = ["MIT".freeze]
 *
 * Read as text, never executed: only assignments of literal strings (or arrays of them) to name,
 * version, license and licenses on the block variable count; anything computed is ignored.
 */

export interface GemSpec {
  readonly name?: string;
  readonly version?: string;
  readonly licenses: readonly string[];
}

const BLOCK_START = /Gem::Specification\.new\s*(?:do|\{)\s*\|\s*([A-Za-z_]\w*)\s*\|/;
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', s: ' ', '0': '\0', e: '\x1b' };

/** A Ruby string literal at the start of `text`, with its length; undefined if there is none. */
function stringLiteral(text: string): { value: string; length: number } | undefined {
  const quote = text[0];
  if (quote === '"' || quote === "'") {
    let value = '';
    for (let i = 1; i < text.length; i++) {
      const c = text[i]!;
      if (c === quote) return { value, length: i + 1 };
      // "#{...}" interpolates: the value is computed, not written down
      if (quote === '"' && c === '#' && text[i + 1] === '{') return undefined;
      if (c === '\\' && i + 1 < text.length) {
        const next = text[++i]!;
        value += quote === "'" ? (next === "'" || next === '\\' ? next : `\\${next}`) : (ESCAPES[next] ?? next);
      } else value += c;
    }
    return undefined;
  }
  // %q<...>, %q{...}, %q(...), %q[...] as to_ruby writes dependency names; %Q would interpolate
  const percent = /^%q([<{([])/.exec(text);
  if (percent) {
    const close = { '<': '>', '{': '}', '(': ')', '[': ']' }[percent[1]!]!;
    const end = text.indexOf(close, 3);
    if (end === -1) return undefined;
    return { value: text.slice(3, end), length: end + 1 };
  }
  return undefined;
}

/** `"x".freeze` or `"x"`: the literal and what follows it */
function frozenLiteral(text: string): { value: string; rest: string } | undefined {
  const literal = stringLiteral(text);
  if (!literal) return undefined;
  let rest = text.slice(literal.length);
  if (rest.startsWith('.freeze')) rest = rest.slice('.freeze'.length);
  return { value: literal.value, rest };
}

/** a literal string or an array of them, alone on the rest of the line (a trailing comment allowed) */
function literalValues(text: string): string[] | undefined {
  const ends = (rest: string) => /^\s*(?:#.*)?$/.test(rest);
  let rest = text.trim();
  if (!rest.startsWith('[')) {
    const single = frozenLiteral(rest);
    return single && ends(single.rest) ? [single.value] : undefined;
  }
  const values: string[] = [];
  rest = rest.slice(1).trimStart();
  while (!rest.startsWith(']')) {
    const item = frozenLiteral(rest);
    if (!item) return undefined;
    values.push(item.value);
    rest = item.rest.trimStart();
    if (rest.startsWith(',')) rest = rest.slice(1).trimStart();
    else if (!rest.startsWith(']')) return undefined;
  }
  return ends(rest.slice(1)) ? values : undefined;
}

/**
 * Parses the gemspec text. Missing fields are left undefined for the caller to report; the
 * first assignment wins, as the fields to_ruby writes appear once.
 */
export function parseGemspec(text: string): GemSpec {
  let variable: string | undefined;
  let name: string | undefined;
  let version: string | undefined;
  let licenses: string[] | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (variable === undefined) {
      variable = BLOCK_START.exec(line)?.[1];
      continue;
    }
    if (!line.startsWith(`${variable}.`)) continue;
    const assignment = /^\.(name|version|licenses|license)\s*=(?!=)(.*)$/.exec(line.slice(variable.length));
    if (!assignment) continue;
    const values = literalValues(assignment[2]!);
    if (!values) continue;
    const field = assignment[1];
    if (field === 'name' && name === undefined && values.length === 1) name = values[0]!.trim();
    else if (field === 'version' && version === undefined && values.length === 1) version = values[0]!.trim();
    // licenses= takes a string or an array (Gem::Specification#licenses= calls Array()); license= one string
    else if ((field === 'licenses' || field === 'license') && licenses === undefined) {
      licenses = values.map((v) => v.trim()).filter((v) => v !== '');
    }
  }
  return { ...(name ? { name } : {}), ...(version ? { version } : {}), licenses: licenses ?? [] };
}
