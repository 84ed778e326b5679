import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../src/db/knex.js';
import { findTokenSubject } from '../../src/sessions/queries.js';
import { findLiveRefreshToken } from '../../src/tokens/queries.js';
import { newRefreshToken } from '../../src/tokens/refresh-token.js';
import { findTwoFaOverview } from '../../src/two-factor/queries.js';
import { createTestDatabase } from '../support/database.js';

/**
 * A pooled connection prepares each hot statement once and keeps its plan for as long as it lives.
 * A plan made while `sessions` was nearly empty once scanned every live session of the user (the
 * partial index sessions_user_live) to find the one it wanted: a refresh or token check got slower
 * with every session a user (or the bench) opened. Here the statements are prepared on a tiny
 * database, under the generic plan a connection would keep, the user then opens thousands of
 * sessions, and each statement must still find its session by primary key.
 */

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Db;
const userId = randomUUID();
const sessionId = randomUUID();
const passwordChangedAt = new Date('2026-11-01T00:00:00Z');
const refresh = newRefreshToken();

beforeAll(async () => {
  database = await createTestDatabase();
  // One connection, so every statement below is prepared on it and explained on it; the generic
  // plan is the one a long-lived pooled connection settles on (PostgreSQL may pick it after five runs).
  const url = new URL(database.url);
  url.searchParams.set('options', '-c plan_cache_mode=force_generic_plan');
  db = createDb(url.toString(), 1);
  const now = new Date();
  const expiresAt = new Date(now.getTime() + 86_400_000);
  await database.db('users').insert({ id: userId, email: 'plans@example.com', password_hash: null, password_changed_at: passwordChangedAt, created_at: now });
  await database.db('sessions').insert({ id: sessionId, user_id: userId, method: 'password', created_at: now, last_used_at: now, expires_at: expiresAt });
  await database.db('refresh_tokens').insert({ user_id: userId, session_id: sessionId, token_hash: refresh.tokenHash, password_changed_at: passwordChangedAt, created_at: now, expires_at: expiresAt });
});
afterAll(async () => {
  await db?.destroy();
  await database.drop();
});

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

function nodesReading(plan: PlanNode, table: string): PlanNode[] {
  const own = plan['Relation Name'] === table || plan['Index Name']?.startsWith(`${table}_`) ? [plan] : [];
  return [...own, ...(plan.Plans ?? []).flatMap((child) => nodesReading(child, table))];
}

/** The plan the connection runs for its prepared statement `prefix_<digest>`, executed with `values`. */
async function explainPrepared(prefix: string, values: string[]): Promise<PlanNode> {
  const { rows } = await db.raw('select name from pg_prepared_statements where name like ?', [`${prefix}\\_%`]);
  expect(rows).toHaveLength(1);
  // EXPLAIN EXECUTE takes no bind parameters: the test's own values as literals.
  const literals = values.map((value) => `'${value.replaceAll("'", "''")}'`).join(', ');
  const { rows: plan } = await db.raw(`explain (analyze, format json) execute ${rows[0].name}(${literals})`);
  return plan[0]['QUERY PLAN'][0].Plan;
}

describe('hot statements keep a primary-key plan as sessions grow', () => {
  it('the token check, the refresh token lookup and the 2FA overview each read one session row', async () => {
    const now = new Date();
    // Prepared (and planned) while the tables hold one row each.
    expect(await findTokenSubject(db, { userId, sessionId, now })).toMatchObject({ sessionLive: true });
    expect(await findLiveRefreshToken(db, refresh.tokenHash, now)).toMatchObject({ userId, sessionId });
    expect(await findTwoFaOverview(db, userId, { passwordChangedAt: passwordChangedAt.getTime(), sessionId, now })).toBeDefined();

    await database.db.raw(
      `insert into sessions (user_id, method, created_at, last_used_at, expires_at)
       select ?, 'password', now(), now(), now() + interval '1 day' from generate_series(1, 3000)`,
      [userId],
    );

    const iso = now.toISOString();
    const plans = {
      token_subject: await explainPrepared('token_subject', [sessionId, iso, userId]),
      live_refresh_token: await explainPrepared('live_refresh_token', [`\\x${refresh.tokenHash.toString('hex')}`, iso]),
      two_fa_overview: await explainPrepared('two_fa_overview', [userId, passwordChangedAt.toISOString(), sessionId, iso]),
    };
    for (const [name, plan] of Object.entries(plans)) {
      const reads = nodesReading(plan, 'sessions');
      expect(reads.length, name).toBeGreaterThan(0);
      for (const node of reads) {
        expect({ name, index: node['Index Name'] }).toEqual({ name, index: 'sessions_pkey' });
        expect({ name, rows: node['Actual Rows'] + (node['Rows Removed by Filter'] ?? 0) }).toEqual({ name, rows: 1 });
      }
    }
    // And the answers are still right with the user's many sessions.
    expect(await findTokenSubject(db, { userId, sessionId, now })).toMatchObject({ sessionLive: true });
    expect(await findTokenSubject(db, { userId, sessionId: randomUUID(), now })).toMatchObject({ sessionLive: false });
    expect(await findLiveRefreshToken(db, refresh.tokenHash, now)).toMatchObject({ userId, sessionId });
  });
});
