import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/db/embedded.js';
import { isDatabaseUnavailable } from '../../src/db/errors.js';
import { createDb } from '../../src/db/knex.js';
import { createTestDatabase } from '../support/database.js';
import { inject } from 'vitest';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

const failure = (promise: Promise<unknown>) => promise.then(() => expect.fail('expected a database error'), (err: unknown) => err);

describe('isDatabaseUnavailable: outages are 503, every other database error stays 500', () => {
  it('a refused connection (nothing listening) is an outage', async () => {
    const db = createDb(`postgres://postgres@127.0.0.1:${await freePort()}/x`);
    try {
      const err = await failure(db.raw('select 1'));
      expect(isDatabaseUnavailable(err)).toBe(true);
    } finally {
      await db.destroy();
    }
  });

  it('a session killed by the server (57P01 admin_shutdown) is an outage', async () => {
    const victim = new pg.Client({ connectionString: database.url });
    victim.on('error', () => undefined);
    await victim.connect();
    const pid = (await victim.query('select pg_backend_pid() as pid')).rows[0].pid;
    const sleeping = failure(victim.query('select pg_sleep(30)'));
    const admin = new pg.Client({ connectionString: inject('pgAdminUrl') });
    await admin.connect();
    await expect.poll(async () => (await admin.query("select 1 from pg_stat_activity where pid = $1 and state = 'active'", [pid])).rowCount).toBe(1);
    await admin.query('select pg_terminate_backend($1)', [pid]);
    await admin.end();
    const err = (await sleeping) as { code?: string };
    expect(err.code).toBe('57P01');
    expect(isDatabaseUnavailable(err)).toBe(true);
    await victim.end().catch(() => undefined);
  });

  it('constraint violations, syntax errors and NUL bytes in text are not outages', async () => {
    const db = database.db;
    await db.raw('create table t_unique (id int primary key)');
    await db.raw('insert into t_unique values (1)');
    for (const err of await Promise.all([
      failure(db.raw('insert into t_unique values (1)')), // 23505
      failure(db.raw('selec 1')), // 42601
      failure(db.raw('select ?::text', ['a\u0000b'])), // 22021
    ])) {
      expect(isDatabaseUnavailable(err), String((err as Error).message)).toBe(false);
    }
  });

  it('the SQLSTATEs and errors of a server going away, by their codes', () => {
    for (const code of ['08000', '08003', '08006', '08001', '57P01', '57P02', '57P03', '53300', '25006', 'ECONNRESET', 'ETIMEDOUT']) {
      expect(isDatabaseUnavailable(Object.assign(new Error('x'), { code })), code).toBe(true);
    }
    expect(isDatabaseUnavailable(Object.assign(new Error('database "x" is not currently accepting connections'), { code: '55000', severity: 'FATAL' }))).toBe(true);
    // 55000 inside a healthy session (e.g. currval before nextval) is a bug, not an outage.
    expect(isDatabaseUnavailable(Object.assign(new Error('currval of sequence is not yet defined'), { code: '55000', severity: 'ERROR' }))).toBe(false);
    expect(isDatabaseUnavailable(Object.assign(new Error('Knex: Timeout acquiring a connection. The pool is probably full.'), { name: 'KnexTimeoutError' }))).toBe(true);
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    // knex's form, the statement first: what a primary killed mid-insert gives (the failover test saw it as a 500).
    expect(isDatabaseUnavailable(new Error('insert into "refresh_tokens" ("user_id") values ($1) - Connection terminated unexpectedly'))).toBe(true);
    // The same words inside a value or a statement are no outage.
    expect(isDatabaseUnavailable(new Error('invalid input syntax: "Connection terminated"'))).toBe(false);
    // As knex rethrows it from a query on a pooled connection the server has just terminated.
    expect(isDatabaseUnavailable(new Error('select "id" from "users" where "id" = $1 limit $2 - Connection terminated unexpectedly'))).toBe(true);
    expect(isDatabaseUnavailable(new AggregateError([Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' })]))).toBe(true);
    expect(isDatabaseUnavailable(new Error('wrapped', { cause: Object.assign(new Error('x'), { code: '57P01' }) }))).toBe(true);
    for (const err of [new Error('boom'), Object.assign(new Error('x'), { code: '23505' }), Object.assign(new Error('x'), { code: '40001' }), undefined, null, 'text']) {
      expect(isDatabaseUnavailable(err)).toBe(false);
    }
  });
});
