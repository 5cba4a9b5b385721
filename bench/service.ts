/**
 * `npm run bench:service`: the watch service at fleet size, with figures for docs/benchmarks.md.
 * Each dialect runs in its own child process, so the peak RSS it prints
 * (process.resourceUsage().maxRSS) is that dialect's run alone: store, matcher and API server.
 *
 * Per dialect (SQLite in a temporary directory; PostgreSQL at VIGIL_BENCH_PG, default
 * postgres://postgres@127.0.0.1:5432/test, in a schema of its own dropped afterwards):
 * 1. a generated 50,000-record vulnerability DB (bench/support/service-fleet.ts);
 * 2. 10,000 images with 300-package inventories stored, then matched once (every finding new);
 * 3. the daily full re-match (`reevaluate` over every inventory, nothing changed): target < 60 s;
 * 4. a DB update changing 1,000 advisories, its delta and the re-match of the images it touches
 *    (the update, then `DbWatch.check`: the diff and `reevaluate({ changedPackages })`, as runDbUpdate
 *    does): target < 10 s;
 * 5. `GET /api/v1/summary` and two filtered 50-row findings pages served by createApi on a loopback
 *    port in --api-threads threads (default: one per core, as `vigil serve`; api-threads.ts), loaded
 *    with ApacheBench (`ab -k -c 50`): target p99 < 50 ms.
 *
 * Each URL is loaded --load-runs times (default 3) and printed as its median run by p99, with the
 * range of the runs: on these shared VMs one run varies by up to half from the next.
 *
 * Options: --images N (default 10,000), --only sqlite|postgres, --requests N (per URL and run,
 * default 5,000), --load-runs N, --api-threads N.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { createApi, issueToken } from '../src/api/index.ts';
import { matchInventory } from '../src/match/index.ts';
import { ApiThreads, openApiStore } from '../src/service/runtime/api-threads.ts';
import type { RuntimeContext } from '../src/service/runtime/context.ts';
import { createDbWatch } from '../src/service/runtime/db-watch.ts';
import { reevaluate } from '../src/service/runtime/reevaluate.ts';
import { openVulnData } from '../src/service/runtime/vuln-data.ts';
import { openStore } from '../src/service/store/index.ts';
import { openRuntimeQueries } from '../src/service/store/runtime-queries.ts';
import { openScanQueueQueries } from '../src/service/store/scan-queue.ts';
import { digestOf } from '../src/service/store/testing.ts';
import { createTransport, updateDatabase, type VulnSource } from '../src/vulndb/index.ts';
import { changedAdvisories, type FleetShape, storeFleet, vulnSources } from './support/service-fleet.ts';

const PG_URL = process.env.VIGIL_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const DELTA_ADVISORIES = 1_000;
const CONCURRENCY = 50;
/** warm-up requests per URL and API thread */
const WARM_UP_PER_THREAD = 2_000;
const run = promisify(execFile);

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at === -1 ? undefined : args[at + 1];
};

/** one ab run against one URL */
interface LoadRun {
  readonly requests: number;
  readonly failed: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** CPU milliseconds per request: this process (the API server), the local PostgreSQL server's processes, ab */
  readonly cpuPerRequest: { readonly api: number; readonly postgres: number | undefined; readonly ab: number };
}

interface LoadResult {
  readonly url: string;
  readonly runs: readonly LoadRun[];
}

interface DialectResult {
  readonly dialect: string;
  readonly images: number;
  readonly findings: number;
  readonly vulnDbSeconds: number;
  readonly storeSeconds: number;
  readonly firstMatchSeconds: number;
  readonly fullRematchSeconds: number;
  readonly deltaUpdateSeconds: number;
  readonly deltaPackages: number;
  readonly deltaImages: number;
  readonly deltaRematchSeconds: number;
  readonly deltaResolved: number;
  readonly load: readonly LoadResult[];
  readonly maxRssMb: number;
  /** threads serving the API */
  readonly apiThreads: number;
}

/** progress on stderr, with the peak RSS so far, so a phase that grows memory shows itself */
const log = (line: string) =>
  process.stderr.write(
    `${line} [peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB, ` +
      `heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MB, ${memoryKinds()}]\n`,
  );
