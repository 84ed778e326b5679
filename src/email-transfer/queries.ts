import type { Tx } from '../db/knex.js';
import type { MailChoice } from '../mail/index.js';

/** The mail choice of a started transfer, kept for the notice the completing call sends. */
export type TransferMailChoice = MailChoice;

export async function upsertTransfer(trx: Tx, userId: string, choice: TransferMailChoice, now: Date): Promise<void> {
  const row = { mail_origin: choice.origin ?? null, mail_language: choice.language ?? null, created_at: now };
  await trx('email_transfers').insert({ user_id: userId, ...row }).onConflict('user_id').merge(row);
}

/** Reads and removes the started transfer's mail choice (the transfer completes in this transaction). */
export async function takeTransfer(trx: Tx, userId: string): Promise<TransferMailChoice> {
  const [row] = await trx('email_transfers').where({ user_id: userId }).delete().returning(['mail_origin', 'mail_language']);
  return { origin: row?.mail_origin ?? undefined, language: row?.mail_language ?? undefined };
}

/** The unique index on users.email decides "already in use": a taken address throws (see isEmailTaken). */
export async function updateUserEmail(trx: Tx, userId: string, email: string): Promise<void> {
  await trx('users').where({ id: userId }).update({ email });
}

/** The old address, read under a lock so two transfers of one account queue up. */
export async function lockUserEmail(trx: Tx, userId: string): Promise<string | undefined> {
  const row = await trx('users').where({ id: userId }).forUpdate().first('email');
  return row?.email;
}

/** True for PostgreSQL's unique violation on users.email. */
export function isEmailTaken(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string } | null;
  return e?.code === '23505' && e.constraint === 'users_email_unique';
}
