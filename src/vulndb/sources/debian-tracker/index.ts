import type { FetchOptions, SourceItem, VulnSource } from '../../types.ts';
import { mergeRecordsById } from './merge-records.ts';
import { debianReleases, parseDebianTracker } from './parser.ts';

export const DEBIAN_TRACKER_URL = 'https://security-tracker.debian.org/tracker/data/json';

export interface DebianTrackerSourceOptions {
  /** the export, or a mirror of it (`file:///mirror/debian-tracker.json`) */
  readonly url?: string;
  /** codename → version number; defaults to distro-info-data's table */
  readonly releases?: Readonly<Record<string, string>>;
  /** stamps `modified` on the records; injected so tests pin it */
  readonly now?: () => Date;
  /** spill buckets used to merge per-package records into per-CVE ones */
  readonly mergeBuckets?: number;
}

/** The Debian security tracker as OSV records (see parser.ts for the record shape). */
export function debianTrackerSource(options: DebianTrackerSourceOptions = {}): VulnSource {
  const url = options.url ?? DEBIAN_TRACKER_URL;
  const now = options.now ?? (() => new Date());
  return {
    name: 'debian-tracker',
    async *fetch({ transport, tmpDir, signal }: FetchOptions): AsyncIterable<SourceItem> {
      const body = await transport.open(url, signal);
      try {
        const records = parseDebianTracker(body, {
          modified: now().toISOString(),
          releases: options.releases ?? debianReleases,
        });
        yield* mergeRecordsById(records, {
          tmpDir,
          ...(options.mergeBuckets ? { buckets: options.mergeBuckets } : {}),
        });
      } finally {
        body.destroy();
      }
    },
  } satisfies VulnSource;
}
