import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTransport, parseRetryAfter } from './transport.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, hit: number) => void;

let dir: string;
let server: Server | undefined;
let sleeps: number[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-transport-'));
  sleeps = [];
});
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** An HTTP server on 127.0.0.1 only, answering with `handler`; returns its base URL. */
async function serve(handler: Handler): Promise<string> {
  let hits = 0;
  const started = createServer((req, res) => handler(req, res, ++hits));
  server = started;
  await new Promise<void>((resolve) => started.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(started.address() as AddressInfo).port}`;
}

function transport(policy: Parameters<typeof createTransport>[0] = {}) {
  return createTransport(
    { retries: 2, backoffBaseMs: 100, timeoutMs: 5000, idleTimeoutMs: 5000, ...policy },
    {
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      random: () => 0.5,
      now: () => Date.parse('2026-01-01T00:00:00Z'),
    },
  );
}

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it.each<[string | null, number | undefined]>([
    ['7', 7000],
    ['0', 0],
    ['Thu, 01 Jan 2026 00:00:30 GMT', 30_000],
    ['Wed, 31 Dec 2025 23:00:00 GMT', 0],
    ['soon', undefined],
    ['-1', undefined],
    [null, undefined],
  ])('%s → %s ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});

describe('file:// transport', () => {
  it('opens and downloads a mirror file', async () => {
    const path = join(dir, 'all.zip');
    await writeFile(path, 'zip bytes');
    const url = pathToFileURL(path).href;
    expect(await text(await transport().open(url))).toBe('zip bytes');
    await transport().download(url, join(dir, 'copy.zip'));
    expect(await readFile(join(dir, 'copy.zip'), 'utf8')).toBe('zip bytes');
  });

  it('names the URL when the mirror file is missing', async () => {
    const url = pathToFileURL(join(dir, 'Debian', 'all.zip')).href;
    await expect(transport().download(url, join(dir, 'x'))).rejects.toMatchObject({
      code: 'VIGIL_SOURCE_UNREACHABLE',
      message: expect.stringContaining(url),
    });
  });

  it('refuses a file over the size bound', async () => {
    const path = join(dir, 'big.zip');
    await writeFile(path, Buffer.alloc(2048));
    await expect(transport({ maxBytes: 1024 }).open(pathToFileURL(path).href)).rejects.toMatchObject({
      code: 'VIGIL_SOURCE_INVALID',
    });
  });

  it.each(['ftp://example.org/all.zip', 'not a url'])('rejects %s as a usage error', async (url) => {
    await expect(transport().open(url)).rejects.toMatchObject({ code: 'VIGIL_USAGE' });
  });
});

describe('http transport', () => {
  it('downloads a body', async () => {
    const base = await serve((_req, res) => res.end('payload'));
    await transport().download(`${base}/npm/all.zip`, join(dir, 'a.zip'));
    expect(await readFile(join(dir, 'a.zip'), 'utf8')).toBe('payload');
    expect(sleeps).toEqual([]);
  });

  it('retries 500 with exponential backoff, then succeeds', async () => {
    const base = await serve((_req, res, hit) => (hit < 3 ? res.writeHead(500).end() : res.end('ok')));
    expect(await text(await transport().open(`${base}/x`))).toBe('ok');
    // base 100 ms doubled per attempt, jitter fixed at 0.75 of the ceiling
    expect(sleeps).toEqual([75, 150]);
  });

  it('honours Retry-After on 429', async () => {
    const base = await serve((_req, res, hit) =>
      hit === 1 ? res.writeHead(429, { 'retry-after': '7' }).end() : res.end('ok'),
    );
    expect(await text(await transport().open(`${base}/x`))).toBe('ok');
    expect(sleeps).toEqual([7000]);
  });

  it('caps Retry-After', async () => {
    const base = await serve((_req, res, hit) =>
      hit === 1 ? res.writeHead(503, { 'retry-after': '86400' }).end() : res.end('ok'),
    );
    await text(await transport({ maxRetryAfterMs: 2000 }).open(`${base}/x`));
    expect(sleeps).toEqual([2000]);
  });

  it('gives up after the last retry with the URL and status', async () => {
    let hits = 0;
    const base = await serve((_req, res) => {
      hits++;
      res.writeHead(502).end();
    });
    await expect(transport().open(`${base}/Go/all.zip`)).rejects.toMatchObject({
      code: 'VIGIL_SOURCE_UNREACHABLE',
      message: `${base}/Go/all.zip answered HTTP 502`,
    });
    expect(hits).toBe(3);
  });

  it('does not retry 404', async () => {
    let hits = 0;
    const base = await serve((_req, res) => {
      hits++;
      res.writeHead(404).end();
    });
    await expect(transport().open(`${base}/Nope/all.zip`)).rejects.toMatchObject({ code: 'VIGIL_SOURCE_UNREACHABLE' });
    expect(hits).toBe(1);
  });

  it('retries a body cut short, and fails with VIGIL_SOURCE_INVALID when it stays short', async () => {
    let hits = 0;
    const base = await serve((_req, res) => {
      hits++;
      res.writeHead(200, { 'content-length': '1000' });
      res.write('only part of it');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const destination = join(dir, 'cut.zip');
    await expect(transport().download(`${base}/npm/all.zip`, destination)).rejects.toMatchObject({
      code: 'VIGIL_SOURCE_INVALID',
      message: expect.stringContaining(`${base}/npm/all.zip`),
    });
    expect(hits).toBe(3);
    await expect(stat(destination)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses a body over the size bound, announced or not', async () => {
    const announced = await serve((_req, res) =>
      res.writeHead(200, { 'content-length': '5000' }).end('x'.repeat(5000)),
    );
    await expect(transport({ maxBytes: 100 }).open(`${announced}/a`)).rejects.toMatchObject({
      code: 'VIGIL_SOURCE_INVALID',
    });
    server?.closeAllConnections();
    server?.close();
    const chunked = await serve((_req, res) => {
      res.writeHead(200);
      res.end('y'.repeat(5000));
    });
    await expect(transport({ maxBytes: 100 }).download(`${chunked}/b`, join(dir, 'b.zip'))).rejects.toMatchObject({
      code: 'VIGIL_SOURCE_INVALID',
      message: expect.stringContaining('100-byte bound'),
    });
  });

  it('fails a stalled body after the idle timeout', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(200);
      res.write('a little');
    });
    await expect(
      transport({ idleTimeoutMs: 200, retries: 0 }).download(`${base}/slow`, join(dir, 's.zip')),
    ).rejects.toMatchObject({ code: 'VIGIL_SOURCE_UNREACHABLE', message: expect.stringContaining('stalled') });
  });

  it('reports a refused connection as unreachable', async () => {
    const base = await serve((_req, res) => res.end());
    server?.close();
    server = undefined;
    await expect(transport({ retries: 1 }).open(`${base}/x`)).rejects.toMatchObject({
      code: 'VIGIL_SOURCE_UNREACHABLE',
      message: expect.stringContaining('ECONNREFUSED'),
    });
  });
});
