import { fixupSpdxId } from '@cyclonedx/cyclonedx-library/SPDX';

/**
 * How a package's license string reads as SPDX: a single listed identifier, a license expression
 * (SPDX 2.3 Annex D), or free text. Identifiers are checked against the SPDX license list bundled
 * with @cyclonedx/cyclonedx-library (the enum the CycloneDX schema validates `license.id` with);
 * that enum holds license and exception ids alike, so either is accepted on either side of WITH.
 */
export type SpdxLicense =
  | { readonly kind: 'id'; readonly id: string }
  | {
      readonly kind: 'expression';
      readonly expression: string;
      /** joins several terms with AND/OR/WITH: needs parentheses inside a larger expression */
      readonly compound: boolean;
      /** uses a LicenseRef-, which an SPDX document must declare */
      readonly hasLicenseRef: boolean;
    }
  | { readonly kind: 'text'; readonly text: string };

/** Longer strings are license texts, not expressions; the bound also keeps parser recursion shallow. */
const MAX_EXPRESSION_LENGTH = 512;
const MAX_DEPTH = 16;
const IDSTRING = /^[A-Za-z0-9.-]+$/;
const LICENSE_REF = /^LicenseRef-[A-Za-z0-9.-]+$/;
const OPERATORS = new Set(['AND', 'OR', 'WITH']);

type Token = { readonly kind: 'open' | 'close' } | { readonly kind: 'op'; readonly op: string } | Term;
type Term = { readonly kind: 'term'; readonly value: string; readonly ref: boolean };

export function classifyLicense(raw: string): SpdxLicense {
  const text = raw.trim();
  if (text === '' || text.length > MAX_EXPRESSION_LENGTH) return { kind: 'text', text };
  const tokens = tokenize(text);
  if (!tokens) return { kind: 'text', text };
  const parser = new ExpressionParser(tokens);
  if (!parser.parse()) return { kind: 'text', text };
  const only = tokens.length === 1 ? tokens[0] : undefined;
  if (only?.kind === 'term' && !only.ref && !only.value.endsWith('+')) return { kind: 'id', id: only.value };
  return {
    kind: 'expression',
    expression: serialize(tokens),
    compound: tokens.some((t) => t.kind === 'op'),
    hasLicenseRef: tokens.some((t) => t.kind === 'term' && t.ref),
  };
}

function tokenize(text: string): Token[] | undefined {
  const tokens: Token[] = [];
  for (const word of text.split(/(\(|\)|\s+)/)) {
    if (word === '' || /^\s+$/.test(word)) continue;
    if (word === '(') tokens.push({ kind: 'open' });
    else if (word === ')') tokens.push({ kind: 'close' });
    // Annex D: operators are matched case-sensitively
    else if (OPERATORS.has(word)) tokens.push({ kind: 'op', op: word });
    else {
      const term = canonicalTerm(word);
      if (!term) return undefined;
      tokens.push(term);
    }
  }
  return tokens;
}

/** Listed ids are matched case-insensitively (Annex D) and written in the list's spelling. */
function canonicalTerm(word: string): Term | undefined {
  if (LICENSE_REF.test(word)) return { kind: 'term', value: word, ref: true };
  const plus = word.endsWith('+');
  const id = plus ? word.slice(0, -1) : word;
  if (!IDSTRING.test(id)) return undefined;
  const listed = fixupSpdxId(id);
  return listed === undefined ? undefined : { kind: 'term', value: plus ? `${listed}+` : listed, ref: false };
}

/** Recursive descent over `or := and (OR and)*; and := with (AND with)*; with := primary [WITH id]`. */
class ExpressionParser {
  readonly #tokens: readonly Token[];
  #at = 0;

  constructor(tokens: readonly Token[]) {
    this.#tokens = tokens;
  }

  parse(): boolean {
    return this.#or(0) && this.#at === this.#tokens.length;
  }

  #or(depth: number): boolean {
    if (!this.#and(depth)) return false;
    while (this.#isOp('OR')) {
      this.#at++;
      if (!this.#and(depth)) return false;
    }
    return true;
  }

  #and(depth: number): boolean {
    if (!this.#with(depth)) return false;
    while (this.#isOp('AND')) {
      this.#at++;
      if (!this.#with(depth)) return false;
    }
    return true;
  }

  #with(depth: number): boolean {
    const start = this.#tokens[this.#at];
    if (!this.#primary(depth)) return false;
    if (!this.#isOp('WITH')) return true;
    // the left side of WITH is a simple expression, the right side an exception id
    if (start?.kind !== 'term') return false;
    this.#at++;
    const exception = this.#tokens[this.#at];
    if (exception?.kind !== 'term' || exception.ref || exception.value.endsWith('+')) return false;
    this.#at++;
    return true;
  }

  #primary(depth: number): boolean {
    const token = this.#tokens[this.#at];
    if (token?.kind === 'term') {
      this.#at++;
      return true;
    }
    if (token?.kind !== 'open' || depth >= MAX_DEPTH) return false;
    this.#at++;
    if (!this.#or(depth + 1)) return false;
    if (this.#tokens[this.#at]?.kind !== 'close') return false;
    this.#at++;
    return true;
  }

  #isOp(op: string): boolean {
    const token = this.#tokens[this.#at];
    return token?.kind === 'op' && token.op === op;
  }
}

function serialize(tokens: readonly Token[]): string {
  let out = '';
  let previous: Token | undefined;
  for (const token of tokens) {
    const text =
      token.kind === 'term' ? token.value : token.kind === 'op' ? token.op : token.kind === 'open' ? '(' : ')';
    const tight = previous === undefined || previous.kind === 'open' || token.kind === 'close';
    out += tight ? text : ` ${text}`;
    previous = token;
  }
  return out;
}
