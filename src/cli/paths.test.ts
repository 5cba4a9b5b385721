import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const BIN = new URL('./bin.ts', import.meta.url).pathname;
let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'vigil-paths-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

describe('the CLI compile cache', () => {
  const run = (env: Record<string, string>) =>
    promisify(execFile)(process.execPath, [BIN, '--version'], { env: { ...process.env, ...env } });

  it("is kept under the cache dir, and Node's own settings win", async () => {
    await run({ VIGIL_CACHE_DIR: join(work, 'cache') });
    expect(readdirSync(join(work, 'cache', 'node-compile-cache')).length).toBeGreaterThan(0);
    await run({ VIGIL_CACHE_DIR: join(work, 'off'), NODE_DISABLE_COMPILE_CACHE: '1' });
    expect(existsSync(join(work, 'off'))).toBe(false);
    await run({ VIGIL_CACHE_DIR: join(work, 'theirs'), NODE_COMPILE_CACHE: join(work, 'node') });
    expect(existsSync(join(work, 'theirs'))).toBe(false);
  });

  it('is skipped, not waited for, when the cache dir cannot be made', async () => {
    writeFileSync(join(work, 'file'), '');
    const { stdout } = await run({ VIGIL_CACHE_DIR: join(work, 'file', 'cache') });
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
