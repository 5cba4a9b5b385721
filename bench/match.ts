/**
 * `npm run bench:match`: the vulnerability DB import and the matcher, with figures for
 * docs/benchmarks.md. Each phase runs in its own child process, with the CLI's V8 flags, so that
 * the peak RSS it prints (process.resourceUsage().maxRSS) is that phase's alone, as `vigil` has it.
 *
 * 1. import every all.zip of ../shared/vulndata/osv (real records): records/s, peak RSS;
 * 2. import a generated mirror (default 500,000 records over 10 ecosystems, shaped like osv.dev's
 *    records) at a fifth and at the whole of its size: RSS must stay flat as the data grows;
 * 3. match a generated 2,000-package inventory against the DB of phase 1 (cold and warm reader:
 *    warm is the same inventory again on the same reader, which remembers each package lookup's
 *    result, as a daily re-match of an unchanged image against an unchanged DB finds it).
 *
 * The real-set import and each match run --runs times (default 5), each in a fresh process, and
 * print the median with the range: on these shared VMs one run of the same code varies by up to
 * half from the next.
 *
 * Options: --records N (size of the generated set), --runs N, --keep DIR (leave the generated
 * files there).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { OsvRecord, VulnDbReader } from '../src/core/osv.ts';
import type { Inventory, Package } from '../src/core/types.ts';
import { openVulnDb } from '../src/vulndb/store-reader.ts';
import { ZipWriter } from '../src/vulndb/zip-writer.ts';
import { seeded } from './support/seeded.ts';

/**
 * The import phase is plain JavaScript run against the built library (`npm run bench:match` builds
 * it first), as `vigil db import` runs: a .ts entry makes every thread it starts load Node's
 * TypeScript stripper, which the CLI never loads and which adds tens of MB to each thread's RSS.
 * Arguments: dist dir, mirror dir, DB path, ecosystems (comma-separated, or empty for all). It is
 * CommonJS (no --input-type flag, which worker threads would inherit and refuse).
 */
const IMPORT_PHASE = `(async () => {
const [dist, dir, db, wanted] = process.argv.slice(1);
const { existsSync, readdirSync } = await import('node:fs');
const { join } = await import('node:path');
const { pathToFileURL } = await import('node:url');
const { osvSource, createTransport, updateDatabase } = await import(pathToFileURL(join(dist, 'index.js')).href);
const ecosystems = readdirSync(dir).filter(
  (e) => existsSync(join(dir, e, 'all.zip')) && (!wanted || wanted.split(',').includes(e)),
);
const started = performance.now();
const cpuBefore = process.cpuUsage();
const mainBefore = process.threadCpuUsage();
const result = await updateDatabase({
  dbPath: db,
  sources: ecosystems.map((ecosystem) => osvSource(ecosystem, pathToFileURL(dir).href)),
  transport: createTransport(),
});
let records = 0;
for (const source of result.sources) {
  if (source.outcome !== 'landed') throw new Error(source.name + ' failed: ' + source.error);
  records += source.added + source.updated + source.unchanged;
}
const seconds = (performance.now() - started) / 1000;
// CPU time does not depend on what else the machine runs; wall time does.
const cpu = process.cpuUsage(cpuBefore);
const main = process.threadCpuUsage(mainBefore);
const extra = { cpuSeconds: (cpu.user + cpu.system) / 1e6, mainThreadCpuSeconds: (main.user + main.system) / 1e6 };
console.log(JSON.stringify({ phase: 'import', records, seconds, maxRssMb: process.resourceUsage().maxRSS / 1024, extra }));
})();
`;
const DIST = join(import.meta.dirname, '..', 'dist', 'vulndb');
const SHARED_OSV = join(import.meta.dirname, '..', '..', 'shared', 'vulndata', 'osv');
const SYNTHETIC_ECOSYSTEMS = [
  'Debian',
  'Ubuntu',
  'Alpine',
  'AlmaLinux',
  'npm',
  'PyPI',
  'Go',
  'Maven',
  'crates.io',
  'RubyGems',
];
const INVENTORY_SIZE = 2000;

interface PhaseResult {
  readonly phase: string;
  readonly records: number;
  readonly seconds: number;
  readonly maxRssMb: number;
  readonly extra?: Record<string, unknown>;
}

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at === -1 ? undefined : args[at + 1];
};