const seconds = (since: number) => (performance.now() - since) / 1000;

/** RSS by kind (Linux): anonymous memory is the process's own; file and shared pages are the OS's to drop */
function memoryKinds(): string {
  try {
    const rollup = readFileSync('/proc/self/smaps_rollup', 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(rollup)?.[1] ?? 0);
    return `anon ${(kb('Anonymous') / 1024).toFixed(0)} MB, file ${(kb('Rss') / 1024 - kb('Anonymous') / 1024).toFixed(0)} MB`;
  } catch {
    return 'no /proc';
  }
}

async function main(): Promise<void> {
  const only = option('--only');
  console.log(
    `machine: ${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, ` +
      `load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
  );
  const results: DialectResult[] = [];
  for (const dialect of ['sqlite', 'postgres']) {
    if (only !== undefined && only !== dialect) continue;
    if (dialect === 'postgres') {
      const unreachable = await pgUnreachable();
      if (unreachable !== undefined) {
        console.log(`postgres: skipped, ${PG_URL} is not reachable (${unreachable})`);
        continue;
      }
    }
    results.push(await child(dialect));
  }
  for (const r of results) print(r);
  console.log(
    `load average after: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
}

async function pgUnreachable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    await client.end().catch(() => {});
  }
}

/** the dialect's run in a child process; its progress goes to stderr, its figures come back as JSON */
function child(dialect: string): Promise<DialectResult> {
  const argv = [import.meta.filename, '--dialect', dialect, ...args];
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
    });
    proc.on('error', reject);
    proc.on('close', (code) => {
      if (code !== 0) reject(new Error(`the ${dialect} run exited ${code}`));
      else resolve(JSON.parse(out.trim().split('\n').pop() as string) as DialectResult);
    });
  });
}

function print(r: DialectResult): void {
  const mark = (ok: boolean) => (ok ? 'met' : 'MISSED');
  console.log(
    `\n${r.dialect}: ${r.images.toLocaleString('en')} images, ${r.findings.toLocaleString('en')} open findings`,
  );
  console.log(`  vulnerability DB built (50,000 records): ${r.vulnDbSeconds.toFixed(1)} s`);
  console.log(`  images + inventories stored: ${r.storeSeconds.toFixed(1)} s`);
  console.log(`  first match (setup; every finding new): ${r.firstMatchSeconds.toFixed(1)} s`);
  console.log(
    `  full re-match (nothing changed): ${r.fullRematchSeconds.toFixed(1)} s ` +
      `(${((r.fullRematchSeconds * 1000) / r.images).toFixed(2)} ms/image); < 60 s ${mark(r.fullRematchSeconds < 60)}`,
  );
  console.log(
    `  delta of ${DELTA_ADVISORIES.toLocaleString('en')} advisories: DB update ${r.deltaUpdateSeconds.toFixed(1)} s, then ` +
      `${r.deltaPackages} packages changed and ${r.deltaImages.toLocaleString('en')} images re-matched (diff and ` +
      `re-match) in ${r.deltaRematchSeconds.toFixed(1)} s (${r.deltaResolved.toLocaleString('en')} findings resolved); ` +
      `< 10 s ${mark(r.deltaRematchSeconds < 10)}`,
  );
  console.log(`  API served by ${r.apiThreads} thread(s)`);
  for (const { url, runs } of r.load) {
    const byP99 = [...runs].sort((a, b) => a.p99 - b.p99);
    const l = byP99[Math.floor((byP99.length - 1) / 2)] as LoadRun;
    const range = (values: number[]) =>
      runs.length === 1 ? '' : ` (${Math.min(...values)}–${Math.max(...values)} in ${runs.length} runs)`;
    console.log(
      `  ${url}: ${l.requests} requests at -c ${CONCURRENCY}, ${l.failed} failed, ${Math.round(l.perSecond)}/s` +
        `${range(runs.map((run) => Math.round(run.perSecond)))}, p50 ${l.p50} ms, p99 ${l.p99} ms` +
        `${range(runs.map((run) => run.p99))}, max ${l.max} ms; p99 < 50 ms ${mark(l.p99 < 50)}; CPU per request: ` +
        `API ${l.cpuPerRequest.api.toFixed(2)} ms, ` +
        (l.cpuPerRequest.postgres === undefined ? '' : `PostgreSQL ${l.cpuPerRequest.postgres.toFixed(2)} ms, `) +
        `ab ${l.cpuPerRequest.ab.toFixed(2)} ms`,
    );
  }
  console.log(`  peak RSS ${r.maxRssMb.toFixed(0)} MB`);
}

