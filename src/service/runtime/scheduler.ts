import { hostname } from 'node:os';
import { Cron } from 'croner';
import type { Transport, VulnSource } from '../../vulndb/index.ts';
import type { ScanConfig } from '../store/types.ts';
import type { RuntimeContext } from './context.ts';
import { runDbUpdate } from './db-update-job.ts';
import { createDbWatch, type DbWatch } from './db-watch.ts';
import { discover } from './discovery.ts';
import type { JobQueue } from './queue.ts';
import { redispatchRematches, reevaluate } from './reevaluate.ts';
import { queueReindex } from './reindex.ts';
import { checkScanAge } from './scan-age.ts';
import { redispatchPending } from './scan-job.ts';

export const DEFAULT_SCHEDULES = {
  /** `db update`: every 6 hours (Trivy's DB is rebuilt as often) */
  dbUpdate: '0 */6 * * *',
  /** every image is re-matched at least once a day even when no data changed */
  rematch: '30 3 * * *',
  /** hourly: an image that lapses is told within the hour */
  scanAge: '15 * * * *',
  /** just after midnight UTC, for the day that ended (see the Store README on back-fills) */
  rollup: '5 0 * * *',
  /** scans a dead worker finished but never told the notifier about */
  redispatch: '*/5 * * * *',
  /** images indexed by older extractors get a scan (a batch an hour after an upgrade) */
  reindex: '45 * * * *',
} as const;

/** the UTC day before `now`, as the daily rollup names it */
const yesterdayOf = (now: Date): string => new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10);

export interface SchedulerOptions {
  readonly queue: JobQueue;
  /** absent: the DB is updated from outside (`vigil db update` by cron, an import) */
  readonly dbUpdate?: { readonly sources: readonly VulnSource[]; readonly transport: Transport };
  readonly schedules?: Partial<Record<keyof typeof DEFAULT_SCHEDULES, string>>;
  /** scan-age window in days (FedRAMP: 30) */
  readonly windowDays?: number;
  /** how often scan configs are re-read, so configs made through the API get their schedule */
  readonly configRefreshMs?: number;
  /**
   * re-matches after each change of the DB file (db-watch.ts); default: one keyed "scheduler".
   * Checked at start, every `dbWatchMs` (default a minute) and around the scheduled `db update`,
   * on every node: each re-matches for a change of its own file.
   */
  readonly dbWatch?: DbWatch;
  readonly dbWatchMs?: number;
}

export interface ScheduleEntry {
  readonly name: string;
  readonly pattern: string;
  readonly timeZone: string;
  nextRun(from?: Date): Date | null;
}

export interface Scheduler {
  start(): Promise<void>;
  /** what a schedule does when it fires: claim the slot (one node of many), then run */
  fire(name: string): Promise<void>;
  /** stops every schedule and waits for the tasks that are running */
  stop(): Promise<void>;
  /**
   * (re)reads the scan configs: a schedule per live config, with its own time zone. After the first
   * sync since start, a config it had not seen is discovered at once; the call returns when that is
   * done.
   */
  syncConfigs(): Promise<void>;
  entries(): ScheduleEntry[];
  /** runs one task now, as its schedule would (what `trigger` buttons and tests use) */
  run(name: string): Promise<void>;
}

/**
 * croner schedules for the service's periodic work: discovery per scan config (its cron and time
 * zone, default daily; and once when a config added while running is first seen), a re-match
 * after each change of the DB file (db-watch.ts), `db update` with a delta re-match, the daily
 * full re-match, the scan-age check and the daily history rollup. A task never overlaps itself (croner's `protect`), runs on
 * one node when several share the database (a claimed slot per task and minute), and a failing
 * task is logged and tried again at its next time.
 */
