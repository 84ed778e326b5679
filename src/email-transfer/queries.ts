import type { Tx } from '../db/knex.js';

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
