import type { Deps } from '../deps.js';
import { deleteRefilledAddressLimits } from '../address-limits/queries.js';
import { deleteQuietCounters } from '../backoff/queries.js';
import { deleteFinishedMails } from '../mail/outbox.js';
import { deleteExpiredMailSlots } from '../one-time-codes/throttle.js';
import { deleteExpiredResetSecrets } from '../password/queries.js';
import { deleteOldSecurityEvents } from '../security-events/queries.js';
import { deleteFinishedSessions, deleteForgottenDevices } from '../sessions/queries.js';
import { DEVICE_MEMORY_MS } from '../sessions/constants.js';
import type { Config } from '../config/index.js';
import type { Db } from '../db/knex.js';
import { DAY_MS, FINISHED_MAIL_RETENTION_MS, FINISHED_SESSION_RETENTION_MS, MAIL_SLOT_RETENTION_MS, QUIET_COUNTER_RETENTION_MS } from './constants.js';

/** One clean-up: deletes rows whose effect is over as of `now`; returns how many. */
export interface Sweep {
  name: string;
  run(db: Db, now: number, config: Pick<Config, 'securityEventRetentionDays'>): Promise<number>;
}

/**
 * Every table that requests (anonymous ones included) keep adding rows to. Each rule depends only
 * on a row's age, never on whether an account exists, so what a sweep deletes tells nothing.
 * (Rows bounded by the number of accounts, such as one_time_codes, need no sweep.)
 */
export const SWEEPS: Sweep[] = [
  { name: 'finished mails', run: (db, now) => deleteFinishedMails(db, new Date(now - FINISHED_MAIL_RETENTION_MS)) },
  { name: 'mail slots', run: (db, now) => deleteExpiredMailSlots(db, new Date(now - MAIL_SLOT_RETENTION_MS)) },
  { name: 'quiet guess counters', run: (db, now) => deleteQuietCounters(db, new Date(now - QUIET_COUNTER_RETENTION_MS)) },
  { name: 'expired reset secrets', run: (db, now) => deleteExpiredResetSecrets(db, new Date(now)) },
  { name: 'refilled address limits', run: (db, now) => deleteRefilledAddressLimits(db, new Date(now)) },
  { name: 'finished sessions', run: (db, now) => deleteFinishedSessions(db, new Date(now - FINISHED_SESSION_RETENTION_MS)) },
  { name: 'forgotten devices', run: (db, now) => deleteForgottenDevices(db, new Date(now - DEVICE_MEMORY_MS)) },
  { name: 'old security events', run: (db, now, config) => deleteOldSecurityEvents(db, new Date(now - config.securityEventRetentionDays * DAY_MS)) },
];

/**
 * Runs every sweep once (the mail worker calls it hourly; several instances doing it is
 * harmless). Never throws: a failed sweep is logged and tried again next time.
 */
export async function runSweeps(deps: Pick<Deps, 'db' | 'clock' | 'log' | 'config'>, sweeps: Sweep[] = SWEEPS): Promise<Record<string, number>> {
  const now = deps.clock.now();
  const deleted: Record<string, number> = {};
  for (const sweep of sweeps) {
    try {
      deleted[sweep.name] = await sweep.run(deps.db, now, deps.config);
      if (deleted[sweep.name]) deps.log.info({ sweep: sweep.name, count: deleted[sweep.name] }, 'swept rows past their effect');
    } catch (err) {
      deps.log.error({ sweep: sweep.name, error: (err as Error).message }, 'sweep failed; it runs again at the next interval');
    }
  }
  return deleted;
}