async function main(): Promise<void> {
  if (!existsSync(SHARED_OSV)) {
    console.log(`bench:match: ${SHARED_OSV} is absent (the shared vulnerability mirror); nothing to measure.`);
    return;
  }
  const records = Number(option('--records') ?? 500_000);
  const runs = Math.max(1, Number(option('--runs') ?? 5));
  const keep = option('--keep');
  const work = keep ?? mkdtempSync(join(tmpdir(), 'vigil-bench-match-'));
  mkdirSync(work, { recursive: true });
  console.log(`machine: ${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`);
  try {
    const sharedDb = join(work, 'shared.db');
    const imports: PhaseResult[] = [];
    for (let run = 0; run < runs; run++) {
      rmSync(sharedDb, { force: true });
      imports.push(child('import', { '--dir': SHARED_OSV, '--db': sharedDb }));
    }
    reportRuns(imports, 'import ../shared/vulndata/osv');
    report(child('import', { '--dir': SHARED_OSV, '--db': sharedDb }), 're-import, unchanged (incremental)');

    const mirror = join(work, 'synthetic');
    const generated = child('generate', { '--dir': mirror, '--records': String(records) });
    console.log(`generated ${generated.records.toLocaleString('en')} records in ${generated.seconds.toFixed(1)} s`);
    for (const share of [5, 1]) {
      const db = join(work, `synthetic-${share}.db`);
      rmSync(db, { force: true });
      const ecosystems = SYNTHETIC_ECOSYSTEMS.slice(0, SYNTHETIC_ECOSYSTEMS.length / share).join(',');
      report(
        child('import', { '--dir': mirror, '--db': db, '--ecosystems': ecosystems }),
        `import synthetic 1/${share}`,
      );
      rmSync(db, { force: true });
    }

    // dense: 3 of 4 packages have advisories (a worst case); typical: 1 in 20 (an ordinary app image)
    for (const mix of ['dense', 'typical']) {
      const matches: MatchFigures[] = [];
      try {
        for (let run = 0; run < runs; run++) {
          const match = child('match', { '--db': sharedDb, '--mix': mix });
          matches.push({ ...(match.extra as Omit<MatchFigures, 'maxRssMb'>), maxRssMb: match.maxRssMb });
        }
      } catch (err) {
        console.log(`match: not available (${err instanceof Error ? err.message : String(err)})`);
        break;
      }
      const ms = (key: keyof MatchFigures) =>
        spread(
          matches.map((m) => m[key]),
          1,
        );
      const first = matches[0] as MatchFigures;
      console.log(
        `${mix} inventory, advisoriesFor x ${INVENTORY_SIZE} (the DB side alone): ${ms('lookupColdMs')} ms with ` +
          `a fresh reader, ${ms('lookupWarmMs')} ms warm; ${first.lookedUp} records`,
      );
      console.log(
        `${mix} inventory, matchInventory of ${INVENTORY_SIZE} packages: ${ms('coldMs')} ms with a fresh ` +
          `reader, ${ms('warmMs')} ms warm; ${first.findings} findings; peak RSS ${spread(
            matches.map((m) => m.maxRssMb),
            0,
          )} MB`,
      );
    }
  } finally {
    if (keep === undefined) rmSync(work, { recursive: true, force: true });
  }
}

/** the V8 flag the CLI runs with (src/cli/bin.ts), so that a phase's peak RSS is what a user sees */
const CLI_NODE_FLAGS = ['--max-semi-space-size=8'];

function child(name: string, flags: Record<string, string>): PhaseResult {
  const argv =
    name === 'import'
      ? [...CLI_NODE_FLAGS, '-e', IMPORT_PHASE, DIST, flags['--dir'] ?? '', flags['--db'] ?? '']
      : [...CLI_NODE_FLAGS, import.meta.filename, '--phase', name, ...Object.entries(flags).flat()];
  if (name === 'import') argv.push(flags['--ecosystems'] ?? '');
  const run = spawnSync(process.execPath, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (run.status !== 0) throw new Error(`phase ${name} exited ${run.status}`);
  return JSON.parse(run.stdout.trim().split('\n').pop() as string) as PhaseResult;
}

interface MatchFigures {
  readonly coldMs: number;
  readonly warmMs: number;
  readonly findings: number;
  readonly lookupColdMs: number;
  readonly lookupWarmMs: number;
  readonly lookedUp: number;
  readonly maxRssMb: number;
}

/** `median (min–max)` of runs, or the one value */
function spread(values: readonly number[], digits: number): string {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor((sorted.length - 1) / 2)] as number;
  const show = (n: number) => n.toFixed(digits);
  if (sorted.length === 1) return show(median);
  return `${show(median)} (${show(sorted[0] as number)}–${show(sorted.at(-1) as number)}, ${sorted.length} runs)`;
}

