/**
 * The minimal status page of `vigil serve` at `GET /`: one HTML document, no JavaScript, no
 * external resources. It names repositories and digests (which images are vulnerable, which are
 * overdue), so it needs a viewer token like the rest of the API; a browser passes it as `?token=`,
 * which the auth hook caps at viewer. Every value from the store or the vulnerability DB is escaped.
 */
import type { FastifyInstance } from 'fastify';
import { VERSION } from '../cli/version.ts';
import type { VulnDbStatus } from '../core/osv.ts';
import { severities } from '../core/types.ts';
import { scanWindowCutoff } from '../service/store/report-store.ts';
import type { FindingState, FindingSummary, Image, Scan, Store } from '../service/store/types.ts';
import { DEFAULT_STALE_AFTER_MS, formatAge, type StaleSource, staleSources } from '../vulndb/status.ts';
import { errorResponses } from './schemas.ts';

/** the vulnerability DB as the service holds it; `status()` is undefined when there is no DB file */
export interface StatusPageVulnDb {
  status(): VulnDbStatus | undefined;
  readonly staleAfterMs?: number;
}

export interface StatusPageDeps {
  readonly store: Store;
  readonly now: () => Date;
  /** absent: the API runs without a vulnerability DB (tests, API-only tools) and the page says so */
  readonly vulnDb?: StatusPageVulnDb;
  /** the scan-age window in days (FedRAMP's 30 by default) */
  readonly scanWindowDays?: number;
}

export interface StatusModel {
  readonly version: string;
  readonly dialect: Store['dialect'];
  readonly now: Date;
  /** undefined: no DB configured; null: configured but no file yet */
  readonly vulnDb: { readonly status: VulnDbStatus; readonly stale: readonly StaleSource[] } | null | undefined;
  readonly summary: FindingSummary;
  readonly lastScans: ReadonlyArray<{ readonly scan: Scan; readonly repositories: readonly string[] }>;
  readonly scanWindowDays: number;
  /** live images whose last scan (else push, else first seen) is older than the window, oldest first */
  readonly overdue: readonly Image[];
}

const LAST_SCANS = 10;
const OVERDUE_LISTED = 20;
const STATES: readonly FindingState[] = ['open', 'suppressed', 'resolved', 'archived'];

export async function loadStatus(deps: StatusPageDeps): Promise<StatusModel> {
  const now = deps.now();
  const scanWindowDays = deps.scanWindowDays ?? 30;
  const [summary, scans, overdue] = await Promise.all([
    deps.store.summary(),
    deps.store.listScans({ limit: LAST_SCANS }),
    deps.store.imagesNotScannedSince(scanWindowCutoff(now, scanWindowDays)),
  ]);
  const lastScans = await Promise.all(
    scans.map(async (scan) => ({
      scan,
      repositories: [...new Set((await deps.store.getImages(scan.digest)).map((image) => image.repository))],
    })),
  );
  let vulnDb: StatusModel['vulnDb'];
  if (deps.vulnDb !== undefined) {
    const status = deps.vulnDb.status();
    vulnDb =
      status === undefined
        ? null
        : { status, stale: staleSources(status, now, deps.vulnDb.staleAfterMs ?? DEFAULT_STALE_AFTER_MS) };
  }
  const scannedAt = (image: Image) => (image.lastScanned ?? image.pushedAt ?? image.firstSeen).getTime();
  return {
    version: VERSION,
    dialect: deps.store.dialect,
    now,
    vulnDb,
    summary,
    lastScans,
    scanWindowDays,
    overdue: [...overdue].sort((a, b) => scannedAt(a) - scannedAt(b)),
  };
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** text for HTML content and quoted attribute values */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c] as string);
}

const ago = (now: Date, at: Date | string | undefined): string => {
  if (at === undefined) return 'never';
  const time = typeof at === 'string' ? new Date(at) : at;
  return `${time.toISOString()} (${formatAge(now.getTime() - time.getTime())} ago)`;
};

