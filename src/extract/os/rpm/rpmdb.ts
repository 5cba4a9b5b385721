import { bdbHeaderBlobs, isBerkeleyHash } from './bdb-reader.ts';
import { RpmHeader } from './header.ts';
import { type InstalledPackage, readInstalledPackage } from './installed-package.ts';
import { isNdb, ndbHeaderBlobs } from './ndb-reader.ts';
import { PagedFile } from './paged-file.ts';
import { isSqlite, sqliteHeaderBlobs } from './sqlite-reader.ts';
import type { WarningSink } from './warnings.ts';

export type RpmdbFormat = 'bdb' | 'ndb' | 'sqlite';

/** Files beside the database that complete it, as local paths. */
export interface RpmdbCompanions {
  /** `rpmdb.sqlite-wal`: committed transactions SQLite has not yet checkpointed into the database */
  readonly sqliteWal?: string;
}

/** Which backend wrote the file, by its magic, not its name: openSUSE kept BerkeleyDB in /usr/lib/sysimage. */
export function detectRpmdbFormat(head: Buffer): RpmdbFormat | undefined {
  if (isSqlite(head)) return 'sqlite';
  if (isNdb(head)) return 'ndb';
  if (isBerkeleyHash(head)) return 'bdb';
  return undefined;
}

/**
 * Every installed package in an rpm database file of any of the three formats. Headers that cannot
 * be read become warnings and the walk goes on; a truncated database yields what precedes the cut.
 */
export async function* readRpmdb(
  path: string,
  warnings: WarningSink,
  companions: RpmdbCompanions = {},
): AsyncGenerator<InstalledPackage> {
  let file: PagedFile;
  try {
    file = await PagedFile.open(path);
  } catch (err) {
    warnings.push(`cannot open rpm database: ${err instanceof Error ? err.message : String(err)}`);
    return;
  }
  try {
    if (file.size === 0) {
      warnings.push('rpm database is an empty file');
      return;
    }
    const head = await file.read(0, 512);
    const format = detectRpmdbFormat(head);
    if (format === undefined) {
      warnings.push('not an rpm database: neither SQLite, NDB nor BerkeleyDB hash');
      return;
    }
    const blobs =
      format === 'sqlite'
        ? sqliteHeaderBlobs(path, head, warnings, companions.sqliteWal)
        : format === 'ndb'
          ? ndbHeaderBlobs(file, warnings)
          : bdbHeaderBlobs(file, warnings);
    let index = 0;
    for await (const blob of blobs) {
      index++;
      const parsed = RpmHeader.parse(blob);
      if ('problem' in parsed) {
        warnings.push(`header #${index}: ${parsed.problem}; skipped`);
        continue;
      }
      const read = readInstalledPackage(parsed.header);
      if ('problem' in read) {
        warnings.push(`header #${index}: ${read.problem}; skipped`);
        continue;
      }
      for (const problem of read.problems) warnings.push(`${read.installed.name}: ${problem}`);
      yield read.installed;
    }
  } finally {
    await file.close();
  }
}