/** an import run several times: median and range of the rate, RSS and CPU */
function reportRuns(results: readonly PhaseResult[], label: string): void {
  const first = results[0] as PhaseResult;
  const cpu = (key: 'cpuSeconds' | 'mainThreadCpuSeconds') =>
    results.map((r) => (r.extra as Record<typeof key, number>)[key]);
  console.log(
    `${label}: ${first.records.toLocaleString('en')} records; ` +
      `${spread(
        results.map((r) => r.records / r.seconds),
        0,
      )} records/s; peak RSS ${spread(
        results.map((r) => r.maxRssMb),
        0,
      )} MB; CPU ${spread(cpu('cpuSeconds'), 2)} s (main thread ${spread(cpu('mainThreadCpuSeconds'), 2)} s)`,
  );
}

function report(result: PhaseResult, label: string): void {
  const rate = result.records / result.seconds;
  const { cpuSeconds, mainThreadCpuSeconds } = result.extra as { cpuSeconds: number; mainThreadCpuSeconds: number };
  console.log(
    `${label}: ${result.records.toLocaleString('en')} records in ${result.seconds.toFixed(2)} s = ` +
      `${Math.round(rate).toLocaleString('en')} records/s; peak RSS ${result.maxRssMb.toFixed(0)} MB; ` +
      `CPU ${cpuSeconds.toFixed(2)} s (main thread ${mainThreadCpuSeconds.toFixed(2)} s)`,
  );
}

async function runPhase(name: string, dir: string, db: string, records: number): Promise<PhaseResult> {
  const started = performance.now();
  let count = 0;
  let extra: Record<string, unknown> | undefined;
  if (name === 'generate') {
    count = await generateMirror(dir, records);
  } else if (name === 'match') {
    extra = await timeMatch(db, option('--mix') === 'typical' ? 0.05 : 0.75);
    count = INVENTORY_SIZE;
  } else {
    throw new Error(`unknown phase ${name}`);
  }
  return {
    phase: name,
    records: count,
    seconds: (performance.now() - started) / 1000,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    ...(extra !== undefined ? { extra } : {}),
  };
}

const PROSE =
  'A flaw was found in the request parser. An attacker able to send crafted input can cause excessive memory ' +
  'use or read past the end of a buffer, leading to a denial of service or disclosure of memory contents. ' +
  'Versions before the fixed release are affected; upgrading removes the vulnerable code path entirely. ';

/** Records shaped like osv.dev's: distro advisories list several binary packages, language ones one or two. */
function syntheticRecord(ecosystem: string, index: number, random: () => number): OsvRecord {
  const distro = ['Debian', 'Ubuntu', 'Alpine', 'AlmaLinux'].includes(ecosystem);
  const release = { Debian: ':12', Ubuntu: ':22.04:LTS', Alpine: ':v3.19', AlmaLinux: ':9' }[ecosystem] ?? '';
  const packages = distro ? 2 + Math.floor(random() * 10) : 1 + Math.floor(random() * 2);
  const cve = `CVE-${2015 + Math.floor(random() * 11)}-${10000 + index}`;
  const fixedMinor = Math.floor(random() * 40);
  return {
    schema_version: '1.6.0',
    id: `${ecosystem.toUpperCase().replace(/[^A-Z]/g, '')}-SYN-${index}`,
    modified: new Date(Date.UTC(2025, 0, 1) + Math.floor(random() * 3e10)).toISOString(),
    published: new Date(Date.UTC(2020, 0, 1) + Math.floor(random() * 1.5e11)).toISOString(),
    aliases: [cve],
    summary: `Synthetic advisory ${index} in ${ecosystem}`,
    details: PROSE.repeat(1 + Math.floor(random() * 4)),
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:H' }],
    affected: Array.from({ length: packages }, (_, p) => ({
      package: { ecosystem: `${ecosystem}${release}`, name: `pkg-${Math.floor(random() * 20_000)}${p ? `-${p}` : ''}` },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: `1.${fixedMinor}.${p}` }] }],
      database_specific: { source: `https://example.org/advisories/${index}.json` },
    })),
    references: [
      { type: 'ADVISORY', url: `https://nvd.nist.gov/vuln/detail/${cve}` },
      { type: 'WEB', url: `https://example.org/security/${index}` },
    ],
  };
}

