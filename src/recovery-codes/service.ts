import type { Deps } from '../deps.js';
import type { Tx } from '../db/knex.js';
import { withTx } from '../db/tx.js';
import { recordAndNotify } from '../security-events/notices.js';
import { safeEqual } from '../crypto/hash.js';
import { guardGuess, guessWaitSeconds } from '../backoff/guard.js';
import { issueSessionTokens, tokenCheckOf, type Caller } from '../tokens/service.js';
import { hasTwoFactorEnabled } from '../two-factor/queries.js';
import { hashRecoveryCode, replaceRecoveryCodes } from './codes.js';
import { recoveryCodeErrors } from './errors.js';
import { consumeRecoveryCode, findRecoveryCodes, summarizeRecoveryCodes } from './queries.js';

type RecoveryDeps = Pick<Deps, 'db' | 'clock' | 'config' | 'keys' | 'mail' | 'log'>;

const tooManyChecks = (retryAfter: number) => recoveryCodeErrors('TOO_MANY_RECOVERY_CODE_CHECKS', { retryAfter });

/**
 * Codes are issued upper-case; input is upper-cased first, so a code typed in lower case is
 * accepted (the alphabet has no look-alikes for case to matter).
 */
export function normalizeRecoveryCode(input: string): string {
  return input.toUpperCase();
}

/**
 * Uses one recovery code: compared in constant time against every unused code (no early exit),
 * then consumed by a guarded UPDATE, and the three tokens are issued in the same transaction.
 * Round trips, 9 in all: BEGIN; the counter lock with the token's user-row check (one upsert;
 * verifyRecoveryCodes is in USER_ROW_CHECKED_IN_OPERATION); the codes (read once: "none at all"
 * is the 409); the consuming UPDATE; for the owner's notice the address and the codes left, and
 * the `recovery_code_used` event; the session statement (issueSessionTokens: the user row FOR
 * SHARE, the session with its refresh token, the sign-in's event); COMMIT.
 */
export async function authenticateRecoveryCode(deps: RecoveryDeps, caller: Caller, input: string) {
  const { userId } = caller;
  const code = normalizeRecoveryCode(input);
  const loadCodes = async (trx: Tx) => {
    const stored = await findRecoveryCodes(trx, userId);
    if (stored.length === 0) throw recoveryCodeErrors('RECOVERY_CODES_UNINITIALIZED');
    return stored.filter((row) => !row.used);
  };
  const guess = { userId, factor: 'recovery_code' as const, tooMany: tooManyChecks, load: loadCodes, caller: tokenCheckOf(caller) };
  const tokens = await guardGuess(deps.db, deps, guess, async (trx, unused) => {
    let matchId: string | undefined;
    for (const stored of unused) {
      if (safeEqual(hashRecoveryCode(deps, stored.salt, code), stored.codeHash)) matchId ??= stored.id;
    }
    if (!matchId || !(await consumeRecoveryCode(trx, matchId, new Date(deps.clock.now())))) return undefined;
    const { remaining } = await summarizeRecoveryCodes(trx, userId);
    await recordAndNotify(trx, deps, { userId, type: 'recovery_code_used', detail: { remaining } });
    return issueSessionTokens(trx, deps, caller, 'recoveryCode');
  });
  if (!tokens) throw recoveryCodeErrors('RECOVERY_CODE_INVALID');
  return tokens;
}

/** Replaces all recovery codes with 10 new ones; only while 2FA is on. */
export async function resetRecoveryCodes(deps: RecoveryDeps, userId: string): Promise<string[]> {
  return withTx(deps.db, async (trx) => {
    if (!(await hasTwoFactorEnabled(trx, userId))) throw recoveryCodeErrors('2FA_IS_DISABLED');
    await recordAndNotify(trx, deps, { userId, type: 'recovery_codes_reset' });
    return replaceRecoveryCodes(trx, deps, userId);
  });
}

/** Seconds until the next recovery code guess is evaluated; 409 while the user has no codes at all. */
export async function recoveryCodeWaitSeconds(deps: RecoveryDeps, userId: string): Promise<number> {
  if ((await summarizeRecoveryCodes(deps.db, userId)).total === 0) throw recoveryCodeErrors('RECOVERY_CODES_UNINITIALIZED');
  return guessWaitSeconds(deps.db, deps.clock, userId, 'recovery_code');
}
