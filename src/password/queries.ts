import { deleteInBatches } from '../db/batch-delete.js';
import type { Db, Tx } from '../db/knex.js';

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


/** One row per reset mail: a later mail leaves the earlier ones working (src/password/reset-secrets.ts). */
export async function insertResetSecret(trx: Tx, row: { userId: string; secretHash: Buffer; targetEmail: string; expiresAt: Date }): Promise<void> {
  await trx('password_reset_secrets').insert({ user_id: row.userId, secret_hash: row.secretHash, target_email: row.targetEmail, expires_at: row.expiresAt });
}

/** The address a live secret was mailed to, or undefined (wrong, expired, used, or no account). */
export async function findResetSecret(db: Db | Tx, userId: string, secretHash: Buffer, now: Date): Promise<string | undefined> {
  const row = await db('password_reset_secrets').where({ user_id: userId, secret_hash: secretHash }).andWhere('expires_at', '>', now).first('target_email');
  return row?.target_email;
}

/**
 * Removes every reset secret of the user (a password change voids them all) and returns the
 * removed ones, so a reset by secret can check, under the rows' locks, that its own was still there.
 */
export async function deleteResetSecrets(trx: Tx, userId: string): Promise<{ secretHash: Buffer; targetEmail: string; expiresAt: Date }[]> {
  const rows = await trx('password_reset_secrets').where({ user_id: userId }).delete().returning(['secret_hash', 'target_email', 'expires_at']);
  return rows.map((row) => ({ secretHash: row.secret_hash, targetEmail: row.target_email, expiresAt: row.expires_at }));
}

/** Sweep: secrets past their life (src/sweep). */
export async function deleteExpiredResetSecrets(db: Db, now: Date): Promise<number> {
  return deleteInBatches(db, 'password_reset_secrets', (query) => query.where('expires_at', '<=', now));
}
