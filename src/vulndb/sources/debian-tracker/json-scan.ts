import { VigilError } from '../../../core/errors.ts';

/**
 * A streaming scanner for feeds that are one big JSON object (RFC 8259): the Debian tracker export
 * (`{package: {...}}`, ~70 MB), NVD's CVE API 2.0 pages and feeds and CISA KEV (`{..., "vulnerabilities":
 * [...]}`). It checks the top-level structure itself and hands out the raw text of each top-level
 * member value, or of each element of the top-level arrays named in `expand`, for `JSON.parse` one at
 * a time, so memory holds one member or one element, never the document. Kept here because the Debian
 * tracker needed it first; KEV and NVD import it.
 */
export type JsonScanEvent =
  /** a top-level member not in `expand` (or in `expand` but not an array) */
  | { readonly kind: 'member'; readonly key: string; readonly text: string }
  /** the top-level member `key`, named in `expand`, is an array: its elements follow */
  | { readonly kind: 'array'; readonly key: string }
  /** one element of the top-level array member `key` */
  | { readonly kind: 'element'; readonly key: string; readonly index: number; readonly text: string }
  /** a value larger than `maxValueChars`: scanned past, not kept */
  | { readonly kind: 'oversize'; readonly key: string; readonly index?: number; readonly chars: number };

export interface JsonScanOptions {
  /** top-level members whose array value is handed out element by element */
  readonly expand?: readonly string[];
  /** the largest value kept, in UTF-16 code units */
  readonly maxValueChars?: number;
  /** the longest member name accepted */
  readonly maxKeyChars?: number;
}

type State =
  | 'start'
  | 'key-or-end'
  | 'key'
  | 'colon'
  | 'value'
  | 'comma-or-end'
  | 'element-or-end'
  | 'element'
  | 'element-comma-or-end'
  | 'done';

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
const OPEN = new Set([0x7b, 0x5b]); // { [
const CLOSE = new Set([0x7d, 0x5d]); // } ]
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Push-driven so that tests can feed it arbitrary chunkings; `scanJson` wraps it for streams. */
export class JsonScanner {
  readonly #expand: ReadonlySet<string>;
  readonly #maxValueChars: number;
  readonly #maxKeyChars: number;
  #state: State = 'start';
  #offset = 0;
  /** a comma was just read, so a closing bracket is not allowed yet */
  #afterComma = false;
  #key = '';
  #keyParts: string[] = [];
  #index = 0;
  // the value being captured
  #parts: string[] = [];
  #chars = 0;
  #depth = 0;
  #inString = false;
  #escaped = false;
  #primitive = false;
  #stringOnly = false;
  #oversize = false;
  /** the value of an `expand` member: an array is opened, anything else is captured whole */
  #pendingArray = false;
  /** the value's first character has been read */
  #started = false;

  constructor(options: JsonScanOptions = {}) {
    this.#expand = new Set(options.expand ?? []);
    this.#maxValueChars = options.maxValueChars ?? 256 * 1024 * 1024;
    this.#maxKeyChars = options.maxKeyChars ?? 4096;
  }

  /** The events completed by this chunk. Throws VIGIL_SOURCE_INVALID at the first structural error. */
  push(chunk: string): JsonScanEvent[] {
    const events: JsonScanEvent[] = [];
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      const state = this.#state;
      if (state === 'key' || state === 'value' || state === 'element') {
        i = state === 'key' ? this.#scanKey(chunk, i) : this.#scanValue(chunk, i, events);
        continue;
      }
      const c = chunk.charCodeAt(i);
      if (WS.has(c) || (c === 0xfeff && this.#offset + i === 0)) {
        i++;
        continue;
      }
      if (state === 'element-or-end' && !(c === 0x5d && !this.#afterComma)) {
        // the element's first character is read by #scanValue
        this.#state = 'element';
        this.#startValue('value');
        continue;
      }
      this.#structural(c, this.#offset + i);
      i++;
    }
    this.#offset += n;
    return events;
  }

  /** Call at end of input: throws VIGIL_SOURCE_INVALID if the document is incomplete. */
  end(): void {
    if (this.#state !== 'done') {
      throw this.#error(this.#state === 'start' ? 'empty document' : 'document ends early (truncated)', this.#offset);
    }
  }

  #structural(c: number, at: number): void {
    switch (this.#state) {
      case 'start':
        if (c !== 0x7b) throw this.#error('top level is not a JSON object', at);
        this.#state = 'key-or-end';
        this.#afterComma = false;
        return;
      case 'key-or-end':
        if (c === QUOTE) {
          this.#state = 'key';
          this.#keyParts = ['"'];
          this.#escaped = false;
          return;
        }
        if (c === 0x7d && !this.#afterComma) {
          this.#state = 'done';
          return;
        }
        throw this.#error('expected a member name', at);
      case 'colon':
        if (c !== 0x3a) throw this.#error('expected ":"', at);
        this.#state = 'value';
        this.#startValue(this.#expand.has(this.#key) ? 'array-or-value' : 'value');
        return;
      case 'comma-or-end':
        if (c === 0x2c) {
          this.#state = 'key-or-end';
          this.#afterComma = true;
          return;
        }
        if (c === 0x7d) {
          this.#state = 'done';
          return;
        }
        throw this.#error('expected "," or "}"', at);
      case 'element-or-end':
        this.#state = 'comma-or-end';
        return;
      case 'element-comma-or-end':
        if (c === 0x2c) {
          this.#state = 'element-or-end';
          this.#afterComma = true;
          return;
        }
        if (c === 0x5d) {
          this.#state = 'comma-or-end';
          return;
        }
        throw this.#error('expected "," or "]"', at);
      case 'done':
        throw this.#error('content after the top-level object', at);
      default:
        throw this.#error(`unexpected state ${this.#state}`, at);
    }
  }

