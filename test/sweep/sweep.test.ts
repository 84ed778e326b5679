import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import * as sdk from '../../generated/sdk.gen.js';
import { lockCounter, recordFailure } from '../../src/backoff/queries.js';
import { deleteInBatches } from '../../src/db/batch-delete.js';
import { withTx } from '../../src/db/tx.js';
import { runSweeps } from '../../src/sweep/index.js';
import { QUIET_COUNTER_RETENTION_MS } from '../../src/sweep/constants.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { startMailTestServer, type MailTestServer } from '../support/server-with-smtp.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const unknownAddress = () => `nobody-${randomBytes(4).toString('hex')}@example.com`;
const sendReset = (email: string) => sdk.sendPasswordReset({ client: server.client, body: { email } });
const login = (username: string, password: string) => sdk.login({ client: server.client, body: { username, password } });
const count = async (table: string) => Number((await server.deps.db(table).count({ n: '*' }).first())!.n);
const sweep = () => runSweeps(server.deps);

describe('sweeps: rows whose effect is over are deleted, one rule for known accounts and unknown names', () => {
  it('mail slots: a known and an unknown address are kept while they hold a mail back, and go together at 60 s', async () => {
    await server.deps.db('mail_throttle').del();
    const known = await server.createUser();
    const unknown = unknownAddress();
    for (const email of [known.email, unknown]) expect((await sendReset(email)).response.status).toBe(200);
    expect(await count('mail_throttle')).toBe(2);

    server.clock.advance(59_000);
    await sweep();
    expect(await count('mail_throttle')).toBe(2);
    // The sweep changed nothing a client sees: both are still held back.
    for (const email of [known.email, unknown]) expect((await sendReset(email)).response.status).toBe(429);

    server.clock.advance(1_000);
    expect((await sweep())['mail slots']).toBe(2);
    expect(await count('mail_throttle')).toBe(0);
  });

  it('guess counters: an account\'s and an unknown name\'s are forgotten after the same quiet day, not before', async () => {
    await server.deps.db('guess_counters').del();
    await server.deps.db('unknown_login_counters').del();
    const known = await server.createUser();
    const unknown = unknownAddress();
    for (let i = 0; i < 4; i++) {
      for (const name of [known.email, unknown]) expect((await login(name, 'Wrong-Guess-1')).response.status).toBe(401);
      server.clock.advance(1_000); // past the backoff after the 3rd failure
    }
    const failures = async () => [
      (await server.deps.db('guess_counters').where({ user_id: known.id, factor: 'password' }).first('failures'))?.failures,
      (await server.deps.db('unknown_login_counters').first('failures'))?.failures,
    ];
    expect(await failures()).toEqual([4, 4]);

    server.clock.advance(QUIET_COUNTER_RETENTION_MS - 2_000); // 1 s short of a quiet day since the last failure
    await sweep();
    expect(await failures()).toEqual([4, 4]);

    server.clock.advance(2_000);
    expect((await sweep())['quiet guess counters']).toBe(2);
    expect(await failures()).toEqual([undefined, undefined]);
    // Forgotten alike: both start over with their free guesses.
    for (const name of [known.email, unknown]) expect((await login(name, 'Wrong-Guess-1')).response.status).toBe(401);
  });

  it('reset checks of unknown addresses (their HMAC-keyed counters) go by the same rule', async () => {
    const unknown = unknownAddress();
    await sdk.validatePasswordReset({ client: server.client, body: { email: unknown, otp: '123456' } });
    const rows = () => server.deps.db('unknown_login_counters').where('key', 'like', 'password_reset:%').count({ n: '*' }).first();
    expect(Number((await rows())!.n)).toBeGreaterThan(0);
    server.clock.advance(QUIET_COUNTER_RETENTION_MS + 1_000);
    await sweep();
    expect(Number((await rows())!.n)).toBe(0);
  });

  it('reset secrets: expired ones go, live ones stay', async () => {
    await server.deps.db('password_reset_secrets').del();
    const first = await server.createUser();
    const second = await server.createUser();
    expect((await sendReset(first.email)).response.status).toBe(200);
    server.clock.advance(5 * 60_000);
    expect((await sendReset(second.email)).response.status).toBe(200);
    server.clock.advance(5 * 60_000); // the first is 10 minutes old: expired
    expect((await sweep())['expired reset secrets']).toBe(1);
    expect(await server.deps.db('password_reset_secrets').pluck('user_id')).toEqual([second.id]);
  });
});

describe('a sweep racing a guess', () => {
  it('loses no failure: a counter deleted between the guess\'s insert and its lock is created again', async () => {
    const db = server.deps.db;
    const key = `race-${randomBytes(4).toString('hex')}`;
    await db('unknown_login_counters').insert({ key, failures: 0 });
    // The "sweep" holds the row, so the guess's lock waits right after its insert found the row there…
    const sweeper = await db.transaction();
    await sweeper('unknown_login_counters').where({ key }).forUpdate().first();
    const guess = withTx(db, async (trx) => {
      await lockCounter(trx, { unknownLogin: key });
      await recordFailure(trx, { unknownLogin: key }, new Date(server.clock.now()));
    });
    const waiting = async () => Number((await db.raw("select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'")).rows[0].n);
    for (let i = 0; (await waiting()) === 0; i++) {
      if (i > 200) throw new Error('the guess never waited on the row lock');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // …then the row is deleted under it.
    await sweeper('unknown_login_counters').where({ key }).delete();
    await sweeper.commit();
    await guess;
    expect(await db('unknown_login_counters').where({ key }).first('failures')).toEqual({ failures: 1 });
  });
});

describe('deleteInBatches', () => {
  it('deletes every matching row in batches, and only those', async () => {
    await server.deps.db('mail_throttle').del();
    const old = new Date(0);
    await server.deps.db('mail_throttle').insert(Array.from({ length: 12 }, (_, i) => ({ key: `sweep-test:${i}`, last_sent_at: old })));
    await server.deps.db('mail_throttle').insert({ key: 'sweep-test:recent', last_sent_at: new Date(server.clock.now()) });
    expect(await deleteInBatches(server.deps.db, 'mail_throttle', (query) => query.where('last_sent_at', '<=', old), 5)).toBe(12);
    expect(await server.deps.db('mail_throttle').pluck('key')).toEqual(['sweep-test:recent']);
  });
});

describe('the mail worker runs the sweeps hourly', () => {
  let mailServer: MailTestServer;
  beforeAll(async () => {
    mailServer = await startMailTestServer();
  });
  afterAll(() => mailServer.close());

  it('an hour on, its next pass has swept the expired mail slot', async () => {
    const email = unknownAddress();
    expect((await sdk.sendPasswordReset({ client: mailServer.client, body: { email } })).response.status).toBe(200);
    await mailServer.worker.drain();
    expect(await mailServer.deps.db('mail_throttle').count({ n: '*' }).first()).toEqual({ n: 1 });
    mailServer.clock.advance(60 * 60_000);
    await mailServer.worker.drain();
    expect(await mailServer.deps.db('mail_throttle').count({ n: '*' }).first()).toEqual({ n: 0 });
  });
});
