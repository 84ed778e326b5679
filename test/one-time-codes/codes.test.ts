import { createHash, createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTx } from '../../src/db/tx.js';
import { checkCode, issueCode } from '../../src/one-time-codes/codes.js';
import { claimMailSlot, mailSlotWait } from '../../src/one-time-codes/throttle.js';
import { wrongCode } from '../support/codes.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const issue = (userId: string) => withTx(server.deps.db, (trx) => issueCode(trx, server.deps, userId, 'email_transfer', 'new@example.com'));
const check = (userId: string, code: string, consume = true) =>
  withTx(server.deps.db, (trx) => checkCode(trx, server.deps, { userId, purpose: 'email_transfer', code, consume }));

describe('one-time codes', () => {
  it('are 6 digits, stored as a keyed HMAC, and carry their target address', async () => {
    const user = await server.createUser();
    const code = await issue(user.id);
    expect(code).toMatch(/^\d{6}$/);
    const rows = await server.deps.db('one_time_codes').where({ user_id: user.id });
    expect(rows).toHaveLength(1);
    // The keyed HMAC (CODE_HASH_KEY) over purpose, user and code, computed here independently: a
    // plain hash, or one without the user or purpose, would not match.
    const expected = createHmac('sha256', server.deps.config.codeHashKey).update(['one-time-code', 'email_transfer', user.id, code].join('\0')).digest();
    expect(Buffer.compare(rows[0].code_hash, expected)).toBe(0);
    expect(rows[0].code_hash.equals(createHash('sha256').update(code).digest())).toBe(false);
    expect(await check(user.id, code)).toEqual({ valid: true, targetEmail: 'new@example.com' });
  });

  it('are single use, also under concurrency', async () => {
    const user = await server.createUser();
    const code = await issue(user.id);
    const results = await Promise.all(Array.from({ length: 10 }, () => check(user.id, code)));
    expect(results.filter((r) => r.valid)).toHaveLength(1);
  });

  it('can be checked without being consumed', async () => {
    const user = await server.createUser();
    const code = await issue(user.id);
    expect((await check(user.id, code, false)).valid).toBe(true);
    expect((await check(user.id, code, true)).valid).toBe(true);
    expect((await check(user.id, code, true)).valid).toBe(false);
  });

  it('expire after 10 minutes', async () => {
    const user = await server.createUser();
    const code = await issue(user.id);
    server.clock.advance(10 * 60 * 1000);
    expect((await check(user.id, code)).valid).toBe(false);
  });

  it('burn after 5 wrong tries, and concurrent wrong tries are all counted', async () => {
    const user = await server.createUser();
    const code = await issue(user.id);
    await Promise.all(Array.from({ length: 5 }, () => check(user.id, wrongCode(code))));
    expect((await server.deps.db('one_time_codes').where({ user_id: user.id }).first()).failed_attempts).toBe(5);
    expect((await check(user.id, code)).valid).toBe(false);
  });

  it('a new code replaces the old; a resend keeps the failure count of a live code', async () => {
    const user = await server.createUser();
    const first = await issue(user.id);
    for (let i = 0; i < 4; i++) await check(user.id, wrongCode(first));
    const second = await issue(user.id);
    expect((await check(user.id, first)).valid).toBe(first === second);
    // One more wrong try burns the new code too: resending bought no extra guesses.
    await check(user.id, wrongCode(second));
    expect((await check(user.id, second)).valid).toBe(false);
    // Once burned, a new code starts afresh.
    const third = await issue(user.id);
    expect((await check(user.id, third)).valid).toBe(true);
  });
});

describe('wrong codes across resends', () => {
  it('stop being checked after 10 in a day, until a day has passed; a right code resets the count', async () => {
    const user = await server.createUser();
    // Two burned codes (5 wrong tries each), each replaced by a resend: 10 wrong guesses.
    for (let round = 0; round < 2; round++) {
      const code = await issue(user.id);
      for (let i = 0; i < 5; i++) expect((await check(user.id, wrongCode(code))).valid).toBe(false);
      server.clock.advance(60_000);
    }
    // The cap is reached: even the right code of a fresh mail is refused, and nothing is counted.
    const capped = await issue(user.id);
    expect((await check(user.id, capped)).valid).toBe(false);
    expect((await server.deps.db('one_time_codes').where({ user_id: user.id }).first()).failed_attempts).toBe(0);

    server.clock.advance(24 * 60 * 60 * 1000);
    const fresh = await issue(user.id);
    expect((await check(user.id, wrongCode(fresh), false)).valid).toBe(false);
    expect((await check(user.id, fresh)).valid).toBe(true);
    const counter = await server.deps.db('guess_counters').where({ user_id: user.id, factor: 'code:email_transfer' }).first();
    expect(counter.failures).toBe(0);
  });
});

describe('mail throttle', () => {
  it('allows one mail per purpose and subject per 60 s, atomically', async () => {
    const claims = await Promise.all(Array.from({ length: 5 }, () => withTx(server.deps.db, (trx) => claimMailSlot(trx, server.deps, 'test', 'a@example.com'))));
    expect(claims.filter((wait) => wait === 0)).toHaveLength(1);
    expect(claims.filter((wait) => wait === 60)).toHaveLength(4);
    server.clock.advance(59_200);
    expect(await mailSlotWait(server.deps.db, server.deps, 'test', 'a@example.com')).toBe(1);
    expect(await withTx(server.deps.db, (trx) => claimMailSlot(trx, server.deps, 'other', 'a@example.com'))).toBe(0);
    server.clock.advance(800);
    expect(await withTx(server.deps.db, (trx) => claimMailSlot(trx, server.deps, 'test', 'a@example.com'))).toBe(0);
  });
});
