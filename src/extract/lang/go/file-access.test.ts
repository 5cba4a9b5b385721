import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bufferAccess, isExecutableCandidate, withFile } from './file-access.ts';

describe('positional reads', () => {
  it.each([
    [0, 4, 'abcd'],
    [6, 10, 'gh'], // past the end: fewer bytes
    [8, 4, ''],
    [-1, 4, ''],
    [2, 0, ''],
  ])('read(%d, %d) = %j, from a file and from a buffer alike', async (offset, length, want) => {
    const scratch = await mkdtemp(join(tmpdir(), 'vigil-file-access-'));
    try {
      await writeFile(join(scratch, 'f'), 'abcdefgh');
      const fromFile = await withFile(join(scratch, 'f'), async (file) => {
        expect(file.size).toBe(8);
        return file.read(offset, length);
      });
      expect(fromFile.toString()).toBe(want);
      expect((await bufferAccess(Buffer.from('abcdefgh')).read(offset, length)).toString()).toBe(want);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
});

describe('isExecutableCandidate', () => {
  const MiB = 1024 * 1024;
  it.each([
    ['usr/local/bin/app', 8 * MiB, 0o100755, true],
    ['app', 8 * MiB, 0o755, true], // tar modes may carry no file-type bits
    ['usr/bin/app', 8 * MiB, 0o100744, true],
    ['usr/bin/app', 8 * MiB, 0o100644, false],
    ['usr/bin/app', 8 * MiB, 0, false], // mode unknown
    ['usr/bin/app', 8 * MiB, 0o120777, false], // symlink
    ['usr/bin/app', 100, 0o100755, false], // too small for a compiled program
    ['usr/bin/app', 600 * MiB, 0o100755, false],
    ['usr/share/app/run', 8 * MiB, 0o100755, false],
    ['etc/init.d/app', 8 * MiB, 0o100755, false],
    ['opt/app/start.sh', 8 * MiB, 0o100755, false],
    ['usr/lib/x86_64-linux-gnu/libc.so.6', 8 * MiB, 0o100755, false],
    ['opt/tool.py', 8 * MiB, 0o100755, false],
  ])('%s size %d mode %o → %s', (path, size, mode, want) => {
    expect(isExecutableCandidate(path, size, mode)).toBe(want);
  });
});
