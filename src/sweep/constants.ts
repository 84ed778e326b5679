import { MAX_WAIT_MS } from '../backoff/constants.js';
import { FINISHED_MAIL_RETENTION_MS } from '../mail/constants.js';
import { FAILURE_WINDOW_MS, MAIL_INTERVAL_MS } from '../one-time-codes/constants.js';

/**
 * A guess counter (an account's or an unknown name's) with no failure for this long is deleted.
 * By then every effect it has is over: the longest backoff wait (15 min) and the emailed-code
 * daily cap's window (24 h, counted from the last failure). The one thing it still carried, the
 * count of consecutive failures, restarts: a day of quiet forgets it.
 */
export const QUIET_COUNTER_RETENTION_MS = Math.max(MAX_WAIT_MS, FAILURE_WINDOW_MS);

/** A mail slot older than the mail interval holds nothing back. */
export const MAIL_SLOT_RETENTION_MS = MAIL_INTERVAL_MS;

export { FINISHED_MAIL_RETENTION_MS };

export const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * A session ended or expired this long ago is deleted with its refresh tokens. Its tokens are
 * dead either way; the day keeps a replayed token of a just-ended session a plain 401 rather
 * than an unknown one, which tells nothing more. What happened stays in security_events.
 */
export const FINISHED_SESSION_RETENTION_MS = DAY_MS;
