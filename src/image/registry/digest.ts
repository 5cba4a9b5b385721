import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { VigilError } from '../../core/errors.ts';

/** Node's hash name for an OCI digest algorithm (only the registered ones reach here). */
function hashFor(digest: string): Hash {
  const algorithm = digest.slice(0, digest.indexOf(':'));
  if (algorithm !== 'sha256' && algorithm !== 'sha512') {
    throw new VigilError('VIGIL_IMAGE_INVALID', `unsupported digest algorithm in ${digest.slice(0, 80)}`);
  }
  return createHash(algorithm);
}

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The digest of `bytes` computed with the algorithm of `like` (sha256 unless told). */
export function digestOf(bytes: Uint8Array, like = 'sha256:'): string {
  const algorithm = like.slice(0, like.indexOf(':'));
  return `${algorithm}:${hashFor(like).update(bytes).digest('hex')}`;
}

export function mismatch(what: string, expected: string, actual: string): VigilError {
  return new VigilError('VIGIL_DIGEST_MISMATCH', `${what}: expected ${expected}, got ${actual}`, {
    expected,
    actual,
  });
}

/**
 * Passes bytes through while hashing them; fails at the end when the digest (or the declared size)
 * does not match, and as soon as more bytes than declared arrive.
 */
export function verifyingStream(expected: string, size: number | undefined, what: string): Transform {
  const hash = hashFor(expected);
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      seen += chunk.length;
      if (size !== undefined && seen > size) {
        callback(mismatch(`${what} is longer than its declared size`, `${size} bytes`, `more than ${size}`));
        return;
      }
      hash.update(chunk);
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      if (size !== undefined && seen !== size) {
        callback(mismatch(`${what} is shorter than its declared size`, `${size} bytes`, `${seen} bytes`));
        return;
      }
      const actual = `${expected.slice(0, expected.indexOf(':'))}:${hash.digest('hex')}`;
      callback(actual === expected ? null : mismatch(`${what} does not match its digest`, expected, actual));
    },
  });
}
