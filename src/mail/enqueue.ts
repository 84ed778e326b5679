import type { Deps } from '../deps.js';
import type { Tx } from '../db/knex.js';
import { insertMail } from './outbox.js';
import type { PreparedMail } from './render.js';

/**
 * Queues a prepared mail in the caller's transaction: it exists exactly when the code it carries
 * does. The worker is nudged once the transaction commits (never before: it could not see the row).
 */
export async function enqueueMail(
  trx: Tx,
  deps: Pick<Deps, 'clock' | 'mail'>,
  mail: PreparedMail,
  /** The transaction whose commit makes the row visible: the outer one when `trx` is a savepoint. */
  committedBy: Tx = trx,
): Promise<void> {
  await insertMail(trx, mail, new Date(deps.clock.now()));
  // A plain connection instead of a transaction has no executionPromise: the row is already visible.
  if (!committedBy.executionPromise) return deps.mail.signal.notify();
  committedBy.executionPromise.then(
    () => deps.mail.signal.notify(),
    () => undefined, // rolled back: nothing to send
  );
}
