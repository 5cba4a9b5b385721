import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openVulnDb } from './store-reader.ts';
import { inlineSource, osvRecord } from './testing.ts';
import { createTransport } from './transport.ts';
import { updateDatabase } from './update.ts';

const here = dirname(fileURLToPath(import.meta.url));

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-crash-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A child process that updates `dbPath` from an endless source and says when it is mid-write. */
const CHILD = (dbPath: string) => `
import { updateDatabase } from ${JSON.stringify(join(here, 'update.ts'))};
import { osvRecord } from ${JSON.stringify(join(here, 'testing.ts'))};
import { createTransport } from ${JSON.stringify(join(here, 'transport.ts'))};
const endless = {
  name: 'osv:npm',
  async *fetch() {
    for (let i = 0; ; i++) {
      yield { kind: 'osv', record: osvRecord('GHSA-new-' + i, { name: 'a' }) };
      if (i === 2000) process.stdout.write('mid-update\\n');
      if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  },
};
await updateDatabase({ dbPath: ${JSON.stringify(dbPath)}, sources: [endless], transport: createTransport() });
`;

it('a process killed mid-update leaves the old DB whole, and the next update cleans up after it', async () => {
  const dbPath = join(dir, 'vuln.db');
  const transport = createTransport();
  await updateDatabase({
    dbPath,
    transport,
    sources: [inlineSource('osv:npm', [{ kind: 'osv', record: osvRecord('GHSA-old', { name: 'a' }) }])],
  });
  const script = join(dir, 'child.ts');
  await writeFile(script, CHILD(dbPath));
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('mid-update')) resolve();
    });
    child.on('exit', () => reject(new Error(`child exited before the update was under way: ${stderr}`)));
  });
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');

  // the child's half-built file is still there, beside the untouched old DB
  expect((await readdir(dir)).some((name) => name.endsWith('.new'))).toBe(true);
  const reader = openVulnDb(dbPath);
  expect(reader.recordsFor('npm', 'a').map((r) => r.id)).toEqual(['GHSA-old']);
  expect(reader.status().sources).toMatchObject([{ name: 'osv:npm', records: 1, stale: false }]);
  reader.close();

  await updateDatabase({ dbPath, transport, sources: [] });
  expect((await readdir(dir)).sort()).toEqual(['child.ts', 'vuln.db']);
});
