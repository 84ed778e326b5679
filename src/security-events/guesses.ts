import type { EventContext } from '../deps.js';
import type { Db, Tx } from '../db/knex.js';
import { FREE_FAILURES, type GuessFactor } from '../backoff/constants.js';
import { recordSecurityEvents, type SecurityEventInput } from './record.js';

/** The factors whose failed guesses the user sees: the password and the second factors. */
const EVENT_OF_FACTOR: Partial<Record<GuessFactor, 'login_failed' | 'second_factor_failed'>> = {
  password: 'login_failed',
  totp: 'second_factor_failed',
  recovery_code: 'second_factor_failed',
  'code:email_otp_challenge': 'second_factor_failed',
};

/**
 * Records a failed guess of an account's factor (with the failure being counted, in its
 * transaction) and, at the failure that starts the backoff, `backoff_engaged`: one statement either
 * way (an unknown login name's touchCounter mirrors it). Codes of setups, transfers and resets are
 * left out: a reset's failures must cost the same for unknown addresses.
 */
export async function recordFailedGuess(trx: Db | Tx, context: EventContext, guess: { userId: string; factor: GuessFactor; failuresBefore: number }): Promise<void> {
  const type = EVENT_OF_FACTOR[guess.factor];
  if (!type) return;
  const factor = guess.factor.replace(/^code:email_otp_challenge$/, 'emailOtp');
  const events: SecurityEventInput[] = [{ userId: guess.userId, type, detail: { factor } }];
  if (guess.failuresBefore + 1 === FREE_FAILURES) {
    events.push({ userId: guess.userId, type: 'backoff_engaged', detail: { factor, failures: FREE_FAILURES } });
  }
  await recordSecurityEvents(trx, context, events);
}
