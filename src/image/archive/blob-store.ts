import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { VigilError } from '../../core/errors.ts';
import { indexTar, normalizeMemberName, type TarMember } from './tar-index.ts';

/** Manifests, configs and indexes are small; a bigger one is hostile or not an image. */
export const MAX_JSON_BYTES = 8 * 1024 * 1024;
const READ_CHUNK = 1024 * 1024;

/** Files of an image, by path relative to the layout or archive root. */
export interface BlobStore {
  /** for messages: the file or directory */
  readonly location: string;
  size(path: string): Promise<number | undefined>;
  open(path: string): Readable;
  /** the first `length` bytes (fewer for a shorter file) */
  head(path: string, length: number): Promise<Buffer>;
}

/** An OCI layout directory. */
export function directoryStore(root: string): BlobStore {
  const resolve = (path: string) => join(root, normalizeMemberName(path));
  return {
    location: root,
    async size(path) {
      try {
        const info = await stat(resolve(path));
        return info.isFile() ? info.size : undefined;
      } catch {
        return undefined;
      }
    },
    open: (path) => createReadStream(resolve(path), { highWaterMark: READ_CHUNK }),
    async head(path, length) {
      const handle = await open(resolve(path), 'r');
      try {
        const buffer = Buffer.alloc(length);
        const { bytesRead } = await handle.read(buffer, 0, length, 0);
        return buffer.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    },
  };
}

/** A tar archive, indexed once; members are served as byte ranges of the file, never extracted. */
export async function tarStore(file: string): Promise<BlobStore> {
  const members = await indexTar(file);
  const member = (path: string): TarMember | undefined => members.get(normalizeMemberName(path));
  const range = (path: string, length?: number): Readable => {
    const found = member(path);
    if (!found) throw missing(file, path);
    const size = length === undefined ? found.size : Math.min(length, found.size);
    if (size === 0) return Readable.from([], { objectMode: false });
    return createReadStream(file, { start: found.offset, end: found.offset + size - 1, highWaterMark: READ_CHUNK });
  };
  return {
    location: file,
    size: async (path) => member(path)?.size,
    open: (path) => range(path),
    async head(path, length) {
      const chunks: Buffer[] = [];
      for await (const chunk of range(path, length)) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
  };
}

function missing(location: string, path: string): VigilError {
  return new VigilError('VIGIL_IMAGE_INVALID', `${location} has no ${path}`, { location, path });
}

/** Reads a small JSON document (bounded), checking its digest and size when the referrer gave them. */
export async function readJson(
  store: BlobStore,
  path: string,
  expected: { digest?: string; size?: number } = {},
): Promise<unknown> {
  const size = await store.size(path);
  if (size === undefined) throw missing(store.location, path);
  if (size > MAX_JSON_BYTES) {
    throw new VigilError(
      'VIGIL_LIMIT_EXCEEDED',
      `${path} in ${store.location} is ${size} bytes (limit ${MAX_JSON_BYTES})`,
      {
        location: store.location,
        path,
        size,
      },
    );
  }
  if (expected.size !== undefined && expected.size !== size) {
    throw new VigilError(
      'VIGIL_DIGEST_MISMATCH',
      `${path} in ${store.location} is ${size} bytes, its descriptor says ${expected.size}`,
      { location: store.location, path, size, expectedSize: expected.size },
    );
  }
  const bytes = await store.head(path, size);
  if (expected.digest !== undefined) verifyDigest(bytes, expected.digest, `${path} in ${store.location}`);
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new VigilError(
      'VIGIL_IMAGE_INVALID',
      `${path} in ${store.location} is not valid JSON: ${(err as Error).message}`,
      { location: store.location, path },
      { cause: err },
    );
  }
}

export function verifyDigest(bytes: Buffer, digest: string, what: string): void {
  const match = /^(sha256|sha512):([a-f0-9]+)$/.exec(digest);
  if (!match) throw new VigilError('VIGIL_IMAGE_INVALID', `${what}: unsupported digest "${digest}"`, { digest });
  const actual = createHash(match[1]!).update(bytes).digest('hex');
  if (actual !== match[2]) {
    throw new VigilError('VIGIL_DIGEST_MISMATCH', `${what} does not match its digest ${digest}`, {
      expected: digest,
      actual: `${match[1]}:${actual}`,
    });
  }
}

export function sha256Of(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/** blobs/<alg>/<hex> for a well-formed digest; anything else is refused before it names a path. */
export function blobPath(digest: unknown, location: string): string {
  if (typeof digest !== 'string' || !DIGEST.test(digest)) {
    throw new VigilError('VIGIL_IMAGE_INVALID', `${location}: malformed digest ${JSON.stringify(digest)}`, {
      location,
    });
  }
  return `blobs/${digest.replace(':', '/')}`;
}
