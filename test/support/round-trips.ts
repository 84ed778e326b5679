import type { Db } from '../../src/db/knex.js';

/**
 * The SQL statements (round trips) `work` sends through `db`, BEGIN and COMMIT included, in
 * order. Only meaningful while nothing else uses the pool (tests of one file run one at a time);
 * the mail worker's polls, which may fall into the window, are left out.
 */
export async function statementsDuring(db: Db, work: () => Promise<unknown>): Promise<string[]> {
  const statements: string[] = [];
  const onQuery = (query: { sql: string }) => {
    if (!query.sql.includes('mail_outbox')) statements.push(query.sql);
  };
  db.on('query', onQuery);
  try {
    await work();
  } finally {
    db.off('query', onQuery);
  }
  return statements;
}
