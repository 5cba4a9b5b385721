import { statSync } from 'node:fs';
import type { VulnDbReader } from '../../core/osv.ts';
import { openVulnDb, staleSources } from '../../vulndb/index.ts';

/** Whether a match against the data may resolve findings (see Store.applyMatchResult). */
export interface DataCompleteness {
  readonly complete: boolean;
  /** why not, for logs and the scan row */
  readonly reason?: string;
}

/**
 * The service's handle on the vulnerability DB file. `db update` swaps a new file in with
 * rename(2); an open reader keeps reading the old inode, so `reader()` notices the new inode and
 * reopens. Absent file: undefined (no data is not "clean").
 */
export interface VulnData {
  readonly path: string;
  reader(): VulnDbReader | undefined;
  completeness(reader: VulnDbReader, now: Date, staleAfterMs: number): DataCompleteness;
  close(): void;
}

export function openVulnData(path: string): VulnData {
  let current: { reader: VulnDbReader; inode: number; mtimeMs: number } | undefined;
  const identity = (): { inode: number; mtimeMs: number } | undefined => {
    try {
      const stat = statSync(path);
      return { inode: stat.ino, mtimeMs: stat.mtimeMs };
    } catch {
      return undefined;
    }
  };
  return {
    path,
    reader() {
      const now = identity();
      if (
        current !== undefined &&
        now !== undefined &&
        now.inode === current.inode &&
        now.mtimeMs === current.mtimeMs
      ) {
        return current.reader;
      }
      current?.reader.close();
      current = undefined;
      if (now === undefined) return undefined;
      current = { reader: openVulnDb(path), ...now };
      return current.reader;
    },
    completeness(reader, now, staleAfterMs) {
      const status = reader.status();
      if (status.sources.length === 0) return { complete: false, reason: 'the vulnerability database holds no source' };
      const stale = staleSources(status, now, staleAfterMs);
      if (stale.length > 0) {
        return {
          complete: false,
          reason: `stale vulnerability data: ${stale.map((s) => `${s.name} (${s.reason})`).join(', ')}`,
        };
      }
      return { complete: true };
    },
    close() {
      current?.reader.close();
      current = undefined;
    },
  };
}
