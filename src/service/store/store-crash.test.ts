import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { aFinding, dialects, digestOf, type TestDatabase } from './testing.ts';
import type { Store, StoredFinding, StoreEvent } from './types.ts';

const worker = fileURLToPath(new URL('./crash-worker.ts', import.meta.url));

/**
 * Runs the worker until it has committed `rounds` times, then kills it with SIGKILL `delayMs` later:
 * the delays spread the kill over the next transaction's reads, updates and event inserts.
 */
function runAndKill(db: TestDatabase, digest: string, rounds: number, delayMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const args = [worker, db.url, digest, ...(db.schema === undefined ? [] : [db.schema])];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let committed = 0;
    let lastCount = 0;
    let stderr = '';
    let buffered = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        lastCount = Number(line.replace('committed ', ''));
        committed++;
      }
      // the worker is already inside its next transaction when this line arrives
      if (committed === rounds) setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    child.on('exit', (_code, signal) => {
      if (signal === 'SIGKILL') resolve(lastCount);
      else reject(new Error(`worker ended before it was killed: ${stderr}`));
    });
  });
}

async function allEvents(store: Store): Promise<StoreEvent[]> {
  const out: StoreEvent[] = [];
  for (;;) {
    const page = await store.listEvents({ afterId: out.at(-1)?.id ?? 0, limit: 1000 });
    if (page.length === 0) return out;
    out.push(...page);
  }
}

/** Every finding's events must agree with its state: each committed transition left exactly one event. */
async function expectEventsMatchStates(store: Store, digest: string): Promise<void> {
  const findings: StoredFinding[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.findingsPage({ digest }, cursor, 500);
    findings.push(...page.findings);
    cursor = page.next;
  } while (cursor !== undefined);
  const events = await allEvents(store);
  const balance = new Map<string, number>();
  for (const e of events) {
    const id = String(e.payload.vulnerabilityId);
    balance.set(id, (balance.get(id) ?? 0) + (e.type === 'finding.new' ? 1 : -1));
  }
  expect(new Set(findings.map((f) => f.vulnerabilityId)).size).toBe(findings.length);
  for (const f of findings) {
    expect(balance.get(f.vulnerabilityId), f.vulnerabilityId).toBe(f.state === 'open' ? 1 : 0);
  }
}

describe.each(dialects)('a store process killed with SIGKILL mid-write on $name', (dialect) => {
  describe.skipIf(dialect.skipReason !== undefined)(dialect.skipReason ?? 'crash', () => {
    let db: TestDatabase;
    afterEach(async () => db.cleanup());

    const kills = [
      { rounds: 1, delayMs: 0 },
      { rounds: 2, delayMs: 5 },
      { rounds: 3, delayMs: 15 },
      { rounds: 4, delayMs: 30 },
    ];

    it.each(kills)(
      'loses nothing committed and half-writes nothing (killed $delayMs ms after commit $rounds)',
      async ({ rounds, delayMs }) => {
        db = await dialect.open();
        const digest = digestOf(1);
        const registry = await db.store.createRegistry({ name: 'r', url: 'https://r.test', kind: 'oci' }, new Date());
        await db.store.upsertImage({ registryId: registry.id, repository: 'app', digest }, new Date());

        const committedEvents = await runAndKill(db, digest, rounds, delayMs);
        const after = await db.reopen();
        const events = await allEvents(after);
        expect(events.length).toBeGreaterThanOrEqual(committedEvents);
        await expectEventsMatchStates(after, digest);

        // the survivor carries on where the killed process stopped
        const finding = aFinding('CVE-2026-00000', 'pkg0', 'HIGH');
        await after.applyMatchResult(digest, [finding], { complete: true, now: new Date(Date.UTC(2027, 0, 1)) });
        await expectEventsMatchStates(after, digest);
        const open = (await after.findingsPage({ digest, state: 'open' }, undefined, 500)).findings;
        expect(open.map((f) => f.vulnerabilityId)).toEqual(['CVE-2026-00000']);
      },
    );
  });
});
