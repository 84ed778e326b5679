import type { Db, Tx } from '../db/knex.js';
import type { GuessFactor } from './constants.js';

export interface GuessCounter {
  failures: number;
  lastFailureAt: Date | null;
}

/** Locks (creating if needed) the account's counter for this factor until the transaction ends. */
export async function lockGuessCounter(trx: Tx, userId: string, factor: GuessFactor): Promise<GuessCounter> {
  await trx('guess_counters').insert({ user_id: userId, factor }).onConflict(['user_id', 'factor']).ignore();
  const row = await trx('guess_counters').where({ user_id: userId, factor }).forUpdate().first('failures', 'last_failure_at');
  return { failures: row.failures, lastFailureAt: row.last_failure_at };
}

export async function findGuessCounter(db: Db | Tx, userId: string, factor: GuessFactor): Promise<GuessCounter> {
  const row = await db('guess_counters').where({ user_id: userId, factor }).first('failures', 'last_failure_at');
  return row ? { failures: row.failures, lastFailureAt: row.last_failure_at } : { failures: 0, lastFailureAt: null };
}

export async function recordFailedGuess(trx: Tx, userId: string, factor: GuessFactor, now: Date): Promise<void> {
  await trx('guess_counters').where({ user_id: userId, factor }).update({ failures: trx.raw('failures + 1'), last_failure_at: now });
}

export async function resetGuessCounter(db: Db | Tx, userId: string, factor: GuessFactor): Promise<void> {
  await db('guess_counters').where({ user_id: userId, factor }).update({ failures: 0, last_failure_at: null });
}
