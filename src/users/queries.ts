import type { Db, Tx } from '../db/knex.js';
import { normalizeEmail } from './email.js';

export interface UserRow {
  id: string;
  email: string;
  passwordHash: string | null;
  passwordChangedAt: Date;
  /** Set while an operator has disabled the account (npm run user:disable). */
  disabledAt: Date | null;
}

/** The columns of a UserRow, and the row from them (for statements that read a user beside other work). */
export const USER_COLUMNS = ['id', 'email', 'password_hash', 'password_changed_at', 'disabled_at'] as const;
export const toUser = (row: Record<string, any>): UserRow => ({
  id: row.id,
  email: row.email,
  passwordHash: row.password_hash,
  passwordChangedAt: row.password_changed_at,
  disabledAt: row.disabled_at ?? null,
});

export async function findUserByEmail(db: Db | Tx, email: string): Promise<UserRow | undefined> {
  const row = await db('users').where({ email: normalizeEmail(email) }).first(USER_COLUMNS);
  return row ? toUser(row) : undefined;
}

export async function findUserById(db: Db | Tx, id: string): Promise<UserRow | undefined> {
  const row = await db('users').where({ id }).first(USER_COLUMNS);
  return row ? toUser(row) : undefined;
}

/** Inserts a user; returns undefined when the email is taken (unique violation), never throws for it. */
export async function insertUser(db: Db | Tx, user: { email: string; passwordHash: string | null; now: Date }): Promise<UserRow | undefined> {
  const [row] = await db('users')
    .insert({ email: normalizeEmail(user.email), password_hash: user.passwordHash, password_changed_at: user.now, created_at: user.now })
    .onConflict('email')
    .ignore()
    .returning(USER_COLUMNS);
  return row ? toUser(row) : undefined;
}

/** Disables (a time) or enables (null) the account; false when it already was so. */
export async function setUserDisabled(db: Db | Tx, userId: string, disabledAt: Date | null): Promise<boolean> {
  const query = db('users').where({ id: userId });
  if (disabledAt) query.whereNull('disabled_at');
  else query.whereNotNull('disabled_at');
  return (await query.update({ disabled_at: disabledAt })) === 1;
}
