import type { TwoFaStatus } from '../../generated/types.gen.js';
import type { Db, Tx } from '../db/knex.js';
import type { Caller } from '../tokens/service.js';
import { tokenErrors } from '../tokens/errors.js';
import { findTwoFaOverview, type TwoFaOverviewRow } from './queries.js';

const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);

/**
 * The state of each method. A method with only a pending setup shows `completedAt: null`; a
 * method never set up or removed is `null`. Email OTP shows the enabled address, or the
 * pending one while it is only set up.
 */
export async function getTwoFaStatus(db: Db | Tx, userId: string): Promise<TwoFaStatus> {
  const row = await findTwoFaOverview(db, userId);
  if (!row) throw tokenErrors('INVALID_TOKEN');
  return toStatus(row);
}

/** GET /user/2fa: the token's user-row check (user exists, password unchanged) is part of the one query. */
export async function getTwoFaStatusForCaller(db: Db | Tx, caller: Caller): Promise<TwoFaStatus> {
  const row = await findTwoFaOverview(db, caller.userId, caller.passwordChangedAt);
  if (!row) throw tokenErrors('INVALID_TOKEN');
  return toStatus(row);
}

function toStatus(row: TwoFaOverviewRow): TwoFaStatus {
  const totpActive = row.totpCompletedAt !== null;
  const emailActive = row.emailCompletedAt !== null && row.email !== null;
  const emailAddress = emailActive ? row.email : row.pendingEmail;
  return {
    // As hasTwoFactorEnabled: an active factor; recovery codes alone do not turn 2FA on.
    enabled: totpActive || row.emailCompletedAt !== null,
    emailOtp: emailAddress ? { email: emailAddress, completedAt: emailActive ? iso(row.emailCompletedAt) : null } : null,
    totp: totpActive || row.totpPending ? { completedAt: totpActive ? iso(row.totpCompletedAt) : null } : null,
    recoveryCodes:
      row.recoveryCodesTotal > 0 && row.recoveryCodesCreatedAt
        ? { completedAt: row.recoveryCodesCreatedAt.toISOString(), remaining: row.recoveryCodesRemaining }
        : null,
  };
}
