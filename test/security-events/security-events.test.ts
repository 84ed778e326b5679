import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { withTx } from '../../src/db/tx.js';
import { recordSecurityEvent } from '../../src/security-events/record.js';
import { endUserSessions } from '../../src/sessions/end.js';
import { runSweeps } from '../../src/sweep/index.js';
import { bearer, startTestServer, type TestServer } from '../support/server.js';
import { loginPartial, loginTokens, sudoViaTotp, userWithTotp } from '../support/two-factor.js';
import { wrongCode } from '../support/codes.js';

const DAY_MS = 24 * 3600 * 1000;
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const page = (token: string, query: { before?: string; limit?: number } = {}) =>
  sdk.listSecurityEvents({ client: server.client, headers: { ...bearer(token), 'user-agent': 'Reader/1.0' }, query });
const types = async (token: string) => (await page(token, { limit: 100 })).data!.events.map((e) => e.type);
const rowsOf = (userId: string) => server.deps.db('security_events').where({ user_id: userId }).orderBy('id').select('type', 'detail');

describe('security events are written once each, with the change', () => {
  it('sign-in, 2FA enabled, failed second factors and the backoff, recovery codes reset and used, method removed', async () => {
    const { user, url, accessToken } = await userWithTotp(server);
    const { partialToken } = await loginPartial(server, user);
    for (let i = 0; i < 3; i++) {
      server.clock.advance(30_000);
      const failed = await sdk.verifyTotp({ client: server.client, headers: { ...bearer(partialToken), 'user-agent': 'Guesser/1.0' }, body: { totp: wrongCode(url, server.clock.now()) } });
      expect(failed.response.status).toBe(401);
    }
    server.clock.advance(60_000);
    const sudoToken = await sudoViaTotp(server, accessToken, url);
    const reset = await sdk.resetRecoveryCodes({ client: server.client, headers: bearer(sudoToken), body: {} });
    const used = await sdk.verifyRecoveryCodes({ client: server.client, headers: bearer(partialToken), body: { recoveryCode: reset.data!.recoveryCodes[0]! } });
    expect(used.response.status).toBe(200);
    expect((await sdk.removeTotp({ client: server.client, headers: bearer(sudoToken) })).response.status).toBe(200);

    expect(await rowsOf(user.id)).toEqual([
      { type: 'login_succeeded', detail: { method: 'password', sessionId: expect.any(String) } },
      { type: 'method_enabled', detail: { method: 'totp' } },
      { type: 'second_factor_failed', detail: { factor: 'totp' } },
      { type: 'second_factor_failed', detail: { factor: 'totp' } },
      { type: 'second_factor_failed', detail: { factor: 'totp' } },
      { type: 'backoff_engaged', detail: { factor: 'totp', failures: 3 } },
      // The step-up with TOTP continues the caller's session: no new sign-in.
      { type: 'recovery_codes_reset', detail: {} },
      { type: 'recovery_code_used', detail: { remaining: 9 } },
      { type: 'login_succeeded', detail: { method: 'recoveryCode', sessionId: expect.any(String) } },
      { type: 'method_removed', detail: { method: 'totp' } },
    ]);
    const [newest] = (await page(accessToken)).data!.events;
    expect(newest).toMatchObject({ type: 'method_removed', address: '127.0.0.1' });
    const failures = (await page(accessToken, { limit: 100 })).data!.events.filter((e) => e.type === 'second_factor_failed');
    expect(failures.map((e) => e.userAgent)).toEqual(['Guesser/1.0', 'Guesser/1.0', 'Guesser/1.0']);
  });

  it('a wrong password is login_failed; a change with the old password is password_changed', async () => {
    const user = await server.createUser();
    expect((await sdk.login({ client: server.client, body: { username: user.email, password: 'Wrong-Pass-1' } })).response.status).toBe(401);
    const { accessToken } = await loginTokens(server, user);
    await sdk.updatePasswordViaSudo({ client: server.client, headers: bearer(accessToken), body: { oldPassword: user.password, newPassword: 'Other-Pass-42' } });
    const rows = await rowsOf(user.id);
    expect(rows.map((r) => r.type)).toEqual(['login_failed', 'login_succeeded', 'session_ended', 'password_changed']);
    expect(rows[0]!.detail).toEqual({ factor: 'password' });
  });

  it('an event rolls back with its change: a failing transaction leaves neither', async () => {
    const user = await server.createUser();
    const { accessToken } = await loginTokens(server, user);
    const before = await rowsOf(user.id);
    await expect(
      withTx(server.deps.db, async (trx) => {
        await endUserSessions(trx, server.deps, { userId: user.id, which: 'all', reason: 'ended_by_user' });
        await recordSecurityEvent(trx, server.deps, { userId: user.id, type: 'email_changed' });
        throw new Error('the change fails after its writes');
      }),
    ).rejects.toThrow('the change fails');
    expect(await rowsOf(user.id)).toEqual(before);
    expect((await sdk.validateAccessToken({ client: server.client, headers: bearer(accessToken) })).response.status).toBe(200);
  });
});

describe('GET /user/security-events', () => {
  it('pages newest first with the before cursor, no event twice, next null on the last page', async () => {
    const user = await server.createUser();
    for (let i = 0; i < 4; i++) await loginTokens(server, user);
    const { accessToken } = await loginTokens(server, user); // 5 login_succeeded
    const first = await page(accessToken, { limit: 2 });
    expect(first.response.status).toBe(200);
    expect(first.data!.events).toHaveLength(2);
    const second = await page(accessToken, { limit: 2, before: first.data!.next! });
    const third = await page(accessToken, { limit: 2, before: second.data!.next! });
    expect(third.data!.events).toHaveLength(1);
    expect(third.data!.next).toBeNull();
    const ids = [...first.data!.events, ...second.data!.events, ...third.data!.events].map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(new Set(ids).size).toBe(5);
    // Default page size 50: everything here in one page.
    expect((await page(accessToken)).data!.events).toHaveLength(5);
    // Another user's history is not visible.
    const stranger = await loginTokens(server, await server.createUser());
    expect(await types(stranger.accessToken)).toEqual(['login_succeeded']);
  });

  it('400 for a bad cursor or limit, 401 without a token', async () => {
    const { accessToken } = await loginTokens(server, await server.createUser());
    for (const query of [{ before: 'abc' }, { limit: 0 }, { limit: 101 }]) {
      const bad = await page(accessToken, query as never);
      expect(bad.response.status).toBe(400);
      expect(bad.error).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    }
    expect((await sdk.listSecurityEvents({ client: server.client })).error).toMatchObject({ statusCode: 401, message: 'NO_TOKEN_PROVIDED' });
  });

  it('events older than SECURITY_EVENT_RETENTION_DAYS are swept, newer ones stay', async () => {
    const user = await server.createUser();
    await loginTokens(server, user);
    server.clock.advance(300 * DAY_MS);
    await loginTokens(server, user);
    server.clock.advance(100 * DAY_MS + 1000);
    const deleted = await runSweeps(server.deps);
    expect(deleted['old security events']).toBeGreaterThanOrEqual(1);
    // The first login's event (400 days and 1 s old) is gone, the second's (100 days) stays.
    const left = await server.deps.db('security_events').where({ user_id: user.id }).select('at');
    expect(left.map((r) => r.at.getTime())).toEqual([server.clock.now() - 100 * DAY_MS - 1000]);
  });
});