async function runDialect(dialect: string): Promise<DialectResult> {
  const shape: FleetShape = { images: Number(option('--images') ?? 10_000), packagesPerImage: 300 };
  const requests = Number(option('--requests') ?? 5_000);
  const loadRuns = Math.max(1, Number(option('--load-runs') ?? 3));
  const work = mkdtempSync(join(tmpdir(), 'vigil-bench-service-'));
  const postgres = dialect === 'postgres';
  const schema = postgres ? `vigil_bench_${randomBytes(4).toString('hex')}` : undefined;
  const url = postgres ? PG_URL : `sqlite://${join(work, 'vigil.db')}`;
  const storeOptions = schema === undefined ? {} : { schema };
  const vulnDbPath = join(work, 'vuln.db');
  const transport = createTransport();
  const update = (sources: VulnSource[]) => updateDatabase({ dbPath: vulnDbPath, sources, transport });

  let started = performance.now();
  await update(vulnSources().sources);
  const vulnDbSeconds = seconds(started);
  log(`${dialect}: vulnerability DB built in ${vulnDbSeconds.toFixed(1)} s`);

  const store = await openStore(url, storeOptions);
  const jobs = await openScanQueueQueries(url, storeOptions);
  const queries = openRuntimeQueries(url, storeOptions);
  const vulnDb = openVulnData(vulnDbPath);
  // a notifier with no channels: events are still turned into the notifier's shapes, as in serve
  const ctx: RuntimeContext = {
    store,
    jobs,
    queries,
    vulnDb,
    notifier: { dispatch: async () => [] },
    cacheDir: join(work, 'cache'),
    now: () => new Date(),
    staleAfterMs: 3 * 86_400_000,
  };
  // the API as `vigil serve` runs it: one thread per core, the bench's store in the main one
  const apiThreads = Number(option('--api-threads') ?? Math.min(availableParallelism(), 4));
  const threads = apiThreads > 1 ? new ApiThreads() : undefined;
  // on PostgreSQL the main thread's API reads through a store of its own with API_CONNECTIONS, as
  // in `vigil serve` (service.ts), not through the bench's
  const apiStore = postgres ? await openApiStore(url, { schema }) : store;
  const app = createApi({
    store: apiStore,
    secretBox: undefined,
    ...(threads !== undefined && { threads: threads.link() }),
  });
  try {
    started = performance.now();
    await storeFleet(store, shape, new Date(), postgres ? 4 : 1);
    const storeSeconds = seconds(started);
    log(`${dialect}: ${shape.images} images stored in ${storeSeconds.toFixed(1)} s`);

    started = performance.now();
    const firstFindings = await matchFleet(ctx, shape.images, postgres ? 4 : 1);
    const firstMatchSeconds = seconds(started);
    log(`${dialect}: first match, ${firstFindings} events, in ${firstMatchSeconds.toFixed(1)} s`);
    // autovacuum analyzes a table this freshly filled a while later; until then PostgreSQL plans
    // the findings pages on empty-table statistics (see src/service/store/README.md)
    if (postgres) await analyze(schema as string);

    started = performance.now();
    const full = await reevaluate(ctx);
    const fullRematchSeconds = seconds(started);
    log(`${dialect}: full re-match of ${full.images} images in ${fullRematchSeconds.toFixed(1)} s`);

    // as runDbUpdate: the watch's first check takes its link to the file matched so far, the
    // update swaps a new file in, and the next check diffs the two and re-matches the delta
    const dbWatch = createDbWatch(ctx, 'bench');
    await dbWatch.check();
    started = performance.now();
    await update(vulnSources(changedAdvisories(DELTA_ADVISORIES)).sources);
    const deltaUpdateSeconds = seconds(started);
    started = performance.now();
    const changed = await dbWatch.check();
    const deltaRematchSeconds = seconds(started);
    if (changed === undefined) throw new Error('the DB update changed nothing');
    const { changedPackages, rematch: delta } = changed;
    log(`${dialect}: delta re-match of ${delta.images} images in ${deltaRematchSeconds.toFixed(1)} s`);
    // The first match filled findings, and the re-matches updated digest_matches (each image's
    // last sighting) and resolved the delta's findings, leaving pages not all-visible. autovacuum
    // would clean that up; this server has it off, so the bench does it. (When a re-match still
    // rewrote every open finding, a repository page without it cost PostgreSQL 1.6 ms of CPU, not
    // 0.7: heap fetches for every index entry the page's index-only scan reads.)
    // A checkpoint then writes out what the vacuum dirtied, so that the server's checkpointer does
    // not do it during the API phase, on the cores the load is measured on.
    if (postgres) await analyze(schema as string, 'vacuum analyze', true);

    const summary = await store.summary();
    const { token } = await issueToken(store, { name: 'bench', role: 'viewer' }, new Date());
    const listen = { host: '127.0.0.1', port: 0 };
    const address =
      threads === undefined
        ? await app.listen(listen)
        : await threads.start(app, listen, apiThreads - 1, { database: url, ...storeOptions }, {});
    log(`${dialect}: API in ${apiThreads} thread(s)`);
    const load: LoadResult[] = [];
    for (const path of [
      '/api/v1/summary',
      '/api/v1/findings?state=open&severity=CRITICAL,HIGH&limit=50',
      '/api/v1/findings?repository=team-7/app-7&fixAvailable=true&limit=50',
    ]) {
      // warm-up: connection pools, page cache, and each thread's own JIT, which after 500 requests a
      // thread was still compiling (the next 5,000 cost 0.67-0.82 ms of API CPU each against
      // 0.43-0.56 after them): the target is the steady state of a long-running service
      await ab(`${address}${path}`, token, WARM_UP_PER_THREAD * apiThreads, postgres);
      const runs: LoadRun[] = [];
      for (let n = 0; n < loadRuns; n++) runs.push(await ab(`${address}${path}`, token, requests, postgres));
      load.push({ url: `GET ${path}`, runs });
    }
    return {
      dialect,
      images: full.images,
      findings: Object.values(summary.counts.open).reduce((a, b) => a + b, 0),
      vulnDbSeconds,
      storeSeconds,
      firstMatchSeconds,
      fullRematchSeconds,
      deltaUpdateSeconds,
      deltaPackages: changedPackages?.length ?? -1,
      deltaImages: delta.images,
      deltaRematchSeconds,
      deltaResolved: delta.resolvedFindings,
      load,
      maxRssMb: process.resourceUsage().maxRSS / 1024,
      apiThreads,
    };
  } finally {
    await threads?.stop();
    await app.close();
    if (apiStore !== store) await apiStore.close();
    vulnDb.close();
    await queries.close();
    await jobs.close();
    await store.close();
    if (schema !== undefined) await dropSchema(schema);
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Setup, not a measured target: the first match of every stored inventory, where every finding is
 * new, `concurrency` images at a time (reevaluate goes one by one, which on PostgreSQL would take
 * longer than the rest of the bench).
 */
async function matchFleet(ctx: RuntimeContext, images: number, concurrency: number): Promise<number> {
  const reader = ctx.vulnDb.reader();
  if (reader === undefined) throw new Error('no vulnerability DB');
  let next = 0;
  let created = 0;
  const worker = async () => {
    for (let n = next++; n < images; n = next++) {
      const digest = digestOf(n + 1);
      const stored = await ctx.store.getInventory(digest);
      if (stored === undefined) continue;
      const now = ctx.now();
      const { findings } = matchInventory(stored.inventory, reader, { now });
      const events = await ctx.store.applyMatchResult(digest, findings, { complete: true, now });
      created += events.length;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return created;
}

async function analyze(
  schema: string,
  command: 'analyze' | 'vacuum analyze' = 'analyze',
  checkpoint = false,
): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ table_name: string }>(
      'select table_name from information_schema.tables where table_schema = $1',
      [schema],
    );
    for (const { table_name } of rows) await client.query(`${command} "${schema}"."${table_name}"`);
    if (checkpoint) await client.query('checkpoint');
  } finally {
    await client.end();
  }
}

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}

