import { guardHashedGuess, refuseEarlyGuess } from '../backoff/guard.js';
import type { HashPermit } from '../crypto/hash-limiter.js';
import { hashPassword, verifyPassword } from '../crypto/password.js';
import { withTx } from '../db/tx.js';
import { tokenErrors } from '../tokens/errors.js';
import { findUserById } from '../users/queries.js';
import { passwordErrors } from './errors.js';
import { applyPasswordChange, assertPasswordRule, prepareChangedNotice, type PasswordDeps } from './service.js';

/**
 * PUT /user/password/old-password. The old password is one guess in the account's 'password'
 * backoff (the same counter as login): wrong → counted, 401; early → 429, neither evaluated
 * nor counted; no stored hash → 500, not counted. Both hashes (the old password's check, the
 * new one's hash) run through `hashing` with no connection or transaction held.
 */
export async function changePassword(deps: PasswordDeps, hashing: HashPermit, userId: string, oldPassword: string, newPassword: string): Promise<void> {
  assertPasswordRule(newPassword);
  const user = await findUserById(deps.db, userId);
  if (!user) throw tokenErrors('INVALID_TOKEN');
  const guess = { userId, factor: 'password' as const, tooMany: (retryAfter: number) => passwordErrors('TOO_MANY_FAILED_PASSWORD_CHECKS', { retryAfter }) };
  const oldHash = user.passwordHash;
  if (oldHash === null) {
    await refuseEarlyGuess(deps.db, deps.clock, guess);
    throw passwordErrors('NO_PASSWORD_INFO');
  }
  const passed = await guardHashedGuess(deps.db, deps, guess, () => hashing.run(() => verifyPassword(oldHash, oldPassword)));
  if (!passed) throw passwordErrors('PASSWORD_INCORRECT');

  const notice = prepareChangedNotice(deps, user.email);
  const passwordHash = await hashing.run(() => hashPassword(newPassword));
  await withTx(deps.db, async (trx) => {
    // Another change landed between the check and this write: it voided the token this request
    // came with. Throwing rolls this transaction back.
    if (!(await applyPasswordChange(trx, deps, { userId, passwordHash, expectedHash: oldHash, notice }))) throw tokenErrors('INVALID_TOKEN');
  });
}
