import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openPostgres, preparedOnPostgres } from './postgres-database.ts';

const url = process.env.VIGIL_TEST_PG;

describe.skipIf(url === undefined)('PostgreSQL connections', () => {
  it('run registered texts as named statements, planned once per connection, and the rest unnamed', async () => {
    const db = openPostgres(url as string, { poolSize: 1 });
    try {
      const named = sql<{ n: number }>`select ${1}::int + 1 as n /* named */`.compile(db);
      const unnamed = sql<{ n: number }>`select ${2}::int + 1 as n /* unnamed */`.compile(db);
      preparedOnPostgres(named.sql);
      for (let i = 0; i < 3; i++) {
        expect((await db.executeQuery(named)).rows).toEqual([{ n: 2 }]);
        expect((await db.executeQuery(unnamed)).rows).toEqual([{ n: 3 }]);
      }
      const prepared = await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(db);
      expect(prepared.rows.map((r) => r.statement)).toEqual([named.sql]);
    } finally {
      await db.destroy();
    }
  });
});
