import { describe, expect, it } from 'vitest';
import { normalizeEntryPath } from './entry-path.ts';

describe('normalizeEntryPath', () => {
  it.each([
    ['etc/passwd', 'etc/passwd'],
    ['./etc/passwd', 'etc/passwd'],
    ['/etc/passwd', 'etc/passwd'],
    ['//etc//passwd/', 'etc/passwd'],
    ['usr/./lib/../bin/sh', 'usr/bin/sh'],
    ['a/b/../../c', 'c'],
    ['.wh..wh..opq', '.wh..wh..opq'],
    ['..foo/bar', '..foo/bar'],
  ])('%j -> %j', (raw, expected) => {
    expect(normalizeEntryPath(raw)).toEqual({ ok: true, path: expected });
  });

  it.each(['./', '.', '/', 'a/..', './a/../'])('%j is the root itself', (raw) => {
    expect(normalizeEntryPath(raw)).toEqual({ ok: false, root: true });
  });

  it.each([
    ['', 'empty'],
    ['../etc/passwd', 'escapes'],
    ['/../etc/passwd', 'escapes'],
    ['a/../../etc', 'escapes'],
    ['etc/pa\0sswd', 'NUL'],
  ])('%j is rejected (%s)', (raw, reason) => {
    const result = normalizeEntryPath(raw);
    expect(result.ok).toBe(false);
    expect(result.ok === false && !result.root && result.reason).toContain(reason);
  });
});
