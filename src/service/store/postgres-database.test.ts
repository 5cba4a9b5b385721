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

  it('answer queries without a callback through a promise, and reject a failing one with the server error', async () => {
    const db = openPostgres(url as string, { poolSize: 1 });
    try {
      const rows = await sql<{ n: number }>`select generate_series(1, ${3}::int) as n`.execute(db);
      expect(rows.rows).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
      const failing = sql`select * from vigil_no_such_table`.execute(db);
      await expect(failing).rejects.toMatchObject({ code: '42P01', message: expect.stringMatching(/does not exist/) });
      // the connection is usable after the error
      expect((await sql<{ n: number }>`select ${5}::int as n`.execute(db)).rows).toEqual([{ n: 5 }]);
    } finally {
      await db.destroy();
    }
  });
});