  #scanKey(chunk: string, start: number): number {
    let i = start;
    const n = chunk.length;
    while (i < n) {
      const c = chunk.charCodeAt(i);
      i++;
      if (this.#escaped) this.#escaped = false;
      else if (c === BACKSLASH) this.#escaped = true;
      else if (c === QUOTE) {
        this.#keyParts.push(chunk.slice(start, i));
        const raw = this.#keyParts.join('');
        this.#keyParts = [];
        try {
          this.#key = JSON.parse(raw) as string;
        } catch {
          throw this.#error('member name is not a valid JSON string', this.#offset + i);
        }
        this.#state = 'colon';
        return i;
      }
      if (i - start + this.#keyPartsLength() > this.#maxKeyChars) {
        throw this.#error('member name is too long', this.#offset + i);
      }
    }
    this.#keyParts.push(chunk.slice(start, n));
    return n;
  }

  #keyPartsLength(): number {
    let total = 0;
    for (const part of this.#keyParts) total += part.length;
    return total;
  }

  #startValue(mode: 'array-or-value' | 'value'): void {
    this.#parts = [];
    this.#chars = 0;
    this.#depth = 0;
    this.#inString = false;
    this.#escaped = false;
    this.#primitive = false;
    this.#stringOnly = false;
    this.#oversize = false;
    this.#pendingArray = mode === 'array-or-value';
    this.#afterComma = false;
    this.#started = false;
  }

  /** the first significant character of a value decides its kind */
  #scanFirst(c: number, at: number): void {
    if (c === QUOTE) this.#stringOnly = true;
    else if (CLOSE.has(c) || c === 0x2c || c === 0x3a) throw this.#error('expected a value', at);
    else if (!OPEN.has(c)) this.#primitive = true;
  }

  #scanValue(chunk: string, start: number, events: JsonScanEvent[]): number {
    let i = start;
    const n = chunk.length;
    if (!this.#started) {
      while (i < n && WS.has(chunk.charCodeAt(i))) i++;
      if (i === n) return n;
      const c = chunk.charCodeAt(i);
      if (this.#pendingArray && c === 0x5b) {
        events.push({ kind: 'array', key: this.#key });
        this.#state = 'element-or-end';
        this.#index = 0;
        this.#afterComma = false;
        return i + 1;
      }
      this.#pendingArray = false;
      this.#started = true;
      this.#scanFirst(c, this.#offset + i);
    }
    const from = i;
    let end = -1;
    if (this.#primitive) {
      while (i < n) {
        const c = chunk.charCodeAt(i);
        if (WS.has(c) || c === 0x2c || CLOSE.has(c)) {
          end = i;
          break;
        }
        i++;
      }
    } else {
      while (i < n) {
        const c = chunk.charCodeAt(i);
        i++;
        if (this.#inString) {
          if (this.#escaped) this.#escaped = false;
          else if (c === BACKSLASH) this.#escaped = true;
          else if (c === QUOTE) {
            this.#inString = false;
            if (this.#stringOnly) {
              end = i;
              break;
            }
          }
        } else if (c === QUOTE) this.#inString = true;
        else if (OPEN.has(c)) this.#depth++;
        else if (CLOSE.has(c)) {
          this.#depth--;
          if (this.#depth === 0) {
            end = i;
            break;
          }
        }
      }
    }
    this.#keep(chunk.slice(from, end === -1 ? n : end));
    if (end === -1) return n;
    this.#finishValue(events);
    return end;
  }

  #keep(text: string): void {
    this.#chars += text.length;
    if (this.#oversize) return;
    if (this.#chars > this.#maxValueChars) {
      this.#oversize = true;
      this.#parts = [];
      return;
    }
    this.#parts.push(text);
  }

  #finishValue(events: JsonScanEvent[]): void {
    const inArray = this.#state === 'element';
    const text = this.#oversize ? '' : this.#parts.join('');
    this.#parts = [];
    if (inArray) {
      const index = this.#index++;
      events.push(
        this.#oversize
          ? { kind: 'oversize', key: this.#key, index, chars: this.#chars }
          : { kind: 'element', key: this.#key, index, text },
      );
      this.#state = 'element-comma-or-end';
    } else {
      events.push(
        this.#oversize
          ? { kind: 'oversize', key: this.#key, chars: this.#chars }
          : { kind: 'member', key: this.#key, text },
      );
      this.#state = 'comma-or-end';
    }
    this.#started = false;
  }

  #error(message: string, offset: number): VigilError {
    return new VigilError('VIGIL_SOURCE_INVALID', `JSON feed: ${message} at character ${offset}`, { offset });
  }
}

/** Decodes a byte stream as UTF-8 and scans it; throws VIGIL_SOURCE_INVALID when the document is malformed. */
export async function* scanJson(
  input: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
  options: JsonScanOptions = {},
): AsyncGenerator<JsonScanEvent> {
  const scanner = new JsonScanner(options);
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of input) {
    const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    yield* scanner.push(text);
  }
  yield* scanner.push(decoder.decode());
  scanner.end();
}
