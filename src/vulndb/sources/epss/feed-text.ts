import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { VigilError } from '../../../core/errors.ts';

/**
 * Byte-stream helpers shared by the line- and JSON-based feeds (EPSS, NVD): gzip is recognised by its
 * magic bytes (RFC 1952 §2.3.1: 1f 8b), not by the URL, since mirrors and proxies rename files, and
 * decompressed output is bounded against gzip bombs.
 */
export interface GunzipOptions {
  /** the most decompressed bytes accepted */
  readonly maxBytes?: number;
}

/** The bytes of `input`, decompressed if they are gzip; VIGIL_SOURCE_INVALID if the gzip is corrupt, truncated or too big. */
export async function* maybeGunzip(
  input: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
  options: GunzipOptions = {},
): AsyncGenerator<Uint8Array> {
  const maxBytes = options.maxBytes ?? 4 * 1024 ** 3;
  const iterator = (async function* () {
    yield* input;
  })();
  const head: Uint8Array[] = [];
  let headBytes = 0;
  let ended = false;
  while (headBytes < 2) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    head.push(chunk);
    headBytes += chunk.length;
  }
  const first = Buffer.concat(head);
  async function* rest(): AsyncGenerator<Uint8Array> {
    if (first.length > 0) yield first;
    if (ended) return;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      yield typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    }
  }
  if (!(first[0] === 0x1f && first[1] === 0x8b)) {
    yield* rest();
    return;
  }
  const compressed = Readable.from(rest());
  const gunzip = createGunzip();
  compressed.on('error', (err) => gunzip.destroy(err));
  compressed.pipe(gunzip);
  let total = 0;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > maxBytes) throw invalid(`decompresses to more than ${maxBytes} bytes`);
      yield chunk;
    }
  } catch (err) {
    // zlib's own errors carry Z_* codes (Z_DATA_ERROR, Z_BUF_ERROR for a cut stream); anything else
    // (the transport failing, an abort) passes through as it is
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('Z_')) {
      throw invalid(`is corrupt or truncated (${(err as Error).message})`, err);
    }
    throw err;
  } finally {
    compressed.destroy();
    gunzip.destroy();
  }
}

export interface Line {
  /** 1-based */
  readonly number: number;
  /** without the line ending; undefined when the line was longer than `maxLineChars` */
  readonly text: string | undefined;
}

/** UTF-8 lines (LF or CRLF); an overlong line is reported, not kept. */
export async function* lines(input: AsyncIterable<Uint8Array>, maxLineChars = 64 * 1024): AsyncGenerator<Line> {
  const decoder = new TextDecoder('utf-8');
  let pending = '';
  let overlong = false;
  let number = 0;
  const finish = (text: string): Line => {
    number++;
    const line = { number, text: overlong ? undefined : text.endsWith('\r') ? text.slice(0, -1) : text };
    overlong = false;
    return line;
  };
  const take = function* (text: string): Generator<Line> {
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      yield finish(pending + text.slice(start, end));
      pending = '';
      start = end + 1;
    }
    pending += text.slice(start);
    if (pending.length > maxLineChars) {
      overlong = true;
      pending = '';
    }
  };
  for await (const chunk of input) yield* take(decoder.decode(chunk, { stream: true }));
  yield* take(decoder.decode());
  if (pending !== '' || overlong) yield finish(pending);
}

function invalid(what: string, cause?: unknown): VigilError {
  return new VigilError('VIGIL_SOURCE_INVALID', `gzip stream ${what}`, {}, cause === undefined ? {} : { cause });
}
