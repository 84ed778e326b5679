import type { Db, Tx } from '../db/knex.js';
import { deleteInBatches } from '../db/batch-delete.js';
import type { ClientInfo } from '../http/request-context.js';
import type { SecurityEventType } from './constants.js';

export interface SecurityEventRow {
  id: string;
  type: SecurityEventType;
  at: Date;
  address: string | null;
  userAgent: string | null;
  detail: Record<string, unknown>;
}

export async function insertSecurityEvent(
  db: Db | Tx,
  row: { userId: string; type: SecurityEventType; at: Date; client: ClientInfo; detail: Record<string, unknown> },
): Promise<void> {
  await db('security_events').insert({
    user_id: row.userId,
    type: row.type,
    at: row.at,
    address: row.client.address,
    user_agent: row.client.userAgent,
    detail: JSON.stringify(row.detail),
  });
}

/** One page of the user's events, newest first, older than the `before` id when given. */
export async function findSecurityEvents(db: Db | Tx, userId: string, page: { before?: string; limit: number }): Promise<SecurityEventRow[]> {
  const query = db('security_events').where({ user_id: userId }).orderBy('id', 'desc').limit(page.limit);
  if (page.before !== undefined) query.where('id', '<', page.before);
  const rows = await query.select('id', 'type', 'at', 'address', 'user_agent', 'detail');
  return rows.map((r) => ({ id: String(r.id), type: r.type, at: r.at, address: r.address, userAgent: r.user_agent, detail: r.detail }));
}

/** The retention sweep: events older than `before`. */
export async function deleteOldSecurityEvents(db: Db, before: Date): Promise<number> {
  return deleteInBatches(db, 'security_events', (q) => q.where('at', '<', before));
}
