import { guardGuess } from '../backoff/guard.js';
import { hashPassword, verifyPassword } from '../crypto/password.js';
import { withTx } from '../db/tx.js';
import { tokenErrors } from '../tokens/errors.js';
import { findUserById } from '../users/queries.js';
import { passwordErrors } from './errors.js';
import { applyPasswordChange, assertPasswordRule, prepareChangedNotice, type PasswordDeps } from './service.js';

/**
 * PUT /user/password/old-password. The old password is one guess in the account's 'password'
 * backoff (the same counter as login): wrong → counted, 401; early → 429, neither evaluated
 * nor counted; no stored hash → 500, not counted.
 */
export async function changePassword(deps: PasswordDeps, userId: string, oldPassword: string, newPassword: string): Promise<void> {
  assertPasswordRule(newPassword);
  const user = await findUserById(deps.db, userId);
  if (!user) throw tokenErrors('INVALID_TOKEN');
  const oldHash = user.passwordHash;
  const passed = await guardGuess(
    deps.db,
    deps.clock,
    { userId, factor: 'password', tooMany: (retryAfter) => passwordErrors('TOO_MANY_FAILED_PASSWORD_CHECKS', { retryAfter }) },
    async () => {
      if (oldHash === null) throw passwordErrors('NO_PASSWORD_INFO');
      return (await verifyPassword(oldHash, oldPassword)) || undefined;
    },
  );
  if (!passed || oldHash === null) throw passwordErrors('PASSWORD_INCORRECT');

  const notice = prepareChangedNotice(deps, user.email);
  const passwordHash = await hashPassword(newPassword);
  await withTx(deps.db, async (trx) => {
    // Another change landed between the check and this write: it voided the token this request
    // came with. Throwing rolls this transaction back.
    if (!(await applyPasswordChange(trx, deps, { userId, passwordHash, expectedHash: oldHash, notice }))) throw tokenErrors('INVALID_TOKEN');
  });
}
