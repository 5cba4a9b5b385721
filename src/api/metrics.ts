import type { FastifyInstance } from 'fastify';
import { severities } from '../core/types.ts';
import type { FindingSummary } from '../service/store/types.ts';

/**
 * Prometheus text exposition format 0.0.4, written by hand: two request series and a few gauges
 * do not justify prom-client. Buckets follow the Prometheus client default spread, in seconds.
 */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

interface Series {
  readonly labels: string;
  count: number;
  sum: number;
  readonly buckets: number[];
}

/** one series as counted so far: what threads hand each other to render one /metrics */
export type SeriesSnapshot = Readonly<Series>;

/** label values escaped per the exposition format: backslash, double quote and newline */
const escapeLabel = (value: string): string => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

const labelText = (labels: Record<string, string>): string =>
  Object.entries(labels)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(',');

export class RequestMetrics {
  readonly #series = new Map<string, Series>();
  /** the same series by method, route and status as given: escaping labels per request cost 7 µs */
  readonly #observed = new Map<string, Series>();

  observe(method: string, route: string, status: number, seconds: number): void {
    const key = `${method}\0${route}\0${status}`;
    let series = this.#observed.get(key);
    if (series === undefined) {
      const labels = labelText({ method, route, status: String(status) });
      series = this.#series.get(labels);
      if (series === undefined) {
        series = { labels, count: 0, sum: 0, buckets: BUCKETS.map(() => 0) };
        this.#series.set(labels, series);
      }
      this.#observed.set(key, series);
    }
    series.count += 1;
    series.sum += seconds;
    const buckets = series.buckets;
    for (let i = 0; i < BUCKETS.length; i++) {
      if (seconds <= (BUCKETS[i] as number)) buckets[i] = (buckets[i] as number) + 1;
    }
  }

  /** a copy of every series */
  snapshot(): SeriesSnapshot[] {
    return [...this.#series.values()].map((s) => ({ ...s, buckets: [...s.buckets] }));
  }

  /** adds another thread's counts to these */
  add(series: readonly SeriesSnapshot[]): void {
    for (const s of series) {
      const mine = this.#series.get(s.labels);
      if (mine === undefined) {
        this.#series.set(s.labels, { ...s, buckets: [...s.buckets] });
        continue;
      }
      mine.count += s.count;
      mine.sum += s.sum;
      s.buckets.forEach((n, i) => {
        mine.buckets[i] = (mine.buckets[i] as number) + n;
      });
    }
  }

  render(summary: FindingSummary): string {
    const lines: string[] = [];
    const all = [...this.#series.values()].sort((a, b) => (a.labels < b.labels ? -1 : 1));
    lines.push('# HELP vigil_http_requests_total HTTP requests answered, by route template and status.');
    lines.push('# TYPE vigil_http_requests_total counter');
    for (const s of all) lines.push(`vigil_http_requests_total{${s.labels}} ${s.count}`);
    lines.push('# HELP vigil_http_request_duration_seconds Time to answer an HTTP request.');
    lines.push('# TYPE vigil_http_request_duration_seconds histogram');
    for (const s of all) {
      BUCKETS.forEach((le, i) => {
        lines.push(`vigil_http_request_duration_seconds_bucket{${s.labels},le="${le}"} ${s.buckets[i]}`);
      });
      lines.push(`vigil_http_request_duration_seconds_bucket{${s.labels},le="+Inf"} ${s.count}`);
      lines.push(`vigil_http_request_duration_seconds_sum{${s.labels}} ${s.sum}`);
      lines.push(`vigil_http_request_duration_seconds_count{${s.labels}} ${s.count}`);
    }
    lines.push('# HELP vigil_findings Findings in the store, by state and severity.');
    lines.push('# TYPE vigil_findings gauge');
    for (const [state, counts] of Object.entries(summary.counts)) {
      for (const severity of severities) {
        lines.push(`vigil_findings{${labelText({ state, severity })}} ${counts[severity]}`);
      }
    }
    lines.push('# HELP vigil_images Images under watch (not archived).');
    lines.push('# TYPE vigil_images gauge');
    lines.push(`vigil_images ${summary.images}`);
    return `${lines.join('\n')}\n`;
  }
}

/** Counts every answered request under its route template (never the raw URL: unbounded labels). */
export function installRequestMetrics(app: FastifyInstance, metrics: RequestMetrics): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    // our own access line: the default one logs the raw URL, which may carry ?token=
    request.log.info(
      { method: request.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
  });
}
