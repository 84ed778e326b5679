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
