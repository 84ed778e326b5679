import type { Deps } from '../deps.js';
import type { Tx } from '../db/knex.js';
import { resetGuessCounter } from '../backoff/guard.js';
import { safeEqual } from '../crypto/hash.js';
import { enqueueMail, prepareMail, type PreparedMail } from '../mail/index.js';
import { deleteCode } from '../one-time-codes/queries.js';
import { revokeAllRefreshTokens } from '../tokens/queries.js';
import { endUserSessions } from '../sessions/end.js';
import { recordSecurityEvent } from '../security-events/record.js';
import { passwordRuleViolation } from '../users/password-rule.js';
import { RESET_PURPOSE } from './constants.js';
import { passwordRuleError } from './errors.js';
import { deleteResetSecrets, updatePasswordHash } from './queries.js';

export type PasswordDeps = Pick<Deps, 'db' | 'clock' | 'config' | 'mail'>;

/** 400 naming the broken rule; checked before anything else so no code or guess is spent on it. */
export function assertPasswordRule(newPassword: string): void {
  const violation = passwordRuleViolation(newPassword);
  if (violation) throw passwordRuleError(violation);
}

/** The notice every password change sends to the account address; rendered before the change is written. */
export function prepareChangedNotice(deps: Pick<Deps, 'mail'>, to: string): PreparedMail {
  return prepareMail(deps, { kind: 'password_changed_notice', to, variables: {} });
}

/**
 * Everything a password change does, in the caller's transaction (both ways: reset code and old
 * password). The hash is computed by the caller before the transaction opens (argon2id, ~15 ms).
 * - the new hash, and `password_changed_at` = now: every JWT issued before is rejected
 * - every refresh token of the user revoked
 * - the password backoff reset, and any pending reset code and reset secrets dropped
 * - 2FA left as it was: the next login still asks for it
 * - the notice queued to the account address
 * Returns false when `expectedHash` no longer matches (a concurrent change won), or when
 * `resetSecret` (the secret this reset came with) is no longer there: roll back then.
 */
export async function applyPasswordChange(
  trx: Tx,
  deps: PasswordDeps,
  change: { userId: string; passwordHash: string; expectedHash?: string; notice: PreparedMail; resetSecret?: { secretHash: Buffer; targetEmail: string } },
): Promise<boolean> {
  const now = new Date(deps.clock.now());
  // Reset code, then reset secrets, then the user row: the order every reset takes them in (no deadlock).
  await deleteCode(trx, change.userId, RESET_PURPOSE);
  const secrets = await deleteResetSecrets(trx, change.userId);
  const wanted = change.resetSecret;
  if (wanted && !secrets.some((s) => safeEqual(s.secretHash, wanted.secretHash) && s.targetEmail === wanted.targetEmail && s.expiresAt > now)) return false;
  const updated = await updatePasswordHash(trx, { userId: change.userId, passwordHash: change.passwordHash, now, expectedHash: change.expectedHash });
  if (!updated) return false;
  await revokeAllRefreshTokens(trx, change.userId, now);
  await endUserSessions(trx, deps, { userId: change.userId, which: 'all', reason: 'password_changed' });
  // A change checks the old password (expectedHash); a reset proves the mailbox instead.
  await recordSecurityEvent(trx, deps, { userId: change.userId, type: change.expectedHash ? 'password_changed' : 'password_reset' });
  await resetGuessCounter(trx, change.userId, 'password');
  await enqueueMail(trx, deps, change.notice);
  return true;
}
