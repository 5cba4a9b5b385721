import type { FetchOptions, SourceItem, VulnSource } from '../../types.ts';
import { parseKev } from './parser.ts';

export const KEV_URL = 'https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json';

export interface KevSourceOptions {
  /** the catalog, or a mirror of it */
  readonly url?: string;
}

/** CISA's Known Exploited Vulnerabilities catalog. */
export function kevSource(options: KevSourceOptions = {}): VulnSource {
  const url = options.url ?? KEV_URL;
  return {
    name: 'kev',
    async *fetch({ transport, signal }: FetchOptions): AsyncIterable<SourceItem> {
      const body = await transport.open(url, signal);
      try {
        yield* parseKev(body);
      } finally {
        body.destroy();
      }
    },
  } satisfies VulnSource;
}
