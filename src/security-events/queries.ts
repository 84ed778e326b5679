import type { Db, Tx } from '../db/knex.js';
import { deleteInBatches } from '../db/batch-delete.js';
import { preparedStatement, runPrepared, type PreparedStatement } from '../db/prepared.js';
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

export interface NewSecurityEvent {
  userId: string;
  type: SecurityEventType;
  at: Date;
  client: ClientInfo;
  detail: Record<string, unknown>;
}

/** The insert of `rows` events, prepared once per row count (one or two in practice). */
const insertStatements = new Map<number, PreparedStatement>();
function insertStatement(rows: number): PreparedStatement {
  let statement = insertStatements.get(rows);
  if (!statement) {
    const values = Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?::jsonb)').join(', ');
    statement = preparedStatement(`security_events_insert_${rows}`, `insert into security_events (user_id, type, at, address, user_agent, detail) values ${values}`);
    insertStatements.set(rows, statement);
  }
  return statement;
}

/**
 * Inserts events in one statement, prepared: a failed guess's (one or two) is on the unknown-name
 * login's hot path, where a query built by knex cost more event-loop time than the insert itself.
 */
export async function insertSecurityEvents(db: Db | Tx, rows: NewSecurityEvent[]): Promise<void> {
  if (!rows.length) return;
  const values = rows.flatMap((row) => [row.userId, row.type, row.at, row.client.address, row.client.userAgent, JSON.stringify(row.detail)]);
  await runPrepared(db, insertStatement(rows.length), values);
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