export function createScheduler(ctx: RuntimeContext, options: SchedulerOptions): Scheduler {
  const schedules = { ...DEFAULT_SCHEDULES, ...options.schedules };
  const tasks = new Map<string, { cron?: Cron; pattern: string; timeZone: string; task: () => Promise<unknown> }>();
  const running = new Set<Promise<unknown>>();
  let refresh: NodeJS.Timeout | undefined;
  let watching: NodeJS.Timeout | undefined;
  /** aborts a DB-change re-match at stop: the next start's check does it again */
  let watchAbort = new AbortController();
  const dbWatch = options.dbWatch ?? createDbWatch(ctx, 'scheduler');
  let started = false;
  /** the configs of the first sync after start wait for their schedule; any seen later is new */
  let synced = false;

  const owner = `${hostname()}:${process.pid}`;

  /**
   * A scheduled firing: on a database shared by several nodes only the first to claim the
   * (task, minute) slot runs it. Clocks more than a minute apart can still both run a task; every
   * task is idempotent, so that costs work, not correctness.
   */
  const fire = async (name: string) => {
    const slot = new Date(Math.floor(ctx.now().getTime() / 60_000) * 60_000);
    if (!(await ctx.jobs.claimTaskRun(name, slot, owner).catch(() => false))) return;
    await execute(name);
  };

  const execute = async (name: string) => {
    const entry = tasks.get(name);
    if (entry === undefined) return;
    const work = entry.task().then(
      (result) => ctx.logger?.info({ task: name, result }, 'scheduled task done'),
      (err: Error) => ctx.logger?.error({ task: name, error: err.message }, 'scheduled task failed'),
    );
    running.add(work);
    try {
      await work;
    } finally {
      running.delete(work);
    }
  };

  const add = (name: string, pattern: string, timeZone: string, task: () => Promise<unknown>) => {
    const entry: { cron?: Cron; pattern: string; timeZone: string; task: () => Promise<unknown> } = {
      pattern,
      timeZone,
      task,
    };
    tasks.set(name, entry);
    if (started) entry.cron = new Cron(pattern, { timezone: timeZone, protect: true }, () => fire(name));
  };

  const fixed = () => {
    if (options.dbUpdate !== undefined) {
      const update = options.dbUpdate;
      add('db-update', schedules.dbUpdate, 'UTC', () => runDbUpdate(ctx, dbWatch, update));
    }
    add('rematch', schedules.rematch, 'UTC', () => reevaluate(ctx));
    add('scan-age', schedules.scanAge, 'UTC', () =>
      checkScanAge(ctx, options.windowDays === undefined ? {} : { windowDays: options.windowDays }),
    );
    add(
      'redispatch',
      schedules.redispatch,
      'UTC',
      async () => (await redispatchPending(ctx)) + (await redispatchRematches(ctx)),
    );
    add('reindex', schedules.reindex, 'UTC', () => queueReindex(ctx, options.queue));
    add('rollup', schedules.rollup, 'UTC', () => ctx.store.rollupDaily(yesterdayOf(ctx.now())));
  };

  // read at run time, so an edit made through the API since the last refresh is honoured
  const configTask = (config: ScanConfig) => async () => {
    const current = await ctx.store.getConfig(config.id);
    return current === undefined ? undefined : discover(ctx, current, options.queue);
  };

  const scheduler: Scheduler = {
    async start() {
      if (started) return;
      started = true;
      fixed();
      await scheduler.syncConfigs();
      refresh = setInterval(() => {
        scheduler.syncConfigs().catch((err: Error) => ctx.logger?.error({ error: err.message }, 'config refresh'));
      }, options.configRefreshMs ?? 60_000);
      refresh.unref();
      // a `vigil db import` or `db update` run beside the service, or while it was down
      const checkDb = () => {
        const signal = watchAbort.signal;
        const work = dbWatch.check(signal).then(
          (result) => {
            if (result === undefined) return;
            const { rematch, changedPackages } = result;
            // the packages as a count: a delta names thousands
            ctx.logger?.info(
              { task: 'db-watch', changedPackages: changedPackages?.length ?? 'all', ...rematch },
              'vulnerability DB changed and re-matched',
            );
          },
          (err: Error) => {
            if (!signal.aborted) ctx.logger?.error({ task: 'db-watch', error: err.message }, 'scheduled task failed');
          },
        );
        running.add(work);
        void work.finally(() => running.delete(work));
      };
      checkDb();
      watching = setInterval(checkDb, options.dbWatchMs ?? 60_000);
      watching.unref();
      // yesterday's rollup, if none ran (no scheduler was up just after midnight): the history
      // answers "which images had a High on that day" from it. A day with findings has rows.
      const catchUp = ctx.store
        .imagesWithFinding(yesterdayOf(ctx.now()), 'UNKNOWN')
        .then((open) => (open.length === 0 ? fire('rollup') : undefined))
        .catch((err: Error) => ctx.logger?.error({ task: 'rollup', error: err.message }, 'scheduled task failed'));
      running.add(catchUp);
      void catchUp.finally(() => running.delete(catchUp));
    },

    async stop() {
      started = false;
      synced = false;
      clearInterval(refresh);
      clearInterval(watching);
      watchAbort.abort();
      for (const entry of tasks.values()) entry.cron?.stop();
      // a firing that is running may still look its task up (fire claims, then executes)
      await Promise.allSettled([...running]);
      tasks.clear();
      watchAbort = new AbortController();
    },

    async syncConfigs() {
      const configs = await ctx.store.listConfigs();
      const live = new Set(configs.map((c) => `discover:${c.id}`));
      for (const [name, entry] of tasks) {
        if (name.startsWith('discover:') && !live.has(name)) {
          entry.cron?.stop();
          tasks.delete(name);
        }
      }
      const added: string[] = [];
      for (const config of configs) {
        const name = `discover:${config.id}`;
        const current = tasks.get(name);
        if (current !== undefined && current.pattern === config.schedule && current.timeZone === config.timeZone)
          continue;
        current?.cron?.stop();
        add(name, config.schedule, config.timeZone, configTask(config));
        if (current === undefined) added.push(name);
      }
      const first = !synced;
      if (started) synced = true;
      // A config added since the last sync is discovered now, not first at its schedule (a day
      // away by default): whoever added it expects its images within a minute. Claimed like a
      // firing, so with several nodes one runs it; execute logs a failure.
      if (started && !first) await Promise.all(added.map((name) => fire(name)));
    },

    entries() {
      return [...tasks.entries()].map(([name, entry]) => ({
        name,
        pattern: entry.pattern,
        timeZone: entry.timeZone,
        nextRun: (from?: Date) =>
          new Cron(entry.pattern, { timezone: entry.timeZone, paused: true }).nextRun(from ?? ctx.now()),
      }));
    },

    run: (name) => execute(name),
    fire,
  };
  return scheduler;
}
