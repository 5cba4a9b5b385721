import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeDirectory } from './make-directory.ts';

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'vigil-mkdir-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

describe('makeDirectory', () => {
  it('makes a directory and its missing parents, and accepts one that exists', () => {
    const dir = join(work, 'a', 'b', 'c');
    makeDirectory(dir);
    expect(statSync(dir).isDirectory()).toBe(true);
    expect(() => makeDirectory(dir)).not.toThrow();
  });

  it('throws where a file is in the way, or is the path itself', () => {
    writeFileSync(join(work, 'file'), '');
    expect(() => makeDirectory(join(work, 'file', 'sub'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
    expect(() => makeDirectory(join(work, 'file'))).toThrow(expect.objectContaining({ code: 'EEXIST' }));
  });

  // mkdirSync(..., { recursive: true }) never returns here in Node 24
  it.skipIf(!existsSync('/proc/self'))('throws under /proc instead of looping', () => {
    expect(() => makeDirectory('/proc/vigil-no-such-dir/cache')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});
