import type { Db, Tx } from '../db/knex.js';
import type { Clock } from '../deps.js';
import { withTx } from '../db/tx.js';
import { secondsUntil, type ApiError } from '../http/errors.js';
import { nextGuessAt, type GuessFactor } from './constants.js';
import { findCounter, lockCounter, lockCounterForCaller, recordFailure, resetCounter, resetGuessCounter, type CounterKey } from './queries.js';

export type GuessOptions<L = undefined> = CounterKey & {
  /** The 429 to throw for an early guess, given the wait in whole seconds. */
  tooMany: (retryAfter: number) => ApiError;
  /**
   * Reads what the guess is checked against (a factor, the codes), under the counter lock but
   * before the backoff check: it may throw its own answer (a 409 for a factor not set up), which
   * then comes before any 429, and its result goes to `evaluate` (read once, in the transaction).
   */
  load?: (trx: Tx) => Promise<L>;
  /**
   * The guesser's token, when the operation checks its user row here (see UserRowCheck): the
   * counter lock also checks it, and `invalid` is thrown, before anything is counted, if the
   * user is gone or changed the password.
   */
  caller?: { passwordChangedAt: number; invalid: () => ApiError };
};

/**
 * Runs one guess under the account's counter lock, so concurrent guesses are serialised and
 * each is counted. An early guess is refused before `evaluate` runs. `evaluate` returns a value
 * on success (the counter resets, its writes commit with it) or undefined on failure (the
 * failure is committed, and undefined is returned so the caller can throw its own error).
 */
export async function guardGuess<T, L = undefined>(
  db: Db,
  clock: Clock,
  options: GuessOptions<L>,
  evaluate: (trx: Tx, loaded: L) => Promise<T | undefined>,
): Promise<T | undefined> {
  return withTx(db, async (trx) => {
    const counter = await lockFor(trx, options);
    const loaded = (options.load ? await options.load(trx) : undefined) as L;
    const now = clock.now();
    const wait = secondsUntil(nextGuessAt(counter.failures, counter.lastFailureAt), now);
    if (wait > 0) throw options.tooMany(wait);
    const result = await evaluate(trx, loaded);
    if (result === undefined) await recordFailure(trx, options, new Date(now));
    else if (counter.failures > 0) await resetCounter(trx, options);
    return result;
  });
}

async function lockFor<L>(trx: Tx, options: GuessOptions<L>) {
  if (!options.caller) return lockCounter(trx, options);
  if (!('userId' in options)) throw new Error('a caller check needs an account counter');
  const counter = await lockCounterForCaller(trx, options, options.caller.passwordChangedAt);
  if (!counter) throw options.caller.invalid();
  return counter;
}

/** Seconds until this account may guess this factor again (0 = now). */
export async function guessWaitSeconds(db: Db | Tx, clock: Clock, userId: string, factor: GuessFactor): Promise<number> {
  const counter = await findCounter(db, { userId, factor });
  return secondsUntil(nextGuessAt(counter.failures, counter.lastFailureAt), clock.now());
}

export { resetGuessCounter };
