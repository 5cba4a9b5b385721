import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { hashToken } from '../api/auth.ts';
import { openStore } from '../service/store/open-store.ts';
import { main } from './main.ts';

describe('vigil token create', () => {
  const dirs: string[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      stdout += String(chunk);
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      stderr += String(chunk);
      return true;
    });
    const code = await main(args);
    vi.restoreAllMocks();
    return { code, stdout, stderr };
  }

  it.each(['viewer', 'operator', 'admin'] as const)('prints a %s token once and stores only its hash', async (role) => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-token-'));
    dirs.push(dir);
    const url = `sqlite://${join(dir, 'vigil.db')}`;
    const { code, stdout, stderr } = await run(['token', 'create', '--role', role, '--name', 'ci', '--database', url]);
    expect(code).toBe(0);
    const token = stdout.trim();
    expect(token).toMatch(/^vgl_[A-Za-z0-9_-]{43}$/);
    expect(stderr).toContain(`created ${role} token "ci"`);
    expect(stderr).not.toContain(token);
    const store = await openStore(url);
    try {
      expect((await store.findApiTokenByHash(hashToken(token), new Date()))?.role).toBe(role);
    } finally {
      await store.close();
    }
  });

  it.each([
    [['token', 'create', '--role', 'root', '--name', 'x']],
    [['token', 'create', '--name', 'x']],
    [['token', 'create', '--role', 'viewer']],
  ])('refuses %j with exit 2', async (args) => {
    const { code, stdout } = await run(args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
  });
});
