import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const attempt = (username: string, password: string) => sdk.login({ client: server.client, body: { username, password } });
const failures = async (userId: string) =>
  (await server.deps.db('guess_counters').where({ user_id: userId, factor: 'password' }).first('failures'))?.failures ?? 0;

describe('password backoff (per account)', () => {
  it('lets 3 failures through, then makes each guess wait 2^(n-3) s, answering 429 with Retry-After', async () => {
    const user = await server.createUser();
    for (let i = 0; i < 3; i++) expect((await attempt(user.email, 'Wrong-pass-1')).response.status).toBe(401);

    // n = 3 → 1 s wait. An early guess, even the right password, is refused and not evaluated.
    const early = await attempt(user.email, user.password);
    expect(early.response.status).toBe(429);
    expect(early.error).toEqual({ statusCode: 429, error: 'Too many requests', message: 'TOO_MANY_FAILED_PASSWORD_CHECKS', retryAfter: 1 });
    expect(early.response.headers.get('retry-after')).toBe('1');
    expect(await failures(user.id)).toBe(3);

    server.clock.advance(1000);
    expect((await attempt(user.email, 'Wrong-pass-1')).response.status).toBe(401); // n = 4 → 2 s
    server.clock.advance(1500);
    const stillEarly = await attempt(user.email, user.password);
    expect(stillEarly.error).toMatchObject({ retryAfter: 1 }); // 0.5 s left, rounded up
    server.clock.advance(500);
    expect((await attempt(user.email, user.password)).response.status).toBe(200);
    expect(await failures(user.id)).toBe(0);
  });

  it('caps the wait at 15 minutes', async () => {
    const user = await server.createUser();
    await server.deps.db('guess_counters').insert({ user_id: user.id, factor: 'password', failures: 40, last_failure_at: new Date(server.clock.now()) });
    const { error } = await attempt(user.email, user.password);
    expect(error).toMatchObject({ message: 'TOO_MANY_FAILED_PASSWORD_CHECKS', retryAfter: 900 });
  });

  it('counts two concurrent wrong passwords both', async () => {
    const user = await server.createUser();
    const results = await Promise.all([attempt(user.email, 'Wrong-pass-1'), attempt(user.email, 'Wrong-pass-2')]);
    expect(results.map((r) => r.response.status)).toEqual([401, 401]);
    expect(await failures(user.id)).toBe(2);
  });

  it('is per account: another user is not slowed down', async () => {
    const locked = await server.createUser();
    const other = await server.createUser();
    for (let i = 0; i < 4; i++) await attempt(locked.email, 'Wrong-pass-1');
    expect((await attempt(locked.email, locked.password)).response.status).toBe(429);
    expect((await attempt(other.email, other.password)).response.status).toBe(200);
  });
});

describe('unknown login names', () => {
  it('get the same backoff and the same 429 as an account, so the answers do not tell them apart', async () => {
    const user = await server.createUser();
    const known: unknown[] = [];
    const unknown: unknown[] = [];
    for (let i = 0; i < 5; i++) {
      const a = await attempt(user.email, 'Wrong-pass-1');
      const b = await attempt('no-such-user@example.com', 'Wrong-pass-1');
      known.push([a.response.status, a.error, a.response.headers.get('retry-after')]);
      unknown.push([b.response.status, b.error, b.response.headers.get('retry-after')]);
    }
    expect(unknown).toEqual(known);
    expect(known.map((k) => (k as unknown[])[0])).toEqual([401, 401, 401, 429, 429]);
    // Names are counted case-insensitively, like accounts, and stored only as HMACs.
    expect((await attempt('No-Such-User@Example.com', 'Wrong-pass-1')).response.status).toBe(429);
    // One row, keyed by the HMAC (CODE_HASH_KEY) of the normalized name, computed here independently.
    const rows = await server.deps.db('unknown_login_counters').select('key');
    const expectedKey = createHmac('sha256', server.deps.config.codeHashKey).update('unknown-login\0no-such-user@example.com').digest('base64url');
    expect(rows.filter((r) => r.key === expectedKey)).toHaveLength(1);
    expect(rows.some((r) => r.key.includes('no-such-user'))).toBe(false);
  });
});
