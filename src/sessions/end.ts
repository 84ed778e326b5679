import type { EventContext } from '../deps.js';
import type { Tx } from '../db/knex.js';
import { recordSecurityEvent } from '../security-events/record.js';
import type { SessionEndReason } from './constants.js';
import { endSessions } from './queries.js';

/**
 * Ends the user's chosen live sessions in the caller's transaction, one `session_ended` event
 * each; returns the ids ended.
 */
export async function endUserSessions(
  trx: Tx,
  context: EventContext,
  row: { userId: string; which: { only: string } | { allBut: string } | 'all'; reason: SessionEndReason },
): Promise<string[]> {
  const ended = await endSessions(trx, { ...row, now: new Date(context.clock.now()) });
  for (const sessionId of ended) {
    await recordSecurityEvent(trx, context, { userId: row.userId, type: 'session_ended', detail: { sessionId, reason: row.reason } });
  }
  return ended;
}
