import type { Deps } from '../deps.js';
import { withTx } from '../db/tx.js';
import { recordAndNotify } from '../security-events/notices.js';
import { recordSecurityEvent } from '../security-events/record.js';
import { endUserSessions } from '../sessions/end.js';
import { findUserByEmail, setUserDisabled } from './queries.js';

type AccessDeps = Pick<Deps, 'db' | 'clock' | 'mail' | 'log'>;

/** What an operator command did: `unchanged` when the account already was in that state. */
export type AccessChange = 'changed' | 'unchanged' | 'no-account';

/**
 * Disables an account in one transaction: no login works any more (password or second factor:
 * its partial tokens are refused), every session ends (its refresh and access tokens with it),
 * the event is recorded and the owner is mailed.
 */
export async function disableUser(deps: AccessDeps, email: string): Promise<AccessChange> {
  const user = await findUserByEmail(deps.db, email);
  if (!user) return 'no-account';
  return withTx(deps.db, async (trx) => {
    if (!(await setUserDisabled(trx, user.id, new Date(deps.clock.now())))) return 'unchanged';
    await endUserSessions(trx, deps, { userId: user.id, which: 'all', reason: 'account_disabled' });
    await recordAndNotify(trx, deps, { userId: user.id, type: 'account_disabled' });
    return 'changed';
  });
}

/** Enables a disabled account again: the owner logs in as before (every session ended at the disable). */
export async function enableUser(deps: AccessDeps, email: string): Promise<AccessChange> {
  const user = await findUserByEmail(deps.db, email);
  if (!user) return 'no-account';
  return withTx(deps.db, async (trx) => {
    if (!(await setUserDisabled(trx, user.id, null))) return 'unchanged';
    await recordSecurityEvent(trx, deps, { userId: user.id, type: 'account_enabled' });
    return 'changed';
  });
}
