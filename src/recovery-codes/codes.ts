import { randomBytes } from 'node:crypto';
import type { Deps } from '../deps.js';
import type { Db, Tx } from '../db/knex.js';
import { hmacSha256 } from '../crypto/hash.js';
import { unambiguousCode } from '../crypto/random.js';
import { RECOVERY_CODE_COUNT, RECOVERY_CODE_LENGTH } from './constants.js';

/** Salted and keyed: equal codes of two users hash differently, and a dump alone is not enough to test guesses. */
export function hashRecoveryCode(deps: Pick<Deps, 'config'>, salt: Buffer, code: string): Buffer {
  return hmacSha256(deps.config.codeHashKey, 'recovery-code', salt, code);
}

/** Replaces all of the user's recovery codes with 10 new ones; returns them in clear, the only time they exist so. */
export async function replaceRecoveryCodes(trx: Tx, deps: Pick<Deps, 'config' | 'clock'>, userId: string): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => unambiguousCode(RECOVERY_CODE_LENGTH));
  const now = new Date(deps.clock.now());
  await trx('recovery_codes').where({ user_id: userId }).delete();
  await trx('recovery_codes').insert(
    codes.map((code) => {
      const salt = randomBytes(16);
      return { user_id: userId, salt, code_hash: hashRecoveryCode(deps, salt, code), created_at: now };
    }),
  );
  return codes;
}

export async function deleteRecoveryCodes(db: Db | Tx, userId: string): Promise<void> {
  await db('recovery_codes').where({ user_id: userId }).delete();
}
