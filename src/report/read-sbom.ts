import { open } from 'node:fs/promises';
import { isVigilError, VigilError } from '../core/errors.ts';
import type { Inventory } from '../core/types.ts';
import { parseInventoryJson } from './json-format.ts';
import { inventoryFromCyclonedx, record } from './read-sbom/cyclonedx.ts';
import { MAX_SBOM_BYTES, sbomError } from './read-sbom/limits.ts';
import { inventoryFromSpdx } from './read-sbom/spdx.ts';

export { MAX_SBOM_BYTES } from './read-sbom/limits.ts';

/**
 * `vigil scan sbom:FILE`: reads an SBOM file into an Inventory the matcher can take. CycloneDX
 * JSON 1.4-1.6 and SPDX 2.3 JSON (Vigil's own, Trivy's, Syft's) and Vigil's inventory JSON.
 * Missing file: VIGIL_IMAGE_NOT_FOUND; over MAX_SBOM_BYTES: VIGIL_LIMIT_EXCEEDED; anything that
 * is not one of those formats: VIGIL_SBOM_INVALID.
 */
export async function readSbom(path: string, maxBytes = MAX_SBOM_BYTES): Promise<Inventory> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new VigilError('VIGIL_IMAGE_NOT_FOUND', `SBOM file ${path} does not exist`, { path }, { cause: err });
    }
    throw sbomError(path, `cannot be read: ${(err as Error).message}`, err);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile() && !stat.isFIFO()) throw sbomError(path, 'is not a regular file');
    if (stat.size > maxBytes) {
      throw new VigilError(
        'VIGIL_LIMIT_EXCEEDED',
        `SBOM file ${path} is ${stat.size} bytes, over the ${maxBytes}-byte limit`,
        {
          path,
          size: stat.size,
          maxBytes,
        },
      );
    }
    // read in chunks and stop past the bound: a pipe has no size, and a file may grow after stat
    const chunks: Buffer[] = [];
    let length = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(1024 * 1024, maxBytes + 1 - length));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      length += bytesRead;
      if (length > maxBytes) {
        throw new VigilError('VIGIL_LIMIT_EXCEEDED', `SBOM file ${path} is over the ${maxBytes}-byte limit`, {
          path,
          maxBytes,
        });
      }
    }
    return parseSbom(Buffer.concat(chunks, length).toString('utf8'), path);
  } finally {
    await handle.close();
  }
}

/** The same from text already in memory; `name` is used in messages. */
export function parseSbom(text: string, name = 'SBOM'): Inventory {
  if (text.length > MAX_SBOM_BYTES)
    throw new VigilError('VIGIL_LIMIT_EXCEEDED', `${name}: over the ${MAX_SBOM_BYTES}-byte limit`, { file: name });
  const trimmed = text.replace(/^\uFEFF/, '').trimStart();
  if (trimmed.startsWith('<')) throw sbomError(name, 'XML SBOMs are not read; give CycloneDX or SPDX as JSON');
  if (trimmed.startsWith('SPDXVersion:')) throw sbomError(name, 'SPDX tag-value is not read; give SPDX as JSON');
  let document: unknown;
  try {
    document = JSON.parse(trimmed);
  } catch (err) {
    throw sbomError(name, `not JSON: ${(err as Error).message}`, err);
  }
  const fields = record(document);
  if (fields.bomFormat === 'CycloneDX') return inventoryFromCyclonedx(fields, name);
  if (typeof fields.spdxVersion === 'string') return inventoryFromSpdx(fields, name);
  if (fields.schemaVersion === 1 && 'image' in fields && 'packages' in fields) {
    try {
      return parseInventoryJson(trimmed);
    } catch (err) {
      if (isVigilError(err, 'VIGIL_IMAGE_INVALID')) throw sbomError(name, err.message, err);
      throw err;
    }
  }
  throw sbomError(name, 'not a CycloneDX or SPDX JSON document, nor a Vigil inventory');
}
