import type { Db, Tx } from '../db/knex.js';

export interface EmailOtpFactor {
  /** The active address; null while only a setup is pending. */
  email: string | null;
  completedAt: Date | null;
  /** An address from setup waiting for its code; the active one keeps working meanwhile. */
  pendingEmail: string | null;
  pendingCreatedAt: Date | null;
}

const toFactor = (row: Record<string, any>): EmailOtpFactor => ({
  email: row.email,
  completedAt: row.completed_at,
  pendingEmail: row.pending_email,
  pendingCreatedAt: row.pending_created_at,
});

const columns = ['email', 'completed_at', 'pending_email', 'pending_created_at'];

export async function findEmailOtpFactor(db: Db | Tx, userId: string): Promise<EmailOtpFactor | undefined> {
  const row = await db('email_otp_factors').where({ user_id: userId }).first(columns);
  return row ? toFactor(row) : undefined;
}

/**
 * The factor of a caller holding a token, with the token's user-row check in the same statement:
 * undefined when the user is gone, disabled or changed the password; `{ factor: undefined }` when the
 * user has none.
 */
export async function findEmailOtpFactorForCaller(db: Db | Tx, userId: string, passwordChangedAt: number): Promise<{ factor: EmailOtpFactor | undefined } | undefined> {
  const row = await db('users as u')
    .leftJoin('email_otp_factors as f', 'f.user_id', 'u.id')
    .where({ 'u.id': userId, 'u.password_changed_at': new Date(passwordChangedAt) })
    .whereNull('u.disabled_at')
    .first('f.user_id', ...columns.map((column) => `f.${column}`));
  if (!row) return undefined;
  return { factor: row.user_id ? toFactor(row) : undefined };
}

/** The factor under a row lock until the transaction ends: setup, enable and remove queue up. */
export async function lockEmailOtpFactor(trx: Tx, userId: string): Promise<EmailOtpFactor | undefined> {
  const row = await trx('email_otp_factors').where({ user_id: userId }).forUpdate().first(columns);
  return row ? toFactor(row) : undefined;
}

/** Records the address a setup code went to; an active address (email, completed_at) is left as it is. */
export async function upsertPendingEmail(trx: Tx, userId: string, pendingEmail: string, now: Date): Promise<void> {
  await trx('email_otp_factors')
    .insert({ user_id: userId, pending_email: pendingEmail, pending_created_at: now })
    .onConflict('user_id')
    .merge({ pending_email: pendingEmail, pending_created_at: now });
}

/** The proven address becomes the active one; nothing stays pending. */
export async function activateEmailOtp(trx: Tx, userId: string, email: string, now: Date): Promise<void> {
  await trx('email_otp_factors')
    .where({ user_id: userId })
    .update({ email, completed_at: now, pending_email: null, pending_created_at: null });
}

export async function deleteEmailOtpFactor(trx: Tx, userId: string): Promise<number> {
  return trx('email_otp_factors').where({ user_id: userId }).delete();
}
