import type { Db, Tx } from '../db/knex.js';
import type { Clock } from '../deps.js';
import { withTx } from '../db/tx.js';
import { recordFailedGuess } from '../security-events/guesses.js';
import { secondsUntil, type ApiError } from '../http/errors.js';
import { nextGuessAt, type GuessFactor } from './constants.js';
import { findCounter, lockCounter, recordFailure, resetCounter, resetGuessCounter, type CounterKey } from './queries.js';

export type GuessOptions = CounterKey & {
  /** The 429 to throw for an early guess, given the wait in whole seconds. */
  tooMany: (retryAfter: number) => ApiError;
};

/**
 * Runs one guess under the account's counter lock, so concurrent guesses are serialised and
 * each is counted. An early guess is refused before `evaluate` runs. `evaluate` returns a value
 * on success (the counter resets, its writes commit with it) or undefined on failure (the
 * failure is committed, and undefined is returned so the caller can throw its own error).
 */
export async function guardGuess<T>(db: Db, clock: Clock, options: GuessOptions, evaluate: (trx: Tx) => Promise<T | undefined>): Promise<T | undefined> {
  return withTx(db, async (trx) => {
    const counter = await lockCounter(trx, options);
    const now = clock.now();
    const wait = secondsUntil(nextGuessAt(counter.failures, counter.lastFailureAt), now);
    if (wait > 0) throw options.tooMany(wait);
    const result = await evaluate(trx);
    if (result === undefined) {
      await recordFailure(trx, options, new Date(now));
      if ('userId' in options) await recordFailedGuess(trx, clock, { ...options, failuresBefore: counter.failures });
    } else if (counter.failures > 0) await resetCounter(trx, options);
    return result;
  });
}

/** Seconds until this account may guess this factor again (0 = now). */
export async function guessWaitSeconds(db: Db | Tx, clock: Clock, userId: string, factor: GuessFactor): Promise<number> {
  const counter = await findCounter(db, { userId, factor });
  return secondsUntil(nextGuessAt(counter.failures, counter.lastFailureAt), clock.now());
}

export { resetGuessCounter };