const table = (head: readonly string[], rows: ReadonlyArray<readonly string[]>): string =>
  `<table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((row) => `<tr>${row.map((cell) => `<td>${cell}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;

function vulnDbSection(model: StatusModel): string {
  if (model.vulnDb === undefined) return '<p>No vulnerability database is configured for this API.</p>';
  if (model.vulnDb === null) {
    return '<p class="warn">No vulnerability database yet: run <code>vigil db update</code>. Nothing is matched until one exists.</p>';
  }
  const { status, stale } = model.vulnDb;
  const staleBy = new Map(stale.map((s) => [s.name, s.reason]));
  const warning =
    stale.length > 0
      ? `<p class="warn">Stale vulnerability data (${stale.length} of ${status.sources.length} sources): findings are not resolved until it is current.</p>`
      : status.sources.length === 0
        ? '<p class="warn">The vulnerability database holds no source.</p>'
        : '';
  const rows = status.sources.map((source) => [
    escapeHtml(source.name),
    escapeHtml(source.records.toLocaleString('en')),
    escapeHtml(ago(model.now, source.updatedAt)),
    staleBy.has(source.name) ? `<span class="warn">stale: ${escapeHtml(staleBy.get(source.name))}</span>` : 'current',
  ]);
  return `<p>Built ${escapeHtml(ago(model.now, status.builtAt))}.</p>${warning}${table(['source', 'records', 'updated', 'state'], rows)}`;
}

function findingsSection(summary: FindingSummary): string {
  const rows = STATES.map((state) => [
    escapeHtml(state),
    ...severities.map((severity) => escapeHtml((summary.counts[state]?.[severity] ?? 0).toLocaleString('en'))),
  ]);
  return table(['state', ...severities], rows);
}

function scansSection(model: StatusModel): string {
  if (model.lastScans.length === 0) return '<p>No scans yet.</p>';
  const rows = model.lastScans.map(({ scan, repositories }) => [
    escapeHtml(ago(model.now, scan.finishedAt ?? scan.startedAt ?? scan.queuedAt)),
    escapeHtml(repositories.join(', ') || '(unknown)'),
    `<code>${escapeHtml(scan.digest)}</code>`,
    escapeHtml(scan.status),
    escapeHtml(
      scan.error ??
        (scan.counts === undefined
          ? ''
          : severities
              .filter((s) => (scan.counts?.[s] ?? 0) > 0)
              .map((s) => `${s} ${scan.counts?.[s]}`)
              .join(', ') || 'no open findings'),
    ),
  ]);
  return table(['when', 'repository', 'digest', 'status', 'result'], rows);
}

function overdueSection(model: StatusModel): string {
  const count = model.overdue.length;
  if (count === 0) return `<p>Every live image was scanned within ${model.scanWindowDays} days.</p>`;
  const rows = model.overdue
    .slice(0, OVERDUE_LISTED)
    .map((image) => [
      escapeHtml(image.repository),
      `<code>${escapeHtml(image.digest)}</code>`,
      escapeHtml(ago(model.now, image.lastScanned)),
      escapeHtml(ago(model.now, image.pushedAt ?? image.firstSeen)),
    ]);
  const more = count > OVERDUE_LISTED ? `<p>… and ${escapeHtml(count - OVERDUE_LISTED)} more.</p>` : '';
  return `<p class="warn">${escapeHtml(count)} live image${count === 1 ? '' : 's'} not scanned within ${escapeHtml(model.scanWindowDays)} days (oldest first):</p>${table(['repository', 'digest', 'last scanned', 'pushed or first seen'], rows)}${more}`;
}

export function renderStatusPage(model: StatusModel): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Vigil status</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
td:not(:first-child) { font-variant-numeric: tabular-nums; }
.warn { color: #a40000; font-weight: 600; }
code { font-size: 12px; }
</style>
</head>
<body>
<h1>Vigil status</h1>
<p>Vigil ${escapeHtml(model.version)} · store: ${escapeHtml(model.dialect === 'postgres' ? 'PostgreSQL' : 'SQLite')} · ${escapeHtml(model.summary.images.toLocaleString('en'))} live images · ${escapeHtml(model.now.toISOString())}</p>
<h2>Vulnerability database</h2>
${vulnDbSection(model)}
<h2>Findings</h2>
${findingsSection(model.summary)}
<h2>Last scans</h2>
${scansSection(model)}
<h2>Scan age</h2>
${overdueSection(model)}
</body>
</html>
`;
}

/** Mounts `GET /` (viewer). */
export function statusPage(app: FastifyInstance, deps: StatusPageDeps): void {
  app.get(
    '/',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['operations'],
        description:
          'The status page (HTML, no JavaScript): version, store, vulnerability DB age and stale sources, ' +
          'findings by state and severity, the last scans, images outside the scan-age window. A browser ' +
          'passes a viewer token as ?token=.',
        response: { 200: { content: { 'text/html': { schema: { type: 'string' } } } }, ...errorResponses },
      },
    },
    async (_request, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer')
        .header('x-content-type-options', 'nosniff')
        // nothing but the inline style: no script, no frame, no outside request (the URL holds a token)
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
        .send(renderStatusPage(await loadStatus(deps))),
  );
}
