import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { inputFromFixture } from '../../testing.ts';
import { rpmExtractor } from './index.ts';

/**
 * Differential check against rpm itself: Debian's python3-rpm (rpm 4.18) reads BerkeleyDB through
 * its read-only bdb_ro backend and SQLite natively. Debian builds rpm without ndb, so the NDB fixture
 * is checked against go-rpmdb's expectations only (rpm.fixtures.test.ts).
 */
const PYTHON = '/usr/bin/python3';
const LISTING = `
import json, rpm, sys
rpm.addMacro('_dbpath', sys.argv[1])
rpm.addMacro('_db_backend', sys.argv[2])
out = []
for h in rpm.TransactionSet().dbMatch():
    s = lambda t: h[t] if isinstance(h[t], str) or h[t] is None else h[t].decode()
    out.append({'name': s('name'), 'epoch': h['epoch'], 'version': s('version'), 'release': s('release'),
                'arch': s('arch'), 'sourcerpm': s('sourcerpm'), 'license': s('license'), 'vendor': s('vendor'),
                'modularitylabel': s('modularitylabel'), 'files': [f if isinstance(f, str) else f.decode() for f in h['filenames']]})
print(json.dumps(out))
`;

const probe = spawnSync(PYTHON, ['-c', 'import rpm'], { encoding: 'utf8' });
const rpmAvailable = probe.status === 0;
const skipReason = rpmAvailable
  ? ''
  : ' (skipped: /usr/bin/python3 with the rpm module, Debian python3-rpm, is absent)';

interface RpmListing {
  name: string;
  epoch: number | null;
  version: string;
  release: string;
  arch: string | null;
  sourcerpm: string | null;
  license: string | null;
  vendor: string | null;
  modularitylabel: string | null;
  files: string[];
}

const scratch = mkdtempSync(join(tmpdir(), 'vigil-rpm-diff-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** rpm may create lock or -shm files beside a database it opens, so it reads a copy. */
function rpmListing(fixture: string, dbDir: string, backend: string): RpmListing[] {
  const copy = join(scratch, fixture);
  cpSync(fileURLToPath(new URL(`testdata/${fixture}/${dbDir}`, import.meta.url)), copy, { recursive: true });
  const run = spawnSync(PYTHON, ['-c', LISTING, copy, backend], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`python3-rpm failed: ${run.stderr}`);
  return (JSON.parse(run.stdout) as RpmListing[]).filter((p) => p.name !== 'gpg-pubkey');
}

describe.skipIf(!rpmAvailable)(`os/rpm agrees with rpm 4.18${skipReason}`, () => {
  it.each([
    ['libuuid', 'var/lib/rpm', 'Packages', 'bdb_ro'],
    ['packages-epoch', 'var/lib/rpm', 'Packages', 'bdb_ro'],
    ['cbl-mariner-2.0', 'var/lib/rpm', 'rpmdb.sqlite', 'sqlite'],
  ])('%s (%s/%s, rpm backend %s)', async (fixture, dbDir, file, backend) => {
    const expected = rpmListing(fixture, dbDir, backend);
    const root = fileURLToPath(new URL(`testdata/${fixture}`, import.meta.url));
    const result = await rpmExtractor.extract(await inputFromFixture(root, `${dbDir}/${file}`));
    expect(result.warnings).toEqual([]);
    expect(expected.length).toBeGreaterThan(0);
    const ours = result.packages.map((p) => ({
      name: p.name,
      epoch: p.epoch ?? null,
      version: p.version.replace(/^\d+:/, '').slice(0, -(p.release!.length + 1)),
      release: p.release,
      arch: p.arch ?? null,
      sourcerpm: p.sourceName === undefined ? null : `${p.sourceName}-${p.sourceVersion}.src.rpm`,
      license: p.licenses?.[0] ?? null,
      vendor: p.maintainer ?? null,
      modularitylabel: p.modularityLabel ?? null,
      files: (p.files ?? []).map((f) => `/${f}`),
    }));
    const byName = (a: { name: string; arch: string | null }, b: { name: string; arch: string | null }) =>
      `${a.name}.${a.arch}`.localeCompare(`${b.name}.${b.arch}`);
    expect(ours.sort(byName)).toEqual(expected.sort(byName));
  });
});
