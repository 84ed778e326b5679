import type { Db, Tx } from '../db/knex.js';

export interface TotpFactor {
  /** The active secret (sealed), null until a secret was first enabled. */
  secretEnc: string | null;
  completedAt: Date | null;
  lastUsedStep: number | null;
  /** A secret from setup waiting for its first code (sealed). */
  pendingSecretEnc: string | null;
}

const columns = ['secret_enc', 'completed_at', 'last_used_step', 'pending_secret_enc'] as const;
const toFactor = (row: Record<string, any>): TotpFactor => ({
  secretEnc: row.secret_enc,
  completedAt: row.completed_at,
  lastUsedStep: row.last_used_step,
  pendingSecretEnc: row.pending_secret_enc,
});

export async function findTotpFactor(db: Db | Tx, userId: string): Promise<TotpFactor | undefined> {
  const row = await db('totp_factors').where({ user_id: userId }).first(columns);
  return row ? toFactor(row) : undefined;
}

/** Reads and locks the row until the transaction ends (a concurrent setup waits). */
export async function lockTotpFactor(trx: Tx, userId: string): Promise<TotpFactor | undefined> {
  const row = await trx('totp_factors').where({ user_id: userId }).forUpdate().first(columns);
  return row ? toFactor(row) : undefined;
}

/** Stores a new pending secret; the active one (if any) is untouched until the new one is enabled. */
export async function upsertPendingTotp(db: Db | Tx, userId: string, pendingSecretEnc: string, now: Date): Promise<void> {
  await db('totp_factors')
    .insert({ user_id: userId, pending_secret_enc: pendingSecretEnc, pending_created_at: now })
    .onConflict('user_id')
    .merge({ pending_secret_enc: pendingSecretEnc, pending_created_at: now });
}

/**
 * Claims a time step for the user: the guarded UPDATE succeeds only if no equal or later step
 * was accepted before, so of any number of concurrent uses of one code exactly one wins.
 */
export async function claimTotpStep(db: Db | Tx, userId: string, step: number): Promise<boolean> {
  const rows = await db('totp_factors')
    .where({ user_id: userId })
    .whereRaw('coalesce(last_used_step, -1) < ?', [step])
    .update({ last_used_step: step })
    .returning('user_id');
  return rows.length === 1;
}

/** Pending → active (the previous active secret is replaced only now). */
export async function activatePendingTotp(trx: Tx, userId: string, now: Date): Promise<boolean> {
  const rows = await trx('totp_factors')
    .where({ user_id: userId })
    .whereNotNull('pending_secret_enc')
    .update({ secret_enc: trx.ref('pending_secret_enc'), completed_at: now, pending_secret_enc: null, pending_created_at: null })
    .returning('user_id');
  return rows.length === 1;
}

/**
 * Turns TOTP off (active and pending secret gone). The row stays with its last_used_step, so a
 * step accepted before is still never accepted again. False when TOTP was not active.
 */
export async function deactivateTotp(trx: Tx, userId: string): Promise<boolean> {
  const rows = await trx('totp_factors')
    .where({ user_id: userId })
    .whereNotNull('completed_at')
    .update({ secret_enc: null, completed_at: null, pending_secret_enc: null, pending_created_at: null })
    .returning('user_id');
  return rows.length === 1;
}
