import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isVigilError } from '../core/errors.ts';
import { schemeList } from './api.ts';
import { compare, getScheme, isValid, schemes } from './index.ts';

describe('scheme registry', () => {
  it('lists exactly the scheme folders, each under its own id', () => {
    const folders = readdirSync(import.meta.dirname, { withFileTypes: true })
      .filter((d) => d.isDirectory() && d.name !== 'testdata')
      .map((d) => d.name)
      .sort();
    expect(schemeList.map((s) => s.id).sort()).toEqual(folders);
    expect([...schemes.keys()].sort()).toEqual(folders);
  });

  it('has the ids the issue asks for', () => {
    expect([...schemes.keys()].sort()).toEqual(
      [
        'deb',
        'rpm',
        'apk',
        'semver',
        'go',
        'pep440',
        'maven',
        'rubygems',
        'nuget',
        'composer',
        'pub',
        'hackage',
        'cran',
      ].sort(),
    );
  });

  it.each([...schemes.keys()])('getScheme(%s) returns the registered object', (id) => {
    expect(getScheme(id).id).toBe(id);
  });

  it.each(['', 'npm', 'DEB', 'deb ', '__proto__', 'constructor'])(
    'unknown scheme %j throws VIGIL_SCHEME_UNKNOWN',
    (id) => {
      expect(() => getScheme(id)).toThrow(expect.objectContaining({ code: 'VIGIL_SCHEME_UNKNOWN' }));
      expect(() => compare(id, '1', '2')).toThrow(expect.objectContaining({ code: 'VIGIL_SCHEME_UNKNOWN' }));
      expect(() => isValid(id, '1')).toThrow(expect.objectContaining({ code: 'VIGIL_SCHEME_UNKNOWN' }));
    },
  );

  it('compare() delegates to the scheme', () => {
    expect(compare('deb', '1.0~rc1', '1.0')).toBe(-1);
    expect(compare('semver', '1.0.0-rc.1', '1.0.0')).toBe(-1);
    expect(compare('pep440', '1.0rc1', '1.0')).toBe(-1);
    // the same strings order differently per scheme: that is why the scheme is an argument
    expect(compare('maven', '1.0-1', '1.0')).toBe(1);
    expect(compare('semver', '1.0.0-1', '1.0.0')).toBe(-1);
  });

  it('an invalid version throws VIGIL_VERSION_INVALID naming scheme and version', () => {
    let caught: unknown;
    try {
      compare('hackage', '1.0', '1.0-beta');
    } catch (err) {
      caught = err;
    }
    expect(isVigilError(caught, 'VIGIL_VERSION_INVALID')).toBe(true);
    expect((caught as { context: unknown }).context).toMatchObject({ scheme: 'hackage', version: '1.0-beta' });
    expect((caught as Error).message).toContain('hackage');
    expect((caught as Error).message).toContain('1.0-beta');
  });
});
