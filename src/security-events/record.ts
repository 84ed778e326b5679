import type { EventContext } from '../deps.js';
import type { Db, Tx } from '../db/knex.js';
import { clientOf } from '../http/request-context.js';
import type { SecurityEventType } from './constants.js';
import { insertSecurityEvents } from './queries.js';

/** An event to record: whose, what, and its non-secret detail. */
export interface SecurityEventInput {
  userId: string;
  type: SecurityEventType;
  detail?: Record<string, unknown>;
}

/**
 * Records what just happened to the user's account, from the current request's client. Call it
 * with the transaction of the change itself: the event commits with it or not at all. `detail`
 * is shown to the user: non-secret context only (a method name, a count, a session id).
 */
export function recordSecurityEvent(
  trx: Db | Tx,
  context: EventContext,
  event: SecurityEventInput,
): Promise<void> {
  return recordSecurityEvents(trx, context, [event]);
}

/** recordSecurityEvent for several events at once, in one statement. */
export async function recordSecurityEvents(
  trx: Db | Tx,
  context: EventContext,
  events: SecurityEventInput[],
): Promise<void> {
  const at = new Date(context.clock.now());
  const client = clientOf(context);
  await insertSecurityEvents(
    trx,
    events.map((event) => ({ userId: event.userId, type: event.type, at, client, detail: event.detail ?? {} })),
  );
}
