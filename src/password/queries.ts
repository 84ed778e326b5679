import type { Tx } from '../db/knex.js';

/**
 * Sets a new password hash. `password_changed_at` always moves forward (at least 1 ms past the
 * previous value, even if the clock has not), because every JWT carries it and must stop working.
 * With `expectedHash` the update only happens if the stored hash is still the one the caller
 * verified (a concurrent change wins, this one does nothing). Returns whether a row changed.
 */
export async function updatePasswordHash(
  trx: Tx,
  change: { userId: string; passwordHash: string; now: Date; expectedHash?: string },
): Promise<boolean> {
  const query = trx('users')
    .where({ id: change.userId })
    .update({
      password_hash: change.passwordHash,
      password_changed_at: trx.raw("greatest(?::timestamptz, password_changed_at + interval '1 millisecond')", [change.now]),
    });
  if (change.expectedHash !== undefined) query.andWhere({ password_hash: change.expectedHash });
  return (await query) === 1;
}
