import type { FetchOptions, SourceItem, VulnSource } from '../../types.ts';
import { parseNvd } from './parser.ts';

/** NVD's 2.0 JSON feeds (https://nvd.nist.gov/vuln/data-feeds): one gzipped file per CVE year */
export const NVD_FEED_BASE = 'https://nvd.nist.gov/feeds/json/cve/2.0';
/** the first yearly feed; it also holds the CVEs of 1999-2001 */
const FIRST_YEAR = 2002;

export interface NvdSourceOptions {
  /** where `nvdcve-2.0-<year>.json.gz` files live; a mirror directory with the same names works alike */
  readonly baseUrl?: string;
  /** the feed files to read instead of the yearly ones (e.g. API pages saved to a mirror) */
  readonly urls?: readonly string[];
  /** decides the last yearly feed; injected so tests pin it */
  readonly now?: () => Date;
}

/** The yearly feed URLs up to the current year. */
export function nvdFeedUrls(baseUrl: string, now: Date): string[] {
  const urls: string[] = [];
  for (let year = FIRST_YEAR; year <= now.getUTCFullYear(); year++) urls.push(`${baseUrl}/nvdcve-2.0-${year}.json.gz`);
  return urls;
}

/** CVSS vectors and base scores from NVD, one per CVE and CVSS version. */
export function nvdSource(options: NvdSourceOptions = {}): VulnSource {
  return {
    name: 'nvd',
    async *fetch({ transport, signal }: FetchOptions): AsyncIterable<SourceItem> {
      const urls =
        options.urls ??
        nvdFeedUrls((options.baseUrl ?? NVD_FEED_BASE).replace(/\/+$/, ''), (options.now ?? (() => new Date()))());
      for (const url of urls) {
        const body = await transport.open(url, signal);
        try {
          yield* parseNvd(body, url.slice(url.lastIndexOf('/') + 1));
        } finally {
          body.destroy();
        }
      }
    },
  } satisfies VulnSource;
}
