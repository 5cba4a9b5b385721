import { join } from 'node:path';
import { Command } from 'commander';
import { errorCatalog, VigilError } from '../core/errors.ts';
import type { VulnDbStatus } from '../core/osv.ts';
import {
  createTransport,
  importSources,
  nativeFeedNames,
  openVulnDb,
  parseDuration,
  resolveFeeds,
  type SourceUpdateResult,
  selectSources,
  staleSources,
  toUrl,
  type UpdateProgress,
  updateDatabase,
  type VulnSource,
} from '../vulndb/index.ts';
import { formatAge } from '../vulndb/status.ts';
import { defaultDataDir } from './paths.ts';

/** $VIGIL_DB, else `<data dir>/vuln.db`. */
export function defaultDbPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.VIGIL_DB || join(defaultDataDir(env), 'vuln.db');
}

const SKIP_LINES_PER_SOURCE = 5;

interface UpdateFlags {
  source?: string;
  ecosystem?: string;
  feeds?: string;
  db: string;
  quiet?: boolean;
  kev?: string;
  epss?: string;
  nvd?: string;
  debianTracker?: string;
  alpineSecdb?: string;
}

interface StatusFlags {
  db: string;
  json?: boolean;
  staleAfter: string;
}

export function dbCommand(): Command {
  const db = new Command('db').description('Download, import and inspect the vulnerability database');

  const update = new Command('update')
    .description('Update the database from osv.dev (or a mirror) and the enrichment feeds')
    .option('--source <url>', 'OSV bucket or a mirror with its layout: https://... or file:///dir')
    .option(
      '--ecosystem <list>',
      'OSV ecosystems, comma-separated (default: distros and language ecosystems; for a mirror: all it holds)',
    )
    .option(
      '--feeds <list>',
      `other feeds, comma-separated, "none" for none (${nativeFeedNames.join(', ')}; default: all without --source, ` +
        'else only those given a URL)',
    );
  for (const feed of nativeFeedNames) update.option(`--${feed} <url>`, `where to read ${feed} (its data or a mirror)`);
  update
    .option('--db <path>', 'database file ($VIGIL_DB)', defaultDbPath())
    .option('-q, --quiet', 'no progress display')
    .action(async (flags: UpdateFlags) => {
      const feedUrls = {
        ...(flags.debianTracker !== undefined ? { 'debian-tracker': flags.debianTracker } : {}),
        ...(flags.alpineSecdb !== undefined ? { 'alpine-secdb': flags.alpineSecdb } : {}),
        ...(flags.kev !== undefined ? { kev: flags.kev } : {}),
        ...(flags.epss !== undefined ? { epss: flags.epss } : {}),
        ...(flags.nvd !== undefined ? { nvd: flags.nvd } : {}),
      };
      // A mirror means "offline": no feed reaches the network unless it was given a URL.
      const feeds =
        flags.feeds !== undefined
          ? flags.feeds.trim() === 'none'
            ? []
            : resolveFeeds(splitList(flags.feeds))
          : flags.source === undefined
            ? nativeFeedNames
            : nativeFeedNames.filter((feed) => feed in feedUrls);
      const sources = selectSources({
        ...(flags.source !== undefined ? { osvBaseUrl: toUrl(flags.source) } : {}),
        ...(flags.ecosystem !== undefined ? { ecosystems: splitList(flags.ecosystem) } : {}),
        feeds,
        feedUrls,
      });
      await runUpdate(sources, flags.db, flags.quiet === true);
    });

  const importCommand = new Command('import')
    .description('Update the database from a mirror directory, a base URL or a single all.zip')
    .argument('<path-or-url>', 'a directory laid out like the osv.dev bucket, its URL, or one <Ecosystem>/all.zip')
    .option('--ecosystem <list>', 'OSV ecosystems, comma-separated (default: all the mirror holds)')
    .option('--db <path>', 'database file ($VIGIL_DB)', defaultDbPath())
    .option('-q, --quiet', 'no progress display')
    .action(async (target: string, flags: { ecosystem?: string; db: string; quiet?: boolean }) => {
      const ecosystems = flags.ecosystem !== undefined ? splitList(flags.ecosystem) : undefined;
      await runUpdate(importSources(target, ecosystems), flags.db, flags.quiet === true);
    });

  const status = new Command('status')
    .description('Show the sources in the database, their record counts and age; warn when stale')
    .option('--db <path>', 'database file ($VIGIL_DB)', defaultDbPath())
    .option('--json', 'print JSON')
    .option('--stale-after <duration>', 'call data older than this stale (e.g. 12h, 3d, 1w)', '3d')
    .action((flags: StatusFlags) => {
      const maxAgeMs = parseDuration(flags.staleAfter);
      const reader = openVulnDb(flags.db);
      let current: VulnDbStatus;
      try {
        current = reader.status();
      } finally {
        reader.close();
      }
      const now = new Date();
      const stale = staleSources(current, now, maxAgeMs);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ ...current, stale }, null, 2)}\n`);
      } else {
        process.stdout.write(renderStatus(current, now));
      }
      for (const source of stale) process.stderr.write(`vigil: warning: ${source.name} is stale: ${source.reason}\n`);
    });

  return db.addCommand(update).addCommand(importCommand).addCommand(status);
}

async function runUpdate(sources: VulnSource[], dbPath: string, quiet: boolean): Promise<void> {
  if (sources.length === 0) throw new VigilError('VIGIL_USAGE', 'nothing to update: no ecosystem and no feed selected');
  const progress = !quiet && process.stderr.isTTY ? new UpdateProgressLine(process.stderr) : undefined;
  const controller = new AbortController();
  const onSignal = (): void => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const result = await updateDatabase({
      dbPath,
      sources,
      transport: createTransport(),
      signal: controller.signal,
      ...(progress !== undefined ? { onProgress: progress.onProgress } : {}),
    });
    progress?.finish();
    for (const source of result.sources) {
      process.stdout.write(`${describeResult(source)}\n`);
      if (source.outcome === 'failed') {
        process.stderr.write(
          `vigil: ${source.name} failed, its previous data is kept and marked stale: ${source.error}\n`,
        );
      }
      for (const skipped of source.skippedEntries.slice(0, SKIP_LINES_PER_SOURCE)) {
        process.stderr.write(`vigil: ${source.name}: skipped ${skipped.where}: ${skipped.reason}\n`);
      }
      if (source.skipped > SKIP_LINES_PER_SOURCE) {
        process.stderr.write(`vigil: ${source.name}: ${source.skipped - SKIP_LINES_PER_SOURCE} more skipped\n`);
      }
    }
    const failed = result.sources.filter((source) => source.outcome === 'failed');
    process.stdout.write(
      `${result.dbPath} updated (${result.sources.length - failed.length}/${result.sources.length} sources)\n`,
    );
    // The DB was still swapped in (the other sources landed), but the run did not fully succeed.
    if (failed.length > 0) process.exitCode = errorCatalog.VIGIL_SOURCE_UNREACHABLE.exit;
  } finally {
    progress?.finish();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function describeResult(source: SourceUpdateResult): string {
  if (source.outcome === 'failed') return `${source.name}: FAILED (previous data kept, marked stale)`;
  const skipped = source.skipped > 0 ? `, ${source.skipped} skipped` : '';
  return `${source.name}: ${source.added} added, ${source.updated} updated, ${source.removed} removed, ${source.unchanged} unchanged${skipped}`;
}

export function renderStatus(status: VulnDbStatus, now: Date): string {
  const rows = status.sources.map((source) => [
    source.name,
    String(source.records),
    source.updatedAt === undefined ? 'never' : `${formatAge(now.getTime() - Date.parse(source.updatedAt))} ago`,
    source.stale ? `STALE: ${source.lastError ?? 'last update failed'}` : 'ok',
  ]);
  const header = ['SOURCE', 'RECORDS', 'UPDATED', 'STATE'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  const built = status.builtAt === undefined ? '' : `, built ${status.builtAt}`;
  return [`${status.path} (schema ${status.schemaVersion}${built})`, line(header), ...rows.map(line), ''].join('\n');
}

function splitList(list: string): string[] {
  return list
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** "osv:npm · 12,000 records" redrawn in place on a terminal. */
class UpdateProgressLine {
  readonly #stream: NodeJS.WriteStream;
  #drawn = false;

  constructor(stream: NodeJS.WriteStream) {
    this.#stream = stream;
  }

  readonly onProgress = (event: UpdateProgress): void => {
    if (event.type === 'source-start') this.#draw(`${event.source} · fetching`);
    else if (event.type === 'items') this.#draw(`${event.source} · ${event.items.toLocaleString('en')} records`);
  };

  finish(): void {
    if (this.#drawn) this.#stream.write('\r\u001b[2K');
    this.#drawn = false;
  }

  #draw(text: string): void {
    this.#stream.write(`\r\u001b[2K${text.slice(0, (this.#stream.columns || 80) - 1)}`);
    this.#drawn = true;
  }
}
