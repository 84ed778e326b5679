import type { Db, Tx } from './knex.js';

/** Runs `work` in one transaction: everything it writes commits together or not at all. */
export function withTx<T>(db: Db, work: (trx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(work);
}

/** Runs `work` in the caller's transaction when it is one, else in a new one of its own. */
export function inTx<T>(db: Db | Tx, work: (trx: Tx) => Promise<T>): Promise<T> {
  return (db as Tx).isTransaction ? work(db as Tx) : db.transaction(work);
}
