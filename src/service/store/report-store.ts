import { type CompiledQuery, createQueryId, type Selectable, type SelectQueryBuilder, sql } from 'kysely';
import { VigilError } from '../../core/errors.ts';
import { type Severity, severities } from '../../core/types.ts';
import { chunks, type StoreContext } from './context.ts';
import { ownFindingColumns, severityRank, type storedFindingColumns, toStoredFinding } from './finding-store.ts';
import { toImage } from './image-store.ts';
import { lastSeenSql } from './last-seen.ts';
import { liveImageCount } from './live-images.ts';
import { preparedOnPostgres } from './postgres-database.ts';
import type { Database, FindingState, FindingTable } from './schema.ts';
import type { FindingFilter, FindingPage, FindingRowPage, FindingSummary, Image, SeverityCounts } from './types.ts';

const findingStates: readonly FindingState[] = ['open', 'resolved', 'suppressed', 'archived'];
const MAX_PAGE = 500;

const asList = <T>(value: T | readonly T[] | undefined): readonly T[] | undefined =>
  value === undefined ? undefined : Array.isArray(value) ? (value as readonly T[]) : [value as T];

/** The cursor is the last row's keyset (severity rank, id), opaque to callers. */
function encodeCursor(rank: number, id: number): string {
  return Buffer.from(JSON.stringify([rank, id])).toString('base64url');
}

function decodeCursor(cursor: string): [number, number] {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && value.every((n) => Number.isSafeInteger(n))) {
      return value as [number, number];
    }
  } catch {
    // fall through to the usage error
  }
  throw new VigilError('VIGIL_USAGE', 'the page cursor is not one this server handed out', {});
}

/**
 * Keyset pagination, most severe first then oldest finding first: each page is an index range scan
 * after the cursor, so page 1,000 costs what page 1 does, and rows inserted meanwhile never shift
 * a page boundary.
 */
export async function findingsPage(
  ctx: StoreContext,
  filter: FindingFilter,
  cursor: string | undefined,
  limit: number,
): Promise<FindingPage> {
  const { rows, next } = await findingRows(ctx, filter, cursor, limit);
  return { findings: rows.map(toStoredFinding), ...(next !== undefined && { next }) };
}

/** `findingsPage` as the rows it reads */
export async function findingRows(
  ctx: StoreContext,
  filter: FindingFilter,
  cursor: string | undefined,
  limit: number,
): Promise<FindingRowPage> {
  const size = Math.min(Math.max(Math.trunc(limit), 1), MAX_PAGE);
  // each value once and in order: the shapes, and so the templates, stay few
  const severity = distinct(asList(filter.severity)?.map(severityRank));
  // a state no finding has matches nothing (and only known states are written into the SQL)
  const state = distinct(asList(filter.state)?.filter((s) => findingStates.includes(s)));
  if (state?.length === 0) return { rows: [] };
  const values: PageValues = {
    severity,
    state,
    fixAvailable: filter.fixAvailable === undefined ? undefined : filter.fixAvailable ? 1 : 0,
    kev: filter.kev === undefined ? undefined : filter.kev ? 1 : 0,
    digest: filter.digest,
    repository: filter.repository,
    keyset: cursor === undefined ? undefined : decodeCursor(cursor),
    limit: fetchLimit(size + 1),
  };
  const { rows } = await ctx.db.executeQuery(pageQuery(ctx, values));
  const last = rows.length > size ? rows[size - 1] : undefined;
  return {
    rows: rows.length > size ? rows.slice(0, size) : rows,
    ...(last !== undefined && { next: encodeCursor(last.severity_rank, last.id) }),
  };
}

/**
 * The rows a page query fetches: the page and one more (whether there is a next page), rounded up
 * to one of a few sizes. The count is written into the SQL text, not bound: PostgreSQL plans a
 * bound LIMIT as if it were a tenth of the table, so its generic plan never won over a custom
 * one and every execution of a prepared page query was planned again (0.35 ms, more than the
 * query ran). Few sizes keep the templates, one per size and shape, few.
 */
const FETCH_SIZES = [11, 26, 51, 101, 251, MAX_PAGE + 1] as const;
const fetchLimit = (rows: number): number => FETCH_SIZES.find((size) => size >= rows) ?? MAX_PAGE + 1;

