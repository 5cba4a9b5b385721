/**
 * Child process for the kill -9 test (store-crash.test.ts): re-applies two alternating match results
 * for one image in a loop, printing the running event count after every commit, until killed.
 * Usage: node crash-worker.ts <database URL> <digest> [PostgreSQL schema]
 */
import { openStore } from './open-store.ts';
import { aFinding } from './testing.ts';

const [url, digest, schema] = process.argv.slice(2);
if (url === undefined || digest === undefined) throw new Error('usage: crash-worker.ts <url> <digest> [schema]');

// two overlapping sets of 1,000: each switch resolves 500, reopens 500 and touches 500, which keeps
// every transaction long enough that a kill lands inside one
const finding = (i: number) => aFinding(`CVE-2026-${String(i).padStart(5, '0')}`, `pkg${i}`, 'HIGH');
const sets = [0, 500].map((start) => Array.from({ length: 1000 }, (_, i) => finding(start + i)));

const store = await openStore(url, schema === undefined ? {} : { schema });
let events = 0;
for (let round = 0; ; round++) {
  const applied = await store.applyMatchResult(digest, sets[round % 2] ?? [], {
    complete: true,
    now: new Date(Date.UTC(2026, 10, 1) + round * 1000),
  });
  events += applied.length;
  process.stdout.write(`committed ${events}\n`);
}
