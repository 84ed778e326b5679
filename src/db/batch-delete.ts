import type { Knex } from 'knex';
import type { Db } from './knex.js';

/** Rows one sweep statement deletes: short statements, so a sweep never holds many locks for long. */
export const SWEEP_BATCH_SIZE = 5_000;

/**
 * Deletes the rows of `table` that `where` selects, SWEEP_BATCH_SIZE at a time, until none are
 * left; returns how many. For sweeps of tables that anonymous requests can fill quickly.
 */
export async function deleteInBatches(db: Db, table: string, where: (query: Knex.QueryBuilder) => void, batchSize = SWEEP_BATCH_SIZE): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await db(table).whereIn('ctid', db(table).select('ctid').where(where).limit(batchSize)).delete();
    total += deleted;
    if (deleted < batchSize) return total;
  }
}
