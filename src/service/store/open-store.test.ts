import { describe, expect, it } from 'vitest';
import { isVigilError } from '../../core/errors.ts';
import { openStore } from './open-store.ts';
import { isPostgresUrl } from './postgres-database.ts';
import { sqlitePath } from './sqlite-database.ts';

describe('database URLs', () => {
  it.each([
    ['sqlite:///var/lib/vigil/vigil.db', '/var/lib/vigil/vigil.db'],
    ['sqlite://data/vigil.db', 'data/vigil.db'],
    ['sqlite:vigil.db', 'vigil.db'],
    ['/var/lib/vigil/vigil.db', '/var/lib/vigil/vigil.db'],
    ['./vigil.db', './vigil.db'],
    ['sqlite:///tmp/with%20space.db', '/tmp/with space.db'],
    ['postgres://u@h/db', undefined],
    ['mysql://u@h/db', undefined],
  ])('%s is the SQLite file %s', (url, path) => {
    expect(sqlitePath(url)).toBe(path);
  });

  it.each([
    ['postgres://postgres@127.0.0.1:5432/test', true],
    ['postgresql://h/db', true],
    ['sqlite:///x.db', false],
    ['/x.db', false],
  ])('%s is PostgreSQL: %s', (url, expected) => {
    expect(isPostgresUrl(url)).toBe(expected);
  });

  it('refuses a URL for another database', async () => {
    const error = await openStore('mysql://u@h/db').catch((e) => e);
    expect(isVigilError(error, 'VIGIL_USAGE')).toBe(true);
  });
});
