import { createHash } from 'node:crypto';
import type { Extractor } from '../extract/types.ts';

/** Bumped when the layer walker itself changes what it captures or how it merges. */
export const WALKER_VERSION = 1;

/** "os/dpkg@1" for each extractor, sorted: the inventory records what produced it. */
export function extractorIds(extractors: readonly Extractor[]): string[] {
  return extractors.map((e) => `${e.name}@${e.version}`).sort();
}

/**
 * The cache key part that changes whenever any extractor's version (and so what it captures or
 * produces) changes, as Trivy folds analyzer versions into its layer-cache key.
 */
export function extractorsKey(extractors: readonly Extractor[]): string {
  return createHash('sha256')
    .update(`walker@${WALKER_VERSION}\n${extractorIds(extractors).join('\n')}`)
    .digest('hex')
    .slice(0, 16);
}
