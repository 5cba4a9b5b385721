import { type RawBuilder, sql } from 'kysely';
import type { StoreDialect } from './migrations.ts';

/**
 * When a finding was last seen. An open or suppressed finding is in every match of its image, so
 * its last sighting is its digest's last match (digest_matches.matched_at, written with the
 * images' last_scanned): a re-match that finds it again writes nothing to it. Before, the daily
 * full re-match rewrote last_seen on every open finding, which on PostgreSQL was a new row version
 * and five index entries each (55 µs a finding, most of the re-match's database time). A
 * finding's own last_seen holds when it was inserted, reopened or rewritten, and is frozen at the
 * digest's last match when it leaves open or suppressed (resolved, archived), or when a match
 * misses it without resolving it (incomplete data, a suppressed finding): `unseen` is then 1 until
 * a match finds it again. See frozenLastSeenSql.
 *
 * Read from the finding `f` joined to its digest's row `m` (left join digest_matches as m on
 * m.digest = f.digest): a join, not a subquery per row, which cost a 51-row PostgreSQL page 0.2 ms
 * against 0.05-0.1 ms (PostgreSQL memoizes the page's few digests).
 */
/**
 * The last sighting of the finding `row`: its digest's last match, `matchedAt`, while it is read
 * from there (`reading`: open or suppressed, and seen by the last match), else its own last_seen
 */
function sightingText(dialect: StoreDialect, row: string, reading: string, matchedAt: string): string {
  const latest = dialect === 'postgres' ? 'greatest' : 'max';
  const own = `${row}.last_seen`;
  return `case when ${reading} then ${latest}(${own}, coalesce(${matchedAt}, ${own})) else ${own} end`;
}

const lastSeenText = (dialect: StoreDialect) =>
  sightingText(dialect, 'f', "f.state in ('open', 'suppressed') and f.unseen = 0", 'm.matched_at');

/** for an UPDATE of `findings` that stops reading the sighting from digest_matches */
const frozenText = (dialect: StoreDialect) =>
  sightingText(
    dialect,
    'findings',
    'findings.unseen = 0',
    '(select m.matched_at from digest_matches as m where m.digest = findings.digest)',
  );

const made = {
  postgres: { read: sql.raw<number>(lastSeenText('postgres')), frozen: sql.raw<number>(frozenText('postgres')) },
  sqlite: { read: sql.raw<number>(lastSeenText('sqlite')), frozen: sql.raw<number>(frozenText('sqlite')) },
};

/** a finding's last sighting, read from `f` left-joined to its digest_matches row `m` */
export const lastSeenSql = (dialect: StoreDialect): RawBuilder<number> => made[dialect].read;

/**
 * last_seen for an UPDATE of `findings` that resolves, archives or marks unseen open or suppressed
 * rows: run it before the batch moves the digest's matched_at, so it is the last match that found
 * them (a row already unseen keeps its own)
 */
export const frozenLastSeenSql = (dialect: StoreDialect): RawBuilder<number> => made[dialect].frozen;