/**
 * ApacheBench with keep-alive at 50 connections. It runs as its own process, so the server (this
 * process) is measured from outside its event loop; its percentiles are whole milliseconds. The
 * CPU each side spent is measured too: all three share the two cores, so their sum per request
 * bounds the throughput.
 */
async function ab(url: string, token: string, requests: number, postgres: boolean): Promise<LoadRun> {
  const api = process.cpuUsage();
  const pgBefore = postgres ? postgresCpuMs() : undefined;
  const { stdout, stderr } = await run(
    '/usr/bin/time',
    [
      '-f',
      'cpu %U %S',
      'ab',
      '-q',
      '-k',
      '-c',
      String(CONCURRENCY),
      '-n',
      String(requests),
      '-H',
      `Authorization: Bearer ${token}`,
      url,
    ],
    { maxBuffer: 1 << 20 },
  );
  const apiUsage = process.cpuUsage(api);
  const pgAfter = postgres ? postgresCpuMs() : undefined;
  const number = (pattern: RegExp, text = stdout) => Number(pattern.exec(text)?.[1] ?? Number.NaN);
  // ab prints the Non-2xx line only when there were some
  const failed = number(/Failed requests:\s+(\d+)/) + (number(/Non-2xx responses:\s+(\d+)/) || 0);
  const abCpuMs = (number(/cpu ([\d.]+) /, stderr) + number(/cpu [\d.]+ ([\d.]+)/, stderr)) * 1000;
  return {
    requests: number(/Complete requests:\s+(\d+)/),
    failed,
    perSecond: number(/Requests per second:\s+([\d.]+)/),
    p50: number(/^\s+50%\s+(\d+)/m),
    p99: number(/^\s+99%\s+(\d+)/m),
    max: number(/^\s+100%\s+(\d+)/m),
    cpuPerRequest: {
      api: (apiUsage.user + apiUsage.system) / 1000 / requests,
      postgres:
        pgBefore === undefined || pgAfter === undefined ? undefined : postgresCpuBetween(pgBefore, pgAfter) / requests,
      ab: abCpuMs / requests,
    },
  };
}

