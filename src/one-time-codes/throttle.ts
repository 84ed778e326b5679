import type { Deps } from '../deps.js';
import { deleteInBatches } from '../db/batch-delete.js';
import type { Db, Tx } from '../db/knex.js';
import { hmacSha256 } from '../crypto/hash.js';
import { secondsUntil } from '../http/errors.js';
import { MAIL_INTERVAL_MS } from './constants.js';

type ThrottleDeps = Pick<Deps, 'config' | 'clock'>;

/** The throttle key names a purpose and a subject (a user id or an address) without storing the address. */
function throttleKey(deps: ThrottleDeps, purpose: string, subject: string): string {
  return `${purpose}:${hmacSha256(deps.config.codeHashKey, 'mail-throttle', purpose, subject).toString('base64url')}`;
}

/**
 * Claims the right to send one mail for (purpose, subject) now: one atomic upsert, so of two
 * concurrent requests only one wins. Returns 0 when claimed, else the whole seconds to wait.
 */
export async function claimMailSlot(trx: Tx, deps: ThrottleDeps, purpose: string, subject: string, intervalMs = MAIL_INTERVAL_MS): Promise<number> {
  const key = throttleKey(deps, purpose, subject);
  const now = deps.clock.now();
  const claimed = await trx('mail_throttle')
    .insert({ key, last_sent_at: new Date(now) })
    .onConflict('key')
    .merge({ last_sent_at: new Date(now) })
    .where('mail_throttle.last_sent_at', '<=', new Date(now - intervalMs))
    .returning('key');
  if (claimed.length) return 0;
  return mailSlotWait(trx, deps, purpose, subject, intervalMs);
}

/** Whole seconds until (purpose, subject) may receive another mail; 0 = now. */
export async function mailSlotWait(db: Db | Tx, deps: ThrottleDeps, purpose: string, subject: string, intervalMs = MAIL_INTERVAL_MS): Promise<number> {
  const row = await db('mail_throttle').where({ key: throttleKey(deps, purpose, subject) }).first('last_sent_at');
  if (!row) return 0;
  return secondsUntil(row.last_sent_at.getTime() + intervalMs, deps.clock.now());
}

/** Sweep: slots claimed before `before` hold nothing back any more (every key, user id or address, alike). */
export async function deleteExpiredMailSlots(db: Db, before: Date): Promise<number> {
  return deleteInBatches(db, 'mail_throttle', (query) => query.where('last_sent_at', '<=', before));
}
