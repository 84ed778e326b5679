import type { Db, Tx } from '../db/knex.js';

export interface UnusedRecoveryCode {
  id: string;
  salt: Buffer;
  codeHash: Buffer;
}

export interface RecoveryCodeSummary {
  /** All codes, used or not (0 = never issued, or deleted with the last method). */
  total: number;
  remaining: number;
  createdAt: Date | null;
}

export async function findUnusedRecoveryCodes(db: Db | Tx, userId: string): Promise<UnusedRecoveryCode[]> {
  const rows = await db('recovery_codes').where({ user_id: userId }).whereNull('used_at').select('id', 'salt', 'code_hash');
  return rows.map((row) => ({ id: row.id, salt: row.salt, codeHash: row.code_hash }));
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