async function generateMirror(dir: string, total: number): Promise<number> {
  const random = seeded(4);
  const perEcosystem = Math.ceil(total / SYNTHETIC_ECOSYSTEMS.length);
  let written = 0;
  for (const ecosystem of SYNTHETIC_ECOSYSTEMS) {
    mkdirSync(join(dir, ecosystem), { recursive: true });
    const zip = await ZipWriter.create(join(dir, ecosystem, 'all.zip'));
    for (let i = 0; i < perEcosystem && written < total; i++, written++) {
      const record = syntheticRecord(ecosystem, written, random);
      await zip.add(`${record.id}.json`, JSON.stringify(record, null, 2));
    }
    await zip.close();
  }
  return written;
}

/** Times the DB lookups alone, then the matcher, over a 2,000-package inventory. */
async function timeMatch(dbPath: string, hitShare: number): Promise<Record<string, unknown>> {
  const matcher = (await import('../src/match/index.ts').catch(() => undefined)) as
    | { matchInventory?: (inventory: Inventory, db: VulnDbReader) => { findings: unknown[] } }
    | undefined;
  if (typeof matcher?.matchInventory !== 'function') throw new Error('src/match/index.ts has no matchInventory');
  const { inventoryOf } = await import('../src/match/testing.ts');
  const packages = inventoryPackages(dbPath, hitShare);
  const inventory = inventoryOf(packages);
  // what the matcher reads: the stored advisories where the reader keeps them, else whole records
  const lookupReader = openVulnDb(dbPath);
  const lookup = (pkg: Package) =>
    lookupReader.advisoriesFor?.(pkg.ecosystem as string, pkg.name) ??
    lookupReader.recordsFor(pkg.ecosystem as string, pkg.name);
  let started = performance.now();
  let lookedUp = 0;
  for (const pkg of packages) lookedUp += lookup(pkg).length;
  const lookupColdMs = performance.now() - started;
  started = performance.now();
  for (const pkg of packages) lookup(pkg);
  const lookupWarmMs = performance.now() - started;
  lookupReader.close();
  const coldReader = openVulnDb(dbPath);
  started = performance.now();
  const cold = matcher.matchInventory(inventory, coldReader);
  const coldMs = performance.now() - started;
  started = performance.now();
  matcher.matchInventory(inventory, coldReader);
  const warmMs = performance.now() - started;
  coldReader.close();
  return { coldMs, warmMs, findings: cold.findings.length, lookupColdMs, lookupWarmMs, lookedUp };
}

/** `hitShare` of the packages are named by some advisory (in steps of 1/20); the rest by none. */
function inventoryPackages(dbPath: string, hitShare: number): Package[] {
  const ecosystems = ['npm', 'PyPI', 'Go', 'crates.io'];
  const random = seeded(7);
  const packages: Package[] = [];
  // Names come from the DB's own index, so most packages have advisories to evaluate.
  const db = new Database(dbPath, { readonly: true });
  const names = new Map<string, string[]>(
    ecosystems.map((e) => [
      e,
      db.prepare('SELECT DISTINCT name FROM affected WHERE base = ? LIMIT 2000').pluck().all(e) as string[],
    ]),
  );
  db.close();
  const purlType: Record<string, string> = { npm: 'npm', PyPI: 'pypi', Go: 'golang', 'crates.io': 'cargo' };
  for (let i = 0; i < INVENTORY_SIZE; i++) {
    const ecosystem = ecosystems[i % ecosystems.length] as string;
    const pool = names.get(ecosystem) ?? [];
    const hit = pool.length > 0 && i % 20 < Math.round(hitShare * 20);
    const name = hit ? (pool[Math.floor(random() * pool.length)] as string) : `no-advisory-package-${i}`;
    const version =
      ecosystem === 'Go'
        ? `v0.${Math.floor(random() * 20)}.0`
        : `${Math.floor(random() * 5)}.${Math.floor(random() * 20)}.0`;
    packages.push({
      type: purlType[ecosystem] as Package['type'],
      ecosystem,
      name,
      version,
      purl: `pkg:${purlType[ecosystem]}/${name}@${version}`,
      locations: [`app/${i}`],
      layerDiffId: 'sha256:0',
      layerIndex: 0,
    } as Package);
  }
  return packages;
}

const phase = option('--phase');
if (phase !== undefined) {
  const result = await runPhase(phase, option('--dir') ?? '', option('--db') ?? '', Number(option('--records') ?? 0));
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  await main();
}
