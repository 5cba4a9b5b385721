import type { Hash } from 'node:crypto';
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tarStream from 'tar-stream';
import { isVigilError, VigilError } from '../../core/errors.ts';
import { defineLazy, lazyValueIfRead } from '../../core/lazy-property.ts';
import type { LayerRef } from '../../core/types.ts';
import type { EntryReadOptions, LayerEntry } from '../types.ts';
import { ByteMeter, createDecompressor, hashFor, hexOf, peek, sniffCompression } from './blob-pipeline.ts';
import { EntryContent, entryDone, type TarEntryStream } from './entry-content.ts';
import { normalizeEntryPath } from './entry-path.ts';

export { normalizeEntryPath } from './entry-path.ts';

/** Default bound on a layer's uncompressed size: far above real images, far below a bomb's reach. */
export const DEFAULT_MAX_UNCOMPRESSED_BYTES = 64 * 1024 ** 3;

export interface LayerReadOptions extends EntryReadOptions {
  /** uncompressed tar bytes after which the read fails with VIGIL_LIMIT_EXCEEDED */
  readonly maxUncompressedBytes?: number;
}

type Stage = 'blob' | 'decompress' | 'tar';

/**
 * The entries of one layer blob, streamed: decompressed (by magic bytes), digest- and
 * diffID-verified on the same pass, parsed as tar (ustar, pax, GNU long names) with hostile names
 * dropped. Digest mismatches throw VIGIL_DIGEST_MISMATCH after the last entry, once every byte was
 * hashed; callers must not commit what they read before the iteration ends cleanly.
 *
 * Entry content is streamed from the blob: read it (or call `skip()`) before the next entry. An
 * entry left unread is drained when iteration resumes.
 */
export async function* layerEntriesFromBlob(
  blob: Readable,
  layer: LayerRef,
  options: LayerReadOptions = {},
): AsyncGenerator<LayerEntry, void, undefined> {
  const { signal, onWarning } = options;
  const maxBytes = options.maxUncompressedBytes ?? DEFAULT_MAX_UNCOMPRESSED_BYTES;
  const layerName = layer.digest || layer.diffId || '(unnamed layer)';
  const context = { layer: layerName };
  if (signal?.aborted) {
    blob.destroy();
    throw aborted(layerName);
  }

  // Listen before the first await: a stream error with no listener would crash the process.
  let blobError: unknown;
  const onEarlyError = (err: unknown) => {
    blobError ??= err;
  };
  blob.on('error', onEarlyError);
  let head: Buffer;
  let blobHash: Hash | undefined;
  let tarHashFromDiffId: Hash | undefined;
  try {
    blobHash = hashFor(layer.digest, layerName);
    tarHashFromDiffId = layer.diffId === layer.digest ? undefined : hashFor(layer.diffId, layerName);
    head = await peek(blob, 4);
  } catch (err) {
    blob.destroy();
    throw mapStageError('blob', blobError ?? err, layerName);
  }
  const compression = sniffCompression(head, layer.compression);
  if (head.length > 0 && compression !== layer.compression) {
    onWarning?.('', `layer ${layerName} is labelled ${layer.compression} but its content is ${compression}`);
  }
  const decompressor = createDecompressor(compression);
  // A plain layer's blob is its tar: one hash serves both checks when the digests agree.
  const tarHash =
    layer.diffId !== layer.digest ? tarHashFromDiffId : decompressor ? hashFor(layer.diffId, layerName) : blobHash;
  const onLimit = () =>
    new VigilError(
      'VIGIL_LIMIT_EXCEEDED',
      `layer ${layerName} expands beyond ${maxBytes} bytes (maxUncompressedBytes)`,
      { ...context, limit: maxBytes },
    );
  const blobMeter = new ByteMeter({
    hashes: decompressor ? [blobHash] : [blobHash, tarHash === blobHash ? undefined : tarHash],
    onBytes: options.onBytes,
    ...(decompressor ? {} : { limit: maxBytes, onLimit }),
  });
  const tarMeter = decompressor ? new ByteMeter({ hashes: [tarHash], limit: maxBytes, onLimit }) : undefined;
  const extract = tarStream.extract();

  let failure: Error | undefined;
  const fail = (stage: Stage, err: unknown) => {
    failure ??= mapStageError(stage, err, layerName);
    extract.destroy(failure);
  };
  blob.off('error', onEarlyError);
  blob.on('error', (err) => fail('blob', err));
  if (blobError !== undefined) fail('blob', blobError);
  decompressor?.on('error', (err) => fail('decompress', err));
  blobMeter.on('error', (err) => fail('blob', err));
  tarMeter?.on('error', (err) => fail('tar', err));
  const stages: Array<Readable | Transform> = [blob, blobMeter];
  if (decompressor && tarMeter) stages.push(decompressor, tarMeter);

  const onAbort = () => {
    fail('blob', aborted(layerName));
    for (const stage of stages) stage.destroy();
  };
  signal?.addEventListener('abort', onAbort, { once: true });

  const intoTar = async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) await writeTar(extract, chunk);
    extract.end(undefined);
  };
  const fed = (
    decompressor && tarMeter
      ? pipeline(blob, blobMeter, decompressor, tarMeter, intoTar)
      : pipeline(blob, blobMeter, intoTar)
  ).catch((err: unknown) => fail('blob', err));

  let completed = false;
  try {
    for await (const raw of extract) {
      const source = raw as unknown as TarEntryStream;
      const done = entryDone(source);
      const entry = toLayerEntry(raw.header, source, done, layerName, onWarning);
      if (entry) {
        yield entry;
        // Drains whatever the consumer left unread (skip() is idempotent).
        await entry.skip();
      } else {
        source.resume();
        await done;
      }
    }
    await fed;
    if (failure) throw failure;
    verify(blobHash, layer.digest, 'digest', layerName);
    verify(tarHash, layer.diffId, 'diffID', layerName);
    completed = true;
  } catch (err) {
    throw failure ?? mapStageError('tar', err, layerName);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (!completed) {
      for (const stage of stages) stage.destroy();
      extract.destroy();
    }
  }
}

