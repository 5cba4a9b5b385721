/**
 * A reader for the YAML that pnpm and yarn berry write by machine: block mappings by indentation,
 * plain and quoted scalars, block sequences of scalars, flow collections ({a: b}, [x, y]) and `---`
 * document markers. It builds plain objects directly; the `yaml` library's document model costs
 * about 40 bytes of heap per byte of lockfile (400 MB for a 10 MB pnpm-lock.yaml). Anything outside
 * this subset (anchors, tags, block scalars, multi-line plain scalars) returns undefined, and the
 * caller falls back to the full parser. YAML 1.2 spec, chapters 6–8, for the constructs kept.
 */

type Json = Record<string, unknown>;

class Unsupported extends Error {}

const newMap = (): Json => Object.create(null) as Json;

function plain(text: string): unknown {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'null' || text === '~') return null;
  if (/^[&*!|>%@`]/.test(text) || /^[-?:](?: |$)/.test(text)) throw new Unsupported(text);
  return text;
}

/** A quoted scalar starting at `at`: [value, index after the closing quote]. */
function quoted(text: string, at: number): [string, number] {
  const quote = text[at];
  let out = '';
  let i = at + 1;
  while (i < text.length) {
    const c = text[i]!;
    if (quote === "'" && c === "'") {
      if (text[i + 1] === "'") {
        out += "'";
        i += 2;
        continue;
      }
      return [out, i + 1];
    }
    if (quote === '"' && c === '\\') {
      const next = text[i + 1];
      const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', n: '\n', t: '\t', r: '\r', '0': '\0' };
      if (next === undefined || simple[next] === undefined) throw new Unsupported('escape');
      out += simple[next];
      i += 2;
      continue;
    }
    if (quote === '"' && c === '"') return [out, i + 1];
    out += c;
    i++;
  }
  throw new Unsupported('unterminated quote');
}

/** A flow collection or scalar at `at` inside a flow context: [value, next index]. */
function flow(text: string, at: number, depth: number): [unknown, number] {
  if (depth > 64) throw new Unsupported('deep flow');
  let i = at;
  while (text[i] === ' ') i++;
  const open = text[i];
  if (open === '{' || open === '[') {
    const close = open === '{' ? '}' : ']';
    const map = newMap();
    const list: unknown[] = [];
    i++;
    for (;;) {
      while (text[i] === ' ') i++;
      if (text[i] === close) return [open === '{' ? map : list, i + 1];
      if (open === '[') {
        const [value, next] = flow(text, i, depth + 1);
        list.push(value);
        i = next;
      } else {
        const [key, afterKey] = flowScalar(text, i, true);
        i = afterKey;
        while (text[i] === ' ') i++;
        if (text[i] !== ':') throw new Unsupported('flow key');
        const [value, next] = flow(text, i + 1, depth + 1);
        map[String(key)] = value;
        i = next;
      }
      while (text[i] === ' ') i++;
      if (text[i] === ',') i++;
      else if (text[i] !== close) throw new Unsupported('flow separator');
    }
  }
  return flowScalar(text, i, false);
}

function flowScalar(text: string, at: number, isKey: boolean): [unknown, number] {
  if (text[at] === "'" || text[at] === '"') return quoted(text, at);
  let end = at;
  // a plain scalar in flow context ends at ",", a closing bracket, or ": " for a key
  while (end < text.length && !',]}'.includes(text[end]!) && !(text[end] === ':' && (text[end + 1] === ' ' || isKey)))
    end++;
  const raw = text.slice(at, end).trim();
  if (raw === '') throw new Unsupported('empty flow scalar');
  return [isKey ? raw : plain(raw), end];
}

/** The value after "key:" on a block line. */
function inlineValue(text: string): unknown {
  if (text.startsWith('{') || text.startsWith('[')) {
    const [value, end] = flow(text, 0, 0);
    if (text.slice(end).trim() !== '') throw new Unsupported('text after flow');
    return value;
  }
  if (text.startsWith("'") || text.startsWith('"')) {
    const [value, end] = quoted(text, 0);
    if (text.slice(end).trim() !== '') throw new Unsupported('text after quote');
    return value;
  }
  return plain(text);
}

/** "key: value" → [key, rest]; rest is "" for "key:" */
function splitKey(content: string): [string, string] {
  if (content.startsWith("'") || content.startsWith('"')) {
    const [key, end] = quoted(content, 0);
    if (content[end] !== ':') throw new Unsupported('quoted key');
    return [key, content.slice(end + 1).trim()];
  }
  const colon = content.indexOf(': ');
  if (colon > 0) return [content.slice(0, colon), content.slice(colon + 2).trim()];
  if (content.endsWith(':')) return [content.slice(0, -1), ''];
  throw new Unsupported('not a mapping line');
}

interface Frame {
  readonly indent: number;
  readonly container: Json | unknown[];
}

export function parseLockYaml(text: string): Json[] | undefined {
  try {
    return parseDocuments(text);
  } catch (err) {
    if (err instanceof Unsupported) return undefined;
    throw err;
  }
}

function parseDocuments(text: string): Json[] {
  const documents: Json[] = [];
  let root = newMap();
  let stack: Frame[] = [{ indent: 0, container: root }];
  let pending: { map: Json; key: string; indent: number } | undefined;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const line = text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end);
    start = end + 1;
    const content = line.trimStart();
    if (content === '' || content.startsWith('#')) continue;
    const indent = line.length - content.length;
    if (line.slice(0, indent).includes('\t')) throw new Unsupported('tab indent');
    if (indent === 0 && (content === '---' || content === '...')) {
      if (Object.keys(root).length > 0) documents.push(root);
      root = newMap();
      stack = [{ indent: 0, container: root }];
      pending = undefined;
      continue;
    }
    const item = content === '-' || content.startsWith('- ');
    if (pending) {
      // the key above opened a block: a mapping or a sequence, whichever this line starts
      if (indent > pending.indent || (item && indent === pending.indent)) {
        const container: Json | unknown[] = item ? [] : newMap();
        pending.map[pending.key] = container;
        stack.push({ indent, container });
      } else {
        pending.map[pending.key] = null;
      }
      pending = undefined;
    }
    while (stack.length > 1) {
      const top = stack[stack.length - 1]!;
      // a sequence written at its key's own indent ends at the next key of that indent
      const sequenceDone = top.indent === indent && Array.isArray(top.container) && !item;
      if (top.indent > indent || sequenceDone) stack.pop();
      else break;
    }
    const frame = stack[stack.length - 1]!;
    if (frame.indent !== indent) throw new Unsupported('indentation');
    if (Array.isArray(frame.container)) {
      if (!item) throw new Unsupported('mapping after sequence');
      const rest = content.slice(1).trim();
      if (rest === '' || /^[^'"{[][^:]*:( |$)/.test(rest)) throw new Unsupported('nested sequence item');
      frame.container.push(inlineValue(rest));
      continue;
    }
    if (item) throw new Unsupported('sequence in mapping');
    const [key, rest] = splitKey(content);
    if (rest === '') pending = { map: frame.container, key, indent };
    else frame.container[key] = inlineValue(rest);
  }
  if (pending) pending.map[pending.key] = null;
  if (Object.keys(root).length > 0 || documents.length === 0) documents.push(root);
  return documents;
}