const distinct = <T extends string | number>(list: readonly T[] | undefined): readonly T[] | undefined =>
  list === undefined ? undefined : [...new Set(list)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/** a findings page's filter as the values of its query: the enumerated ones written in, the rest bound */
interface PageValues {
  readonly severity: readonly number[] | undefined;
  readonly state: readonly FindingState[] | undefined;
  readonly fixAvailable: 0 | 1 | undefined;
  readonly kev: 0 | 1 | undefined;
  readonly digest: string | undefined;
  readonly repository: string | undefined;
  /** the cursor's (severity rank, id) */
  readonly keyset: readonly [number, number] | undefined;
  /** rows to fetch (fetchLimit), part of the shape: written into the SQL text */
  readonly limit: number;
}

/**
 * A parameter of a page template: compiled in the place of a free value (digest, repository,
 * cursor), replaced by the value it takes from the request's PageValues at each execution
 * (`pageQuery`).
 */
class Slot {
  readonly take: (values: PageValues) => unknown;
  constructor(take: (values: PageValues) => unknown) {
    this.take = take;
  }
}

type PageRow = Pick<Selectable<FindingTable>, (typeof storedFindingColumns)[number] | 'severity_rank'>;

/**
 * The compiled page queries, one per shape of filter: which filters are set, and the values of
 * the enumerated ones (severities, states, fix available, KEV) and the row count, which are written
 * into the SQL text. Only free values (digest, repository, cursor) are bound. Building and
 * compiling a page through Kysely cost about a tenth of the API's CPU per page. With its
 * enumerated values in the text, PostgreSQL plans a page knowing how rare each is; bound, the plan
 * it reused or made anew at each execution depended on the statistics: on one fleet it planned the
 * severity page again every time (0.29 ms, more than running it, 0.20), on another of the same
 * shape it kept a generic plan. Per database handle, as Kysely compiles per dialect; at most
 * MAX_TEMPLATES, then it starts again.
 */
const templates = new WeakMap<object, Map<string, CompiledQuery<PageRow>>>();
const MAX_TEMPLATES = 512;

function pageQuery(ctx: StoreContext, values: PageValues): CompiledQuery<PageRow> {
  const shape = [
    values.severity?.join('|') ?? '-',
    values.state?.join('|') ?? '-',
    values.fixAvailable ?? '-',
    values.kev ?? '-',
    values.digest !== undefined,
    values.repository !== undefined,
    values.keyset !== undefined,
    values.limit,
  ].join();
  let byShape = templates.get(ctx.db);
  if (byShape === undefined) {
    byShape = new Map();
    templates.set(ctx.db, byShape);
  }
  let template = byShape.get(shape);
  if (template === undefined) {
    if (byShape.size >= MAX_TEMPLATES) byShape.clear();
    template = compilePage(ctx, values);
    // planned once per PostgreSQL connection
    if (ctx.dialect === 'postgres') preparedOnPostgres(template.sql);
    byShape.set(shape, template);
  }
  return {
    ...template,
    parameters: template.parameters.map((p) => (p instanceof Slot ? p.take(values) : p)),
    queryId: createQueryId(),
  };
}

/**
 * The page query for the shape of `values`: its enumerated values written in, a Slot for each
 * free value it binds.
 */
function compilePage(ctx: StoreContext, shape: PageValues): CompiledQuery<PageRow> {
  // the same filter with literals and Slots in the place of values; the casts only tell Kysely's
  // types so. Literals are ranks, 0 or 1, and the known states (findingRows dropped any other).
  const slot = <T>(take: (values: PageValues) => unknown) => new Slot(take) as unknown as T;
  const literal = <T>(value: number | FindingState) => sql.lit(value) as unknown as T;
  const slots: PageValues = {
    severity: shape.severity?.map((rank) => literal<number>(rank)),
    state: shape.state?.map((state) => literal<FindingState>(state)),
    fixAvailable: shape.fixAvailable === undefined ? undefined : literal<0 | 1>(shape.fixAvailable),
    kev: shape.kev === undefined ? undefined : literal<0 | 1>(shape.kev),
    digest: shape.digest === undefined ? undefined : slot<string>((v) => v.digest),
    repository: shape.repository === undefined ? undefined : slot<string>((v) => v.repository),
    keyset:
      shape.keyset === undefined ? undefined : [slot<number>((v) => v.keyset?.[0]), slot<number>((v) => v.keyset?.[1])],
    limit: shape.limit,
  };
  // Scoped to a repository's or an image's digests, the page's ids come from findings_digest_page
  // alone (every filter column is in it) and only those rows are read: reading every finding of
  // the repository to sort it cost 0.47 ms against 0.14 ms (20 images, 1,000 findings, SQLite).
  const scoped = slots.repository !== undefined || slots.digest !== undefined;
  const findings = ctx.db.selectFrom('findings as f');
  return (
    (
      scoped
        ? findings.where('f.id', 'in', (eb) =>
            pageFilter(eb.selectFrom('findings as f').select('f.id'), slots)
              .orderBy('f.severity_rank')
              .orderBy('f.id')
              .limit(sql.lit(slots.limit)),
          )
        : pageFilter(findings, slots).limit(sql.lit(slots.limit))
    )
      // each row's digest_matches row: its last sighting (last-seen.ts)
      .leftJoin('digest_matches as m', 'm.digest', 'f.digest')
      .select([
        ...ownFindingColumns.map((c) => `f.${c}` as const),
        lastSeenSql(ctx.dialect).as('last_seen'),
        'f.severity_rank',
      ])
      .orderBy('f.severity_rank')
      .orderBy('f.id')
      .compile()
  );
}

type FindingsQuery<O> = SelectQueryBuilder<Database & { f: FindingTable }, 'f', O>;

/** The filter and cursor of a findings page as conditions on `f`. */
function pageFilter<O>(query: FindingsQuery<O>, filter: PageValues): FindingsQuery<O> {
  let q = query;
  if (filter.severity !== undefined) q = q.where('f.severity_rank', 'in', filter.severity);
  if (filter.state !== undefined) q = q.where('f.state', 'in', filter.state);
  if (filter.fixAvailable !== undefined) q = q.where('f.fix_available', '=', filter.fixAvailable);
  if (filter.kev !== undefined) q = q.where('f.kev', '=', filter.kev);
  if (filter.digest !== undefined) q = q.where('f.digest', '=', filter.digest);
  const repository = filter.repository;
  if (repository !== undefined) {
    // IN, not EXISTS: the planner then starts from the repository's few digests instead of walking
    // the keyset index and probing images per row (65 ms against 2.6 ms on 50,000 findings)
    q = q.where('f.digest', 'in', (eb) =>
      eb.selectFrom('images as i').select('i.digest').where('i.repository', '=', repository),
    );
  }
  const keyset = filter.keyset;
  if (keyset !== undefined) {
    q = q.where((eb) => eb(eb.refTuple('f.severity_rank', 'f.id'), '>', eb.tuple(keyset[0], keyset[1])));
  }
  return q;
}

const zeroCounts = (): SeverityCounts => Object.fromEntries(severities.map((s) => [s, 0])) as SeverityCounts;

/**
 * Reads finding_totals (24 rows, moved in the transaction of every change to findings) and the
 * live image count (see above).
 */
export async function summary(ctx: StoreContext): Promise<FindingSummary> {
  const [rows, images] = await Promise.all([
    ctx.db.selectFrom('finding_totals').select(['state', 'severity', 'count']).execute(),
    liveImageCount(ctx),
  ]);
  const counts = Object.fromEntries(findingStates.map((s) => [s, zeroCounts()])) as Record<
    FindingState,
    SeverityCounts
  >;
  for (const r of rows) {
    const bucket = counts[r.state];
    if (bucket !== undefined && r.severity in bucket) bucket[r.severity as Severity] += Number(r.count);
  }
  return { counts, images };
}

/** Per-image counts in one state (default open), read from image_finding_counts; absent digests count zero. */
export async function countsByImage(
  ctx: StoreContext,
  digests: readonly string[],
  state: FindingState = 'open',
): Promise<Map<string, SeverityCounts>> {
  const out = new Map(digests.map((d) => [d, zeroCounts()]));
  for (const part of chunks([...new Set(digests)])) {
    const rows = await ctx.db
      .selectFrom('image_finding_counts')
      .select(['digest', 'severity', 'count'])
      .where('state', '=', state)
      .where('digest', 'in', part)
      .execute();
    for (const r of rows) {
      const counts = out.get(r.digest);
      if (counts !== undefined && r.severity in counts) counts[r.severity as Severity] = Number(r.count);
    }
  }
  return out;
}

const DAY_MS = 86_400_000;

function dayBounds(day: string): [number, number] {
  const start = /^\d{4}-\d{2}-\d{2}$/.test(day) ? Date.parse(`${day}T00:00:00Z`) : Number.NaN;
  if (Number.isNaN(start)) throw new VigilError('VIGIL_USAGE', `day ${JSON.stringify(day)} is not YYYY-MM-DD`, {});
  return [start, start + DAY_MS];
}

const severityColumns = ['critical', 'high', 'medium', 'low', 'none', 'unknown'] as const;

/**
 * Writes the day's history (UTC), replacing any earlier rollup of it, so re-running is harmless.
 * Per image and state: findings open at the end of the day (including those resolved only later),
 * suppressed ones as they stand, and those resolved during the day. Archived findings are left out.
 * A finding reopened after a resolve keeps only its latest open spell, so a back-fill of days before
 * a reopen can undercount; the scheduler runs this just after midnight for the day that ended.
 */
export async function rollupDaily(ctx: StoreContext, day: string): Promise<void> {
  const [start, end] = dayBounds(day);
  const sums = sql.join(severities.map((s) => sql`sum(case when severity = ${s} then 1 else 0 end)`));
  await ctx.write(async (trx) => {
    await trx.deleteFrom('finding_history_daily').where('day', '=', day).execute();
    await sql`
      insert into finding_history_daily (day, digest, state, ${sql.join(severityColumns.map((c) => sql.ref(c)))})
      select cast(${day} as text), digest, day_state, ${sums}
      from (
        select digest, severity,
          case when state = 'resolved' and resolved_at >= ${end} then 'open' else state end as day_state
        from findings
        where first_seen < ${end}
          and (state in ('open', 'suppressed') or (state = 'resolved' and resolved_at >= ${start}))
      ) as day_findings
      group by digest, day_state`.execute(trx);
  });
}

/** Digests with at least one finding at or above `minSeverity` in `state` (default open) on `day`. */
export async function imagesWithFinding(
  ctx: StoreContext,
  day: string,
  minSeverity: Severity,
  state: FindingState = 'open',
): Promise<string[]> {
  dayBounds(day);
  const columns = severityColumns.slice(0, severityRank(minSeverity) + 1);
  const rows = await ctx.db
    .selectFrom('finding_history_daily')
    .select('digest')
    .where('day', '=', day)
    .where('state', '=', state)
    .where((eb) => eb.or(columns.map((c) => eb(c, '>', 0))))
    .orderBy('digest')
    .execute();
  return rows.map((r) => r.digest);
}

/**
 * Live images whose last re-match is before `cutoff`; an image never matched counts from its push
 * (production registries' FedRAMP window starts there) or, failing that, from when it was first seen.
 */
export async function imagesNotScannedSince(
  ctx: StoreContext,
  cutoff: Date,
  options: { productionOnly?: boolean } = {},
): Promise<Image[]> {
  let query = ctx.db
    .selectFrom('images as i')
    .selectAll('i')
    .where('i.archived_at', 'is', null)
    .where((eb) => eb(eb.fn.coalesce('i.last_scanned', 'i.pushed_at', 'i.first_seen'), '<', cutoff.getTime()));
  if (options.productionOnly === true) {
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom('registries as r')
          .select('r.id')
          .whereRef('r.id', '=', 'i.registry_id')
          .where('r.production', '=', 1),
      ),
    );
  }
  const rows = await query.orderBy('i.repository').orderBy('i.digest').execute();
  return rows.map(toImage);
}

/** the start of the scan window that ends at `now`: FedRAMP's is 30 days */
export const scanWindowCutoff = (now: Date, days = 30): Date => new Date(now.getTime() - days * DAY_MS);
