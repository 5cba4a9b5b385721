/**
 * Line streaming for package databases (dpkg status, apk installed): the file is read from disk in
 * chunks and handed over one line at a time, so memory stays bounded by the longest line kept, not
 * by the file. Also used by os/apk.
 */
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

export interface LineOptions {
  /** lines longer than this are dropped whole and reported through `onOverlong` */
  readonly maxLineLength: number;
  readonly onOverlong?: (lineNumber: number) => void;
}

/**
 * Calls `onLine` for every line of the file (without "\n" or a trailing "\r"), numbered from 1.
 * Invalid UTF-8 becomes U+FFFD. Rejects only when the file cannot be read.
 */
export async function forEachLine(
  localPath: string,
  onLine: (line: string, lineNumber: number) => void,
  opts: LineOptions,
): Promise<void> {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let skipping = false;
  let lineNumber = 0;
  const emit = (line: string): void => {
    lineNumber++;
    if (line.length > opts.maxLineLength) {
      opts.onOverlong?.(lineNumber);
      return;
    }
    onLine(line.endsWith('\r') ? line.slice(0, -1) : line, lineNumber);
  };
  const consume = (text: string): void => {
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      if (skipping) {
        skipping = false;
        lineNumber++;
      } else {
        emit(text.slice(start, nl));
      }
      start = nl + 1;
    }
    const rest = start === 0 ? text : text.slice(start);
    if (skipping) {
      carry = '';
    } else if (rest.length > opts.maxLineLength) {
      // The line is already too long: drop what we have and everything up to its newline.
      skipping = true;
      carry = '';
      opts.onOverlong?.(lineNumber + 1);
    } else {
      carry = rest;
    }
  };
  const stream = createReadStream(localPath, { highWaterMark: 1 << 20 });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    consume(carry + decoder.write(chunk));
  }
  const tail = carry + decoder.end();
  if (!skipping && tail.length > 0) emit(tail);
}

/**
 * Per-file warnings with a cap, so a file of binary garbage yields a short list rather than one
 * warning per line.
 */
export class WarningLog {
  readonly #limit: number;
  readonly #messages: string[] = [];
  #suppressed = 0;

  constructor(limit = 20) {
    this.#limit = limit;
  }

  add(message: string): void {
    if (this.#messages.length < this.#limit) this.#messages.push(message);
    else this.#suppressed++;
  }

  toArray(): string[] {
    return this.#suppressed > 0
      ? [...this.#messages, `${this.#suppressed} more warnings not shown`]
      : [...this.#messages];
  }
}
