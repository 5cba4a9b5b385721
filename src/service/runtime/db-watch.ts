import { createHash, randomBytes } from 'node:crypto';
import { linkSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { PackageKey } from '../store/types.ts';
import type { RuntimeContext } from './context.ts';
import { diffPackages } from './db-delta.ts';
import { type ReevaluateResult, reevaluate } from './reevaluate.ts';

/**
 * Re-matches stored inventories whenever the vulnerability DB file changes, whoever changed it:
 * the service's own scheduled `db update`, or a `vigil db update` or `vigil db import` run beside
 * it (both swap a new file in with rename(2)).
 *
 * It keeps a hard link to the file the last re-match used ("matched"), beside the DB file. When
 * the file at the path is another inode, the two are diffed (diffPackages) and only the images
 * holding a changed package are re-matched; then the link moves to the file just re-matched. A
 * hard link costs nothing while both names are one file, and keeps the old file only until the
 * re-match that replaces it. Where no link can be made (a file system without them), a change
 * re-matches every image.
 *
 * The first check of a watch that finds no link takes one without re-matching: the stored
 * findings were matched against some earlier data, unknown, and the daily full re-match covers
 * that. A later check that finds a file and no link (there was no DB file before) re-matches every
 * image. Checks never run two at a time.
 */
export interface DbWatch {
  /** re-matches if the file changed since the last re-match; undefined when it did not */
  check(signal?: AbortSignal): Promise<DbWatchResult | undefined>;
}

export interface DbWatchResult {
  /** the (ecosystem, name) pairs the change touched; undefined when every image was re-matched */
  readonly changedPackages?: readonly PackageKey[];
  readonly rematch: ReevaluateResult;
}

/**
 * `key` names what the link is for (the service's store): two services with separate stores that
 * share one DB file each keep their own, and each re-matches its own images.
 */
export function createDbWatch(
  ctx: RuntimeContext,
  key: string,
  /** link(2); a test passes one that fails, as a file system without hard links does */
  link: (existing: string, created: string) => void = linkSync,
): DbWatch {
  const path = ctx.vulnDb.path;
  const matched = join(
    dirname(path),
    `.${basename(path)}.matched-${createHash('sha256').update(key).digest('hex').slice(0, 12)}`,
  );
  /** the inode last re-matched, where no link could be made */
  let unlinked: number | undefined;
  let checked = false;
  let running: Promise<DbWatchResult | undefined> = Promise.resolve(undefined);

  const inodeOf = (file: string): number | undefined => {
    try {
      return statSync(file).ino;
    } catch {
      return undefined;
    }
  };

  /** a link to the file at `path` under a fresh name, or undefined where links cannot be made */
  const pin = (): string | undefined => {
    const pinned = `${matched}.${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      link(path, pinned);
      return pinned;
    } catch {
      return undefined;
    }
  };

  const checkOnce = async (signal?: AbortSignal): Promise<DbWatchResult | undefined> => {
    const first = !checked;
    checked = true;
    const current = inodeOf(path);
    if (current === undefined) return undefined;
    const before = inodeOf(matched);
    if (before === current || unlinked === current) return undefined;
    // the file as it is now: what the link moves to after the re-match, even if another swap
    // lands meanwhile (that one is then the next check's change)
    const pinned = pin();
    try {
      let changedPackages: PackageKey[] | undefined;
      if (pinned === undefined) {
        // no links here: an inode seen once in memory stands in for the link
        const seen = unlinked !== undefined;
        unlinked = current;
        if (first && !seen) return undefined;
      } else if (before === undefined) {
        if (first) {
          renameSync(pinned, matched);
          return undefined;
        }
      } else {
        try {
          changedPackages = diffPackages(matched, pinned);
        } catch {
          // the old file was of another schema (an update rebuilt it): re-match everything
          changedPackages = undefined;
        }
      }
      const rematch = await reevaluate(ctx, {
        ...(changedPackages !== undefined && { changedPackages }),
        ...(signal !== undefined && { signal }),
      });
      // a re-match stopped by shutdown, or one that found no DB, has not matched this file
      if (pinned !== undefined && rematch.skipped === undefined && signal?.aborted !== true) {
        renameSync(pinned, matched);
      }
      return { ...(changedPackages !== undefined && { changedPackages }), rematch };
    } finally {
      if (pinned !== undefined) rmSync(pinned, { force: true });
    }
  };

  return {
    check(signal) {
      const next = running.then(
        () => checkOnce(signal),
        () => checkOnce(signal),
      );
      running = next;
      return next;
    },
  };
}
