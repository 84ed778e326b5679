import type { EventContext } from '../deps.js';
import type { Db, Tx } from '../db/knex.js';
import { clientOf } from '../http/request-context.js';
import type { SecurityEventType } from './constants.js';
import { insertSecurityEvent } from './queries.js';

/**
 * Records what just happened to the user's account, from the current request's client. Call it
 * with the transaction of the change itself: the event commits with it or not at all. `detail`
 * is shown to the user: non-secret context only (a method name, a count, a session id).
 */
export async function recordSecurityEvent(
  trx: Db | Tx,
  context: EventContext,
  event: { userId: string; type: SecurityEventType; detail?: Record<string, unknown> },
): Promise<void> {
  await insertSecurityEvent(trx, { userId: event.userId, type: event.type, at: new Date(context.clock.now()), client: clientOf(context), detail: event.detail ?? {} });
}
