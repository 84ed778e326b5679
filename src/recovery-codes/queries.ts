import type { Db, Tx } from '../db/knex.js';

export interface StoredRecoveryCode {
  id: string;
  salt: Buffer;
  codeHash: Buffer;
  used: boolean;
}

export interface RecoveryCodeSummary {
  /** All codes, used or not (0 = never issued, or deleted with the last method). */
  total: number;
  remaining: number;
  createdAt: Date | null;
}

/** All of the user's codes, used ones flagged (none at all = never issued, or 2FA turned off). */
export async function findRecoveryCodes(db: Db | Tx, userId: string): Promise<StoredRecoveryCode[]> {
  const rows = await db('recovery_codes').where({ user_id: userId }).select('id', 'salt', 'code_hash', db.raw('used_at is not null as used'));
  return rows.map((row) => ({ id: row.id, salt: row.salt, codeHash: row.code_hash, used: row.used }));
}

export async function summarizeRecoveryCodes(db: Db | Tx, userId: string): Promise<RecoveryCodeSummary> {
  const row = await db('recovery_codes')
    .where({ user_id: userId })
    .first(db.raw('count(*)::int as total'), db.raw('(count(*) filter (where used_at is null))::int as remaining'), db.raw('max(created_at) as created_at'));
  return { total: row.total, remaining: row.remaining, createdAt: row.created_at };
}

/** Single use: the guarded UPDATE marks the code used only if it was unused; false = someone used it first. */
export async function consumeRecoveryCode(db: Db | Tx, id: string, now: Date): Promise<boolean> {
  const rows = await db('recovery_codes').where({ id }).whereNull('used_at').update({ used_at: now }).returning('id');
  return rows.length === 1;
}
