/**
 * `vigil db import | update | status` end to end, as a user runs them, over file:// mirrors laid
 * out like the osv.dev bucket: output, stale warnings and exit codes (README: 2 usage, 5 database).
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const BIN = new URL('../src/cli/bin.ts', import.meta.url).pathname;
const fixtures = join(import.meta.dirname, '../src/vulndb/testdata/osv');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function vigil(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      const code = err ? Number((err as NodeJS.ErrnoException & { code?: unknown }).code ?? 1) : 0;
      resolve({ code: Number.isInteger(code) ? code : 1, stdout, stderr });
    });
  });
}

let dir: string;
let env: Record<string, string>;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-db-cli-'));
  env = { VIGIL_DATA_DIR: join(dir, 'data'), VIGIL_DB: '' };
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('vigil db', () => {
  it('imports a mirror directory into the default data dir and shows its status', async () => {
    const imported = await vigil(['db', 'import', fixtures], env);
    expect(imported).toMatchObject({ code: 0, stderr: '' });
    expect(imported.stdout).toContain('osv:npm: 62 added, 0 updated, 0 removed, 0 unchanged');
    expect(imported.stdout).toContain('osv:Ubuntu: 9 added');
    expect(imported.stdout).toContain(`${join(dir, 'data', 'vuln.db')} updated (2/2 sources)`);

    const status = await vigil(['db', 'status', '--json'], env);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      path: join(dir, 'data', 'vuln.db'),
      schemaVersion: 3,
      sources: [
        { name: 'osv:Ubuntu', records: 9, stale: false },
        { name: 'osv:npm', records: 62, stale: false },
      ],
      stale: [],
    });

    const again = await vigil(['db', 'update', '--source', pathToFileURL(fixtures).href, '--ecosystem', 'npm'], env);
    expect(again.stdout).toContain('osv:npm: 0 added, 0 updated, 0 removed, 62 unchanged');
  });

  it('imports a single all.zip under the name of its ecosystem folder', async () => {
    const result = await vigil(['db', 'import', join(fixtures, 'npm', 'all.zip'), '--db', join(dir, 'one.db')], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('osv:npm: 62 added');
  });

  it('keeps a failed ecosystem stale, lands the others and exits 5', async () => {
    const mirror = join(dir, 'mirror');
    await mkdir(join(mirror, 'npm'), { recursive: true });
    await copyFile(join(fixtures, 'npm', 'all.zip'), join(mirror, 'npm', 'all.zip'));
    const result = await vigil(['db', 'update', '--source', mirror, '--ecosystem', 'npm,PyPI'], env);
    expect(result.code).toBe(5);
    expect(result.stdout).toContain('osv:npm: 62 added');
    expect(result.stdout).toContain('osv:PyPI: FAILED');
    expect(result.stderr).toMatch(
      /^vigil: osv:PyPI failed, its previous data is kept and marked stale: cannot read file:\/\/.*PyPI\/all\.zip/m,
    );

    const status = await vigil(['db', 'status'], env);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/osv:PyPI\s+0\s+never\s+STALE/);
    expect(status.stderr).toMatch(/^vigil: warning: osv:PyPI is stale: last update failed/m);
  });

  it('warns about data older than --stale-after', async () => {
    await vigil(['db', 'import', fixtures], env);
    const status = await vigil(['db', 'status', '--stale-after', '0s'], env);
    expect(status.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^vigil: warning: osv:Ubuntu is stale: updated \d+ seconds ago$/),
      expect.stringMatching(/^vigil: warning: osv:npm is stale: updated \d+ seconds ago$/),
    ]);
  });

  it.each<[string, number, string[], RegExp]>([
    ['no DB yet', 5, ['db', 'status'], /no vulnerability database at .*; run `vigil db update`.* \(VIGIL_DB_MISSING\)/],
    [
      'an unknown ecosystem',
      2,
      ['db', 'update', '--ecosystem', 'Debain'],
      /unknown OSV ecosystem "Debain".*\(VIGIL_USAGE\)/,
    ],
    ['an unknown feed', 2, ['db', 'update', '--feeds', 'cve'], /unknown feed "cve".*\(VIGIL_USAGE\)/],
    ['a bad duration', 2, ['db', 'status', '--stale-after', 'soon'], /not a duration: "soon".*\(VIGIL_USAGE\)/],
    [
      'a missing mirror',
      5,
      ['db', 'import', '/nonexistent/mirror'],
      /mirror file:\/\/\/nonexistent\/mirror does not exist/,
    ],
  ])('fails on %s with one line and exit %i', async (_case, code, args, message) => {
    const result = await vigil(args, env);
    expect(result.code).toBe(code);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
  });
});
