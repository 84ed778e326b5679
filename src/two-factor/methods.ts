import type { Deps } from '../deps.js';
import type { Tx } from '../db/knex.js';
import { lockGuessCounter, resetGuessCounter } from '../backoff/queries.js';
import { replaceRecoveryCodes } from '../recovery-codes/codes.js';
import { tokenErrors } from '../tokens/errors.js';
import type { TokenKind } from '../tokens/constants.js';
import { hasTwoFactorEnabled } from './queries.js';
import { SECOND_FACTOR_LIST } from './registry.js';

/** The methods' guess counters, in registry order (the order every removal locks them in). */
const GUESS_FACTORS = SECOND_FACTOR_LIST.flatMap(([, method]) => (method.guessFactor ? [method.guessFactor] : []));

/**
 * The first-method rule, shared by every method. Call it in the enabling transaction
 * BEFORE marking the new method active: enabling the first method creates 10 recovery codes
 * and returns them; enabling another returns [] and keeps the existing codes.
 */
export async function recoveryCodesForNewMethod(trx: Tx, deps: Pick<Deps, 'config' | 'clock'>, userId: string): Promise<string[]> {
  // Two methods enabled at the same moment must not both see "2FA off": the user row is the
  // lock that orders them (taken last by every enabling and removing transaction: no lock cycle).
  await lockUserForMethodChange(trx, userId);
  if (await hasTwoFactorEnabled(trx, userId)) return [];
  return replaceRecoveryCodes(trx, deps, userId);
}

/**
 * Call in the removing transaction AFTER the method is gone: removing the last method turns
 * 2FA off, which deletes the recovery codes and clears the second-factor guess counters.
 */
export async function afterMethodRemoved(trx: Tx, userId: string): Promise<void> {
  // The same user-row lock the enabling side takes before its check: a method enabled or removed
  // at the same moment is seen, so 2FA never ends up off with codes kept, or on without codes.
  await lockUserForMethodChange(trx, userId);
  if (await hasTwoFactorEnabled(trx, userId)) return;
  // Counters before codes: a recovery-code guess locks its counter and then a code row, so taking
  // them in the same order here cannot deadlock with one.
  for (const factor of GUESS_FACTORS) await resetGuessCounter(trx, userId, factor);
  for (const [, method] of SECOND_FACTOR_LIST) await method.onTwoFactorOff?.(trx, userId);
}

/**
 * For "sudo, or access while 2FA is off" operations, inside their transaction: the token check
 * saw 2FA off before the transaction began, and a method enabled since must not let the access
 * token through. The user row FOR SHARE waits for an enabling transaction (which holds it FOR NO
 * KEY UPDATE) to commit, so the re-check sees it; call it after the operation's factor-row lock,
 * the order enabling takes them in (factor, then user row: no lock cycle).
 */
export async function recheckAccessWithout2fa(trx: Tx, caller: { userId: string; kind: TokenKind }): Promise<void> {
  if (caller.kind !== 'access') return;
  await trx('users').where({ id: caller.userId }).forShare().first('id');
  if (await hasTwoFactorEnabled(trx, caller.userId)) throw tokenErrors('SUDO_TOKEN_REQUIRED');
}

/** NO KEY UPDATE: orders method changes without blocking inserts that merely reference the user. */
async function lockUserForMethodChange(trx: Tx, userId: string): Promise<void> {
  await trx('users').where({ id: userId }).forNoKeyUpdate().first('id');
}

/**
 * First step of every method removal: lock the second-factor guess counters, in the order a
 * guess takes them (counter before factor and code rows). A removal then never waits on a guess
 * or an enable that waits on it, and two removals queue up.
 */
export async function lockForMethodRemoval(trx: Tx, userId: string): Promise<void> {
  for (const factor of GUESS_FACTORS) await lockGuessCounter(trx, userId, factor);
}