/**
 * CPU milliseconds used so far by each process named postgres on this machine (Linux /proc; the
 * server at VIGIL_BENCH_PG is local here), by pid. Undefined where /proc cannot tell.
 */
function postgresCpuMs(): Map<string, number> | undefined {
  const ticksPerMs = 100 / 1000; // USER_HZ is 100 on Linux
  const used = new Map<string, number>();
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        if (!readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('postgres')) continue;
        // fields after the command's closing parenthesis: utime and stime are the 12th and 13th
        const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
        used.set(pid, (Number(fields[11]) + Number(fields[12])) / ticksPerMs);
      } catch {
        // the process ended meanwhile
      }
    }
  } catch {
    return undefined;
  }
  return used;
}

/**
 * The CPU PostgreSQL's processes used between two readings: what each process still running used
 * since the first (all of it, for one started since). A process that ended in between is left out,
 * as /proc no longer tells how much of its time fell in the window: the backends that end during
 * a load run are the setup's idle pool connections (pg-pool closes them after 10 s), which used
 * nothing in it. Counting all of their time (their parent's reaped children's time) once added
 * the setup's whole first match to one run.
 */
function postgresCpuBetween(before: Map<string, number>, after: Map<string, number>): number {
  let ms = 0;
  for (const [pid, now] of after) ms += now - (before.get(pid) ?? 0);
  return ms;
}

const dialect = option('--dialect');
if (dialect !== undefined) {
  const result = await runDialect(dialect);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  await main();
}
