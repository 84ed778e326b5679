import type { Db, Tx } from './knex.js';

/** Runs `work` in one transaction: everything it writes commits together or not at all. */
export function withTx<T>(db: Db, work: (trx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(work);
}
