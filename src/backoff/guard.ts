import type { Db, Tx } from '../db/knex.js';
import type { Clock, EventContext } from '../deps.js';
import { withTx } from '../db/tx.js';
import { recordFailedGuess } from '../security-events/guesses.js';
import { secondsUntil, type ApiError } from '../http/errors.js';
import { nextGuessAt, type GuessFactor } from './constants.js';
import { claimGuess, findCounter, touchCounter, lockCounter, lockCounterForCaller, recordFailure, resetCounter, resetGuessCounter, type CounterKey } from './queries.js';

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
  context: EventContext,
  options: GuessOptions<L>,
  evaluate: (trx: Tx, loaded: L) => Promise<T | undefined>,
): Promise<T | undefined> {
  return withTx(db, async (trx) => {
    const counter = await lockFor(trx, options);
    const loaded = (options.load ? await options.load(trx) : undefined) as L;
    const now = context.clock.now();
    const wait = secondsUntil(nextGuessAt(counter.failures, counter.lastFailureAt), now);
    if (wait > 0) throw options.tooMany(wait);
    const result = await evaluate(trx, loaded);
    if (result === undefined) {
      await recordFailure(trx, options, new Date(now));
      if ('userId' in options) await recordFailedGuess(trx, context, { ...options, failuresBefore: counter.failures });
    } else if (counter.failures > 0) await resetCounter(trx, options);
    return result;
  });
}

/**
 * A guess whose check is a password hash (login, change by old password). The hash must not run
 * while a pooled connection or a transaction is held for it (issue 9: one slow hash per pool
 * connection stalled every request), so unlike guardGuess there is no lock across `evaluate`:
 *
 * 1. claim: one guarded upsert (claimGuess) records the guess as a failure, provisionally, unless
 *    the counter is in its wait; then it is refused with 429 and never evaluated.
 * 2. evaluate: the hash, with no connection held.
 * 3. settle: a right guess resets the counter; a wrong one has already been counted.
 *
 * Edge cases, all deliberate:
 * - Concurrent guesses are each counted, since each claim increments atomically. A guess still
 *   hashing counts as a failure until it settles, so a claim made meanwhile may be refused even
 *   if that guess turns out right (stricter than the lock, never looser).
 * - A right guess racing wrong ones resets the counter when it settles, erasing failures claimed
 *   before that moment: the outcome of one serial order (the wrong guesses first), as with the
 *   lock. Its own claim counted too, but was reset with them.
 * - The wait runs from the claim, not from the end of the hash (a few ms earlier).
 * - A hash that throws, or a crash between claim and settle, leaves the failure counted: it fails
 *   closed, never open.
 * - Unknown login names run exactly the same statements on their own table (same answer, timing).
 * - Early refusals read the counter once more to say how long to wait (at least 1 s).
 */
export async function guardHashedGuess(db: Db, context: EventContext, options: GuessOptions, evaluate: () => Promise<boolean>): Promise<boolean> {
  const claimedAt = context.clock.now();
  return settleHashedGuess(db, context, options, { failures: await claimGuess(db, options, new Date(claimedAt)), at: claimedAt }, evaluate);
}

/**
 * guardHashedGuess after its claim, which the caller made in a statement of its own (the password
 * login claims in its account lookup): `claim.failures` as claimGuess returned it at `claim.at`.
 * With `resetOnPass: false` a right guess leaves the counter to the caller, which resets it in its
 * next statement (the login's session statement).
 */
export async function settleHashedGuess(
  db: Db,
  context: EventContext,
  options: GuessOptions,
  claim: { failures: number | undefined; at: number },
  evaluate: () => Promise<boolean>,
  { resetOnPass = true } = {},
): Promise<boolean> {
  const { failures } = claim;
  if (failures === undefined) {
    throw await refusedClaim(db, options, claim.at);
  }
  const passed = await evaluate();
  if (passed) {
    if (resetOnPass) await resetCounter(db, options);
  }
  // An account's failed guess is a security event: one insert statement (of two events at the
  // failure that starts the backoff). An unknown name has no account to record it for and makes
  // one write that changes nothing, so the two answers still cost the same
  // (test/tokens/login.timing.test.ts).
  else if ('userId' in options) await recordFailedGuess(db, context, { ...options, failuresBefore: failures - 1 });
  else await touchCounter(db, options);
  return passed;
}

/**
 * Counts a guess already found wrong against a read that held nothing (the TOTP login step): one
 * claim (claimGuess) and its event, each committing on its own. If the counter went into its wait
 * since that read (concurrent failures), nothing is counted and the guess gets the 429 it would
 * have got had it come a moment later.
 */
export async function countFailedGuess(db: Db, context: EventContext, options: GuessOptions & { userId: string; factor: GuessFactor }): Promise<void> {
  const now = context.clock.now();
  const failures = await claimGuess(db, options, new Date(now));
  if (failures === undefined) {
    throw await refusedClaim(db, options, now);
  }
  await recordFailedGuess(db, context, { ...options, failuresBefore: failures - 1 });
}

/**
 * The 429 for a guess whose claim (or re-check) the counter refused at `at`: the wait read once
 * more, at least 1 s (the wait may have ended in between; the guess was still refused).
 */
export async function refusedClaim(db: Db | Tx, options: GuessOptions, at: number): Promise<ApiError> {
  const counter = await findCounter(db, options);
  return options.tooMany(Math.max(1, secondsUntil(nextGuessAt(counter.failures, counter.lastFailureAt), at)));
}

/** The 429 for a guess that is early, without counting or evaluating it (e.g. an account with no password to check). */
export async function refuseEarlyGuess(db: Db, clock: Clock, options: GuessOptions): Promise<void> {
  const counter = await findCounter(db, options);
  const wait = secondsUntil(nextGuessAt(counter.failures, counter.lastFailureAt), clock.now());
  if (wait > 0) throw options.tooMany(wait);
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
