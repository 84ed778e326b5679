import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../src/db/knex.js';
import { disablePreparedStatements, namesStatements, preparedStatement, runPrepared } from '../../src/db/prepared.js';
import { createTestDatabase } from '../support/database.js';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

const EMAIL_OF = preparedStatement('test_email_of', 'select email, ?::int as n from users where id = ?');
const PREPARED_HERE = preparedStatement('test_prepared_here', 'select count(*)::int as n from pg_prepared_statements where name = ?');

async function withPool<T>(size: number, use: (db: Db) => Promise<T>): Promise<T> {
  const db = createDb(database.url, size);
  try {
    return await use(db);
  } finally {
    await db.destroy();
  }
}

describe('prepared reads', () => {
  it('answers like the plain query, prepared once on the connection and reused', async () => {
    const [user] = await database.db('users').insert({ email: 'prepared@example.com', password_hash: null, password_changed_at: new Date(), created_at: new Date() }).returning('id');
    await withPool(1, async (db) => {
      expect(await runPrepared(db, EMAIL_OF, [7, user.id])).toEqual([{ email: 'prepared@example.com', n: 7 }]);
      expect(await runPrepared(db, EMAIL_OF, [8, user.id])).toEqual([{ email: 'prepared@example.com', n: 8 }]);
      // The one pooled connection holds the named statement.
      expect(EMAIL_OF.name).toMatch(/^test_email_of_[0-9a-f]{12}$/);
      expect(await runPrepared(db, PREPARED_HERE, [EMAIL_OF.name])).toEqual([{ n: 1 }]);
      expect(namesStatements(db)).toBe(true);
    });
  });

  it("inside a transaction it runs on the transaction's connection and sees its uncommitted rows", async () => {
    const trx = await database.db.transaction();
    try {
      const [user] = await trx('users').insert({ email: 'uncommitted@example.com', password_hash: null, password_changed_at: new Date(), created_at: new Date() }).returning('id');
      expect(await runPrepared(trx, EMAIL_OF, [1, user.id])).toEqual([{ email: 'uncommitted@example.com', n: 1 }]);
    } finally {
      await trx.rollback();
    }
  });

  it('a pool told not to name statements (PgBouncer in transaction mode) runs them plainly', async () => {
    await withPool(1, async (db) => {
      disablePreparedStatements(db);
      expect(await runPrepared(db, PREPARED_HERE, [PREPARED_HERE.name])).toEqual([{ n: 0 }]);
      expect(namesStatements(db)).toBe(false);
    });
  });

  it('a connection that lost its statements (a pooler switched it) answers plainly, and the pool stops naming them', async () => {
    await withPool(1, async (db) => {
      expect(await runPrepared(db, PREPARED_HERE, [PREPARED_HERE.name])).toEqual([{ n: 1 }]);
      // What a transaction-mode pooler does: the next statement lands on a server connection that never saw the name.
      await db.raw('deallocate all');
      expect(await runPrepared(db, PREPARED_HERE, [PREPARED_HERE.name])).toEqual([{ n: 0 }]);
      expect(namesStatements(db)).toBe(false);
    });
  });
});