const digestCache = new WeakMap<Hash, string>();

function verify(hash: Hash | undefined, expected: string, what: string, layerName: string): void {
  if (!hash) return;
  let actual = digestCache.get(hash);
  if (actual === undefined) {
    actual = hash.digest('hex');
    digestCache.set(hash, actual);
  }
  if (actual !== hexOf(expected)) {
    const algorithm = expected.slice(0, expected.indexOf(':'));
    throw new VigilError(
      'VIGIL_DIGEST_MISMATCH',
      `layer ${layerName}: ${what} is ${algorithm}:${actual}, expected ${expected}`,
      { layer: layerName, expected, actual: `${algorithm}:${actual}`, check: what },
    );
  }
}

function toLayerEntry(
  header: tarStream.Header,
  source: TarEntryStream,
  done: Promise<void>,
  layerName: string,
  onWarning: EntryReadOptions['onWarning'],
): LayerEntry | undefined {
  const name = normalizeEntryPath(header.name);
  if (!name.ok) {
    if (!name.root) onWarning?.(header.name, `dropped: ${name.reason}`);
    return undefined;
  }
  const mode = header.mode ?? 0;
  const skip = async () => {
    source.resume();
    await done;
  };
  const sparse = paxSparse(header);
  if (sparse) {
    // GNU tar's PAX sparse formats 0.1 and 1.0 store the real name and size in pax records and a
    // condensed body; Vigil does not expand sparse files, so the entry is reported under its real
    // name as "other" (old GNU 'S' entries already arrive as an unknown type, below)
    const real = normalizeEntryPath(sparse.name ?? header.name);
    if (!real.ok) return undefined;
    return { path: real.path, type: 'other', mode, size: sparse.size ?? header.size ?? 0, skip };
  }
  const path = name.path;
  switch (header.type) {
    case 'file':
    case 'contiguous-file': {
      const entry: LayerEntry = defineLazy(
        {
          path,
          type: 'file',
          mode,
          size: header.size ?? 0,
          skip: async () => {
            lazyValueIfRead<Readable>(entry, 'content')?.destroy();
            await skip();
          },
        },
        'content',
        () => new EntryContent(source, (err) => mapStageError('tar', err, layerName)),
      );
      return entry;
    }
    case 'directory':
      return { path, type: 'dir', mode, size: 0, skip };
    case 'symlink':
      return { path, type: 'symlink', mode, size: 0, linkTarget: header.linkname ?? '', skip };
    case 'link': {
      const target = normalizeEntryPath(header.linkname ?? '');
      if (!target.ok) {
        const reason = target.root ? 'hard link to the image root' : target.reason;
        onWarning?.(path, `dropped hard link to "${header.linkname ?? ''}": ${reason}`);
        return undefined;
      }
      return { path, type: 'hardlink', mode, size: 0, linkTarget: target.path, skip };
    }
    default:
      return { path, type: 'other', mode, size: header.size ?? 0, skip };
  }
}

/** The real name and size of a GNU PAX sparse entry (GNU tar manual, "Storing sparse files"). */
function paxSparse(header: tarStream.Header): { name?: string; size?: number } | undefined {
  const pax = header.pax as Record<string, string> | undefined;
  if (!pax || !Object.keys(pax).some((key) => key.startsWith('GNU.sparse.'))) return undefined;
  const size = Number(pax['GNU.sparse.realsize'] ?? pax['GNU.sparse.size']);
  return {
    ...(pax['GNU.sparse.name'] !== undefined ? { name: pax['GNU.sparse.name'] } : {}),
    ...(Number.isSafeInteger(size) && size >= 0 ? { size } : {}),
  };
}

function writeTar(extract: tarStream.Extract, chunk: Buffer): Promise<void> | undefined {
  if (extract.destroyed) throw new Error('tar reader closed');
  if (extract.write(chunk)) return undefined;
  return new Promise((resolve, reject) => {
    const onDrain = () => {
      extract.off('close', onClose);
      resolve();
    };
    const onClose = () => {
      extract.off('drain', onDrain);
      reject(new Error('tar reader closed'));
    };
    extract.once('drain', onDrain);
    extract.once('close', onClose);
  });
}

function aborted(layerName: string): VigilError {
  return new VigilError('VIGIL_ABORTED', `reading layer ${layerName} was cancelled`, { layer: layerName });
}

function mapStageError(stage: Stage, err: unknown, layerName: string): Error {
  if (isVigilError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  const what =
    stage === 'decompress' ? 'cannot be decompressed' : stage === 'tar' ? 'is not a valid tar' : 'cannot be read';
  return new VigilError(
    'VIGIL_LAYER_INVALID',
    `layer ${layerName} ${what}: ${message}`,
    { layer: layerName, stage },
    {
      cause: err,
    },
  );
}
