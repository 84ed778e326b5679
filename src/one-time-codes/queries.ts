import type { Db, Tx } from '../db/knex.js';
import { MAX_FAILED_ATTEMPTS, type CodePurpose } from './constants.js';

export interface StoredCode {
  codeHash: Buffer;
  targetEmail: string | null;
  failedAttempts: number;
  expiresAt: Date;
}

/**
 * Stores a new code, replacing the user's previous one for this purpose. A resend keeps the
 * failure count of a still-live code (so resending cannot buy extra guesses); a code that had
 * expired or was burned is replaced with a fresh count.
 */
export async function upsertCode(
  trx: Tx,
  row: { userId: string; purpose: CodePurpose; codeHash: Buffer; targetEmail: string | null; now: Date; expiresAt: Date },
): Promise<void> {
  await trx('one_time_codes')
    .insert({
      user_id: row.userId,
      purpose: row.purpose,
      code_hash: row.codeHash,
      target_email: row.targetEmail,
      failed_attempts: 0,
      created_at: row.now,
      expires_at: row.expiresAt,
    })
    .onConflict(['user_id', 'purpose'])
    .merge({
      code_hash: row.codeHash,
      target_email: row.targetEmail,
      created_at: row.now,
      expires_at: row.expiresAt,
      failed_attempts: trx.raw(
        'case when one_time_codes.expires_at > ? and one_time_codes.failed_attempts < ? then one_time_codes.failed_attempts else 0 end',
        [row.now, MAX_FAILED_ATTEMPTS],
      ),
    });
}

/** Locks the user's code for this purpose until the transaction ends (concurrent checks queue up). */
export async function lockCode(trx: Tx, userId: string, purpose: CodePurpose): Promise<StoredCode | undefined> {
  const row = await trx('one_time_codes')
    .where({ user_id: userId, purpose })
    .forUpdate()
    .first('code_hash', 'target_email', 'failed_attempts', 'expires_at');
  return row && { codeHash: row.code_hash, targetEmail: row.target_email, failedAttempts: row.failed_attempts, expiresAt: row.expires_at };
}

export async function countFailedAttempt(trx: Tx, userId: string, purpose: CodePurpose): Promise<void> {
  await trx('one_time_codes').where({ user_id: userId, purpose }).increment('failed_attempts', 1);
}

export async function deleteCode(db: Db | Tx, userId: string, purpose: CodePurpose): Promise<void> {
  await db('one_time_codes').where({ user_id: userId, purpose }).delete();
}

/** The user keys a stored code and a reset secret carry, DEFERRABLE since 20261201130000_defer_code_user_keys. */
const CODE_USER_KEYS = ['one_time_codes_user_id_foreign', 'password_reset_secrets_user_id_foreign'];

/**
 * Until the transaction ends, those keys are checked at commit, not per statement: a row for a
 * user id that does not exist can be inserted in a savepoint that is then rolled back.
 */
export async function deferCodeUserKeys(trx: Tx): Promise<void> {
  await trx.raw(`set constraints ${CODE_USER_KEYS.map(() => '??').join(', ')} deferred`, CODE_USER_KEYS);
}
