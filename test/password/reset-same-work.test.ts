import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import * as sdk from '../../generated/sdk.gen.js';
import { hmacSha256 } from '../../src/crypto/hash.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * The reset operations must do the same database work for a known and an unknown email: the two
 * mail sends the same INSERTs (code, reset secret, outbox row), validatePasswordReset and
 * updatePasswordViaOtp (not a write transaction for one and a read-only one for the other: on a
 * server with fsync on, that is a WAL flush apart). Shown without timing: the statements each
 * request sends, as knex's `query` events see them, reduced to verb, table and row lock.
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

/** The two counter tables are the same work under two names (an account's, an unknown address's). */
const TABLE_ALIASES: Record<string, string> = { guess_counters: 'counter', unknown_login_counters: 'counter' };

function signature(sql: string): string {
  const text = sql.trim().toLowerCase();
  const verb = text.split(/\s+/)[0]!.replace(/;$/, '');
  const table = /(?:from|into|update)\s+"(\w+)"/.exec(text)?.[1];
  // A savepoint ends kept (RELEASE) for an account, rolled back for an unknown address.
  if (/^(release|rollback to) savepoint\b/.test(text)) return 'end savepoint';
  return [verb, table ? (TABLE_ALIASES[table] ?? table) : undefined, /for update/.test(text) ? 'for update' : undefined].filter(Boolean).join(' ');
}

/** The statements `request` sends, in order. */
async function statementsOf(request: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const listener = (query: { sql: string }) => seen.push(signature(query.sql));
  server.deps.db.on('query', listener);
  try {
    await request();
  } finally {
    server.deps.db.off('query', listener);
  }
  return seen;
}

const isWrite = (statement: string) => /^(insert|update|delete)\b/.test(statement) || statement.endsWith('for update');

describe('known and unknown emails: the same database work', () => {
  const operations = {
    validatePasswordReset: (email: string, otp: string) => sdk.validatePasswordReset({ client: server.client, body: { email, otp } }),
    updatePasswordViaOtp: (email: string, otp: string) => sdk.updatePasswordViaOtp({ client: server.client, body: { userEmail: email, otp, newPassword: 'Never-Set-2026' } }),
  };

  it.each(Object.keys(operations))('%s with a wrong 6-digit code: the same statements, each a committed write', async (name) => {
    const call = operations[name as keyof typeof operations];
    const known = await server.createUser();
    const unknown = `nobody-${randomBytes(4).toString('hex')}@example.com`;
    for (const email of [known.email, unknown]) {
      expect((await sdk.sendPasswordReset({ client: server.client, body: { email } })).response.status).toBe(200);
    }
    // Twice each: a first check and one on a counter that already exists.
    for (let round = 0; round < 2; round++) {
      const forKnown = await statementsOf(() => call(known.email, '000000'));
      const forUnknown = await statementsOf(() => call(unknown, '000000'));
      expect(forUnknown).toEqual(forKnown);
      expect(forKnown.filter((s) => s.startsWith('update'))).not.toEqual([]);
      expect(forKnown).toContain('commit');
    }
    // The unknown address's failures were recorded (and committed) like the account's.
    const key = `password_reset:${hmacSha256(server.deps.config.codeHashKey, 'unknown-reset', unknown).toString('base64url')}`;
    expect(await server.deps.db('unknown_login_counters').where({ key }).first('failures')).toEqual({ failures: 2 });
    const account = await server.deps.db('guess_counters').where({ user_id: known.id, factor: 'code:password_reset' }).first('failures');
    expect(account.failures).toBe(2);
  });

  it.each(Object.keys(operations))('%s with a wrong long secret: the same statements', async (name) => {
    const call = operations[name as keyof typeof operations];
    const known = await server.createUser();
    const unknown = `nobody-${randomBytes(4).toString('hex')}@example.com`;
    const secret = randomBytes(32).toString('base64url');
    const forKnown = await statementsOf(() => call(known.email, secret));
    const forUnknown = await statementsOf(() => call(unknown, secret));
    expect(forUnknown).toEqual(forKnown);
    expect(forKnown.some(isWrite)).toBe(false); // a single read each, nothing to flush for either
  });
});

describe('the reset mails: the same INSERTs for a known and an unknown email', () => {
  const sends = {
    sendPasswordReset: (email: string) => sdk.sendPasswordReset({ client: server.client, body: { email } }),
    postForgotPassword: (email: string) => sdk.postForgotPassword({ client: server.client, body: { email } }),
  };
  const STORED = ['one_time_codes', 'password_reset_secrets', 'mail_outbox'] as const;
  const rowCounts = async () =>
    Object.fromEntries(await Promise.all(STORED.map(async (table) => [table, Number((await server.deps.db(table).count({ n: '*' }).first())!.n)])));

  it.each(Object.keys(sends))('%s: the same statements, the stores kept for the account and rolled back for the unknown address', async (name) => {
    const send = sends[name as keyof typeof sends];
    const known = await server.createUser();
    const unknown = `nobody-${randomBytes(4).toString('hex')}@example.com`;
    server.clock.advance(60_000);

    const before = await rowCounts();
    const forKnown = await statementsOf(async () => expect((await send(known.email)).response.status).toBe(200));
    const afterKnown = await rowCounts();
    const forUnknown = await statementsOf(async () => expect((await send(unknown)).response.status).toBe(200));
    const afterUnknown = await rowCounts();

    expect(forUnknown).toEqual(forKnown);
    for (const table of STORED) expect(forKnown).toContain(`insert ${table}`);
    expect(forKnown).toContain('commit');
    // A new account: one row each was stored; the unknown address's identical inserts left nothing.
    expect(afterKnown).toEqual(Object.fromEntries(STORED.map((table) => [table, before[table]! + 1])));
    expect(afterUnknown).toEqual(afterKnown);
    expect(await server.deps.db('mail_outbox').where({ to_address: unknown }).first()).toBeUndefined();
    expect(await server.deps.db('mail_outbox').where({ to_address: known.email }).count({ n: '*' }).first()).toEqual({ n: 1 });
  });

  it.each(Object.keys(sends))('%s: the worker is nudged after the commit for the account, never for the unknown address', async (name) => {
    const send = sends[name as keyof typeof sends];
    const known = await server.createUser();
    const unknown = `nobody-${randomBytes(4).toString('hex')}@example.com`;
    server.clock.advance(60_000);
    const order = async (email: string) => {
      const log: string[] = [];
      const unlisten = server.deps.mail.signal.listen(() => log.push('nudge'));
      const listener = (query: { sql: string }) => log.push(signature(query.sql));
      server.deps.db.on('query', listener);
      try {
        expect((await send(email)).response.status).toBe(200);
      } finally {
        server.deps.db.off('query', listener);
        unlisten();
      }
      return log.slice(log.indexOf('end savepoint'));
    };
    // A nudge at the savepoint's end would wake the worker before it could see the row.
    expect(await order(known.email)).toEqual(['end savepoint', 'commit', 'nudge']);
    expect(await order(unknown)).toEqual(['end savepoint', 'commit']);
  });
});
