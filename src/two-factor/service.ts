import type { TwoFaStatus } from '../../generated/types.gen.js';
import type { Db, Tx } from '../db/knex.js';
import type { Caller } from '../tokens/service.js';
import { tokenErrors } from '../tokens/errors.js';
import { findTwoFaOverview, type TwoFaOverviewRow } from './queries.js';
import { SECOND_FACTOR_LIST } from './registry.js';

/**
 * The state of each method, as each method of the registry describes it. A method with only a
 * pending setup shows `completedAt: null`; a method never set up or removed is `null`.
 */
export async function getTwoFaStatus(db: Db | Tx, userId: string): Promise<TwoFaStatus> {
  const row = await findTwoFaOverview(db, userId);
  if (!row) throw tokenErrors('INVALID_TOKEN');
  return toStatus(row);
}

/**
 * GET /user/2fa: the token's online check (user exists, not disabled, password unchanged, session
 * live) is part of the one query.
 */
export async function getTwoFaStatusForCaller(db: Db | Tx, caller: Caller, now: Date): Promise<TwoFaStatus> {
  const row = await findTwoFaOverview(db, caller.userId, { passwordChangedAt: caller.passwordChangedAt, sessionId: caller.sessionId, now });
  if (!row) throw tokenErrors('INVALID_TOKEN');
  return toStatus(row);
}

function toStatus(row: TwoFaOverviewRow): TwoFaStatus {
  const entries = SECOND_FACTOR_LIST.map(([, method]) => [method, method.toStatus(row[method.statusKey])] as const);
  // As hasTwoFactorEnabled: an active (completed) factor; recovery codes alone do not turn 2FA on.
  const enabled = entries.some(([method, status]) => !method.standsIn && status !== null && status.completedAt !== null);
  return { enabled, ...Object.fromEntries(entries.map(([method, status]) => [method.statusKey, status])) } as TwoFaStatus;
}
