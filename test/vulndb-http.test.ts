/**
 * The update path over HTTP, as against osv.dev's bucket: a server on 127.0.0.1 serves the npm
 * fixture zip at `/<Ecosystem>/all.zip`; a flaky answer (503 with Retry-After) is retried, and a
 * body cut short leaves the previous data in place with the source marked stale.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createTransport, openVulnDb, osvSource, updateDatabase } from '../src/vulndb/index.ts';

const zip = readFileSync(join(import.meta.dirname, '../src/vulndb/testdata/osv/npm/all.zip'));

let dir: string;
let server: Server;
let base: string;
let mode: 'ok' | 'flaky' | 'truncated';
let requests: string[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-vulndb-http-'));
  requests = [];
  let hits = 0;
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    hits++;
    if (req.url !== '/npm/all.zip') return res.writeHead(404).end();
    if (mode === 'flaky' && hits === 1) return res.writeHead(503, { 'retry-after': '0' }).end();
    if (mode === 'truncated') {
      res.writeHead(200, { 'content-length': String(zip.length) });
      res.write(zip.subarray(0, zip.length / 2));
      setTimeout(() => res.socket?.destroy(), 10);
      return;
    }
    res.writeHead(200, { 'content-length': String(zip.length) }).end(zip);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

const transport = createTransport({ retries: 2, backoffBaseMs: 1 }, { sleep: async () => {} });

it('downloads an ecosystem zip from a bucket-like server, retrying a 503', async () => {
  mode = 'flaky';
  const dbPath = join(dir, 'vuln.db');
  const result = await updateDatabase({ dbPath, transport, sources: [osvSource('npm', base)] });
  expect(result.sources[0]).toMatchObject({ name: 'osv:npm', outcome: 'landed', added: 62 });
  expect(requests).toEqual(['GET /npm/all.zip', 'GET /npm/all.zip']);
  const reader = openVulnDb(dbPath);
  expect(reader.recordsFor('npm', 'lodash').length).toBeGreaterThan(0);
  reader.close();
});

it('keeps the previous data and marks the source stale when every download is cut short', async () => {
  const dbPath = join(dir, 'vuln.db');
  mode = 'ok';
  await updateDatabase({ dbPath, transport, sources: [osvSource('npm', base)] });
  mode = 'truncated';
  const result = await updateDatabase({ dbPath, transport, sources: [osvSource('npm', base)] });
  expect(result.sources[0]).toMatchObject({
    outcome: 'failed',
    error: expect.stringMatching(/npm\/all\.zip was cut short.*VIGIL_SOURCE_INVALID/),
  });
  expect(requests.length).toBe(1 + 3);
  const reader = openVulnDb(dbPath);
  expect(reader.recordsFor('npm', 'lodash').length).toBeGreaterThan(0);
  expect(reader.status().sources).toEqual([
    expect.objectContaining({
      name: 'osv:npm',
      records: 62,
      stale: true,
      lastError: expect.stringContaining('cut short'),
    }),
  ]);
  reader.close();
});
