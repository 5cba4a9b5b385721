import type { FetchOptions, SourceItem, VulnSource } from '../../types.ts';
import { parseEpss } from './parser.ts';

export const EPSS_URL = 'https://epss.empiricalsecurity.com/epss_scores-current.csv.gz';

export interface EpssSourceOptions {
  /** the scores file (gzipped or not), or a mirror of it */
  readonly url?: string;
}

/** FIRST's Exploit Prediction Scoring System scores, one entry per CVE. */
export function epssSource(options: EpssSourceOptions = {}): VulnSource {
  const url = options.url ?? EPSS_URL;
  return {
    name: 'epss',
    async *fetch({ transport, signal }: FetchOptions): AsyncIterable<SourceItem> {
      const body = await transport.open(url, signal);
      try {
        yield* parseEpss(body);
      } finally {
        body.destroy();
      }
    },
  } satisfies VulnSource;
}
