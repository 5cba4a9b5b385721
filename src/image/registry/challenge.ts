/**
 * WWW-Authenticate parsing (RFC 9110 §11.6.1): one or more challenges, each a scheme followed by
 * either a token68 or comma-separated auth-params whose values are tokens or quoted strings.
 * Registries send e.g. `Bearer realm="https://auth.docker.io/token",service="registry.docker.io",
 * scope="repository:library/alpine:pull"` (distribution docs/spec/auth/token.md).
 */

export interface Challenge {
  /** lower-cased: "bearer", "basic" ... */
  readonly scheme: string;
  /** parameter names lower-cased */
  readonly params: Readonly<Record<string, string>>;
}

const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const MAX_HEADER_LENGTH = 16 * 1024;

class Scanner {
  readonly text: string;
  pos = 0;

  constructor(text: string) {
    this.text = text;
  }

  get done(): boolean {
    return this.pos >= this.text.length;
  }

  skipSpace(): void {
    while (!this.done && /[ \t]/.test(this.text[this.pos]!)) this.pos++;
  }

  peek(): string | undefined {
    return this.text[this.pos];
  }

  token(): string {
    const start = this.pos;
    while (!this.done && TOKEN_CHAR.test(this.text[this.pos]!)) this.pos++;
    return this.text.slice(start, this.pos);
  }

  /** At the opening quote; handles backslash escapes; tolerates a missing closing quote. */
  quoted(): string {
    this.pos++;
    let value = '';
    while (!this.done) {
      const ch = this.text[this.pos++]!;
      if (ch === '"') return value;
      if (ch === '\\' && !this.done) value += this.text[this.pos++];
      else value += ch;
    }
    return value;
  }
}

export function parseWwwAuthenticate(header: string | null | undefined): Challenge[] {
  if (!header) return [];
  const s = new Scanner(header.slice(0, MAX_HEADER_LENGTH));
  const challenges: Challenge[] = [];
  let current: { scheme: string; params: Record<string, string> } | undefined;
  while (!s.done) {
    s.skipSpace();
    if (s.peek() === ',') {
      s.pos++;
      continue;
    }
    const word = s.token();
    if (word === '') {
      s.pos++; // junk character: skip it rather than loop forever
      continue;
    }
    s.skipSpace();
    if (s.peek() === '=' && current !== undefined) {
      s.pos++;
      s.skipSpace();
      const value = s.peek() === '"' ? s.quoted() : s.token();
      current.params[word.toLowerCase()] = value;
      continue;
    }
    if (s.peek() === '=' && current === undefined) {
      s.pos++; // a parameter without a scheme: skip it
      s.skipSpace();
      if (s.peek() === '"') s.quoted();
      else s.token();
      continue;
    }
    current = { scheme: word.toLowerCase(), params: {} };
    challenges.push(current);
    // A token68 credential (e.g. `Negotiate abc==`) is a bare run of token characters and "=".
    const after = s.pos;
    const maybeToken68 = s.token();
    if (maybeToken68 !== '' && /^=*(?:[ \t]*(?:,|$))/.test(s.text.slice(s.pos))) {
      while (s.peek() === '=') s.pos++;
    } else {
      s.pos = after;
    }
  }
  return challenges;
}

/** The challenge Vigil will answer: Bearer when offered, else Basic. */
export function preferredChallenge(challenges: readonly Challenge[]): Challenge | undefined {
  return challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
}
