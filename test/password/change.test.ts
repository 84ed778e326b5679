import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { bearer } from '../support/server.js';
import { enableTotpFor, loginTokens } from '../support/two-factor.js';
import { startServerWithMail, sudoToken, type MailTestServer } from './support.js';

let server: MailTestServer;
beforeAll(async () => {
  server = await startServerWithMail();
});
afterAll(() => server.close());

const NEW_PASSWORD = 'Changed-Pass-31';
const change = (token: string | undefined, oldPassword: string, newPassword = NEW_PASSWORD) =>
  sdk.updatePasswordViaSudo({ client: server.client, headers: token ? bearer(token) : {}, body: { oldPassword, newPassword } });
const login = (username: string, password: string) => sdk.login({ client: server.client, body: { username, password } });

describe('PUT /user/password/old-password', () => {
  it('changes the password with an access token while 2FA is off, revokes every session and mails a notice', async () => {
    const user = await server.createUser();
    const other = await loginTokens(server, user);
    const { accessToken } = await loginTokens(server, user);

    const { response, data } = await change(accessToken, user.password);
    expect(response.status).toBe(200);
    expect(data).toBeNull();

    expect((await login(user.email, NEW_PASSWORD)).response.status).toBe(200);
    expect((await login(user.email, user.password)).error).toMatchObject({ message: 'PASSWORD_INCORRECT' });
    // Every earlier token is void: refresh tokens revoked, JWTs older than the change refused.
    expect((await sdk.getAccessToken({ client: server.client, headers: bearer(other.refreshToken) })).error).toMatchObject({ message: 'INVALID_TOKEN' });
    for (const token of [accessToken, other.accessToken]) {
      expect((await sdk.validateAccessToken({ client: server.client, headers: bearer(token) })).error).toMatchObject({ message: 'INVALID_TOKEN' });
    }
    const notice = await server.smtp.waitForMail(user.email);
    expect(notice.subject).toBe('Your SmartgridOne password was changed');
  });

  it('with 2FA on, needs a sudo token (401 SUDO_TOKEN_REQUIRED for an access token) and leaves 2FA on', async () => {
    const user = await server.createUser();
    const { accessToken } = await loginTokens(server, user);
    await enableTotpFor(server, user);

    const refused = await change(accessToken, user.password);
    expect(refused.response.status).toBe(401);
    expect(refused.error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'SUDO_TOKEN_REQUIRED' });

    expect((await change(await sudoToken(server, user.id), user.password)).response.status).toBe(200);
    expect((await login(user.email, NEW_PASSWORD)).error).toMatchObject({ message: '2FA_REQUIRED', methods: ['totp', 'recoveryCode'] });
  });

  it('answers 401 NO_TOKEN_PROVIDED without a token and INVALID_TOKEN for a refresh token', async () => {
    const user = await server.createUser();
    expect((await change(undefined, user.password)).error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'NO_TOKEN_PROVIDED' });
    const { refreshToken } = await loginTokens(server, user);
    expect((await change(refreshToken, user.password)).error).toMatchObject({ statusCode: 401, message: 'INVALID_TOKEN' });
  });

  it('counts a wrong old password in the password backoff shared with login: 401 PASSWORD_INCORRECT, then 429', async () => {
    const user = await server.createUser();
    const { accessToken } = await loginTokens(server, user);
    const wrong = await change(accessToken, 'Not-My-Password-1');
    expect(wrong.response.status).toBe(401);
    expect(wrong.error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'PASSWORD_INCORRECT' });
    await change(accessToken, 'Not-My-Password-2');
    await login(user.email, 'Not-My-Password-3'); // the same counter
    // 3 failures: the next guess waits 2^0 s and is neither evaluated nor counted.
    const early = await change(accessToken, user.password);
    expect(early.response.status).toBe(429);
    expect(early.error).toEqual({ statusCode: 429, error: 'Too many requests', message: 'TOO_MANY_FAILED_PASSWORD_CHECKS', retryAfter: 1 });
    expect(early.response.headers.get('retry-after')).toBe('1');
    server.clock.advance(1000);
    expect((await change(accessToken, user.password)).response.status).toBe(200);
    // The change reset the counter: the new password logs in at once.
    expect((await login(user.email, NEW_PASSWORD)).response.status).toBe(200);
  });

  it('answers 400 naming the rule before checking the old password', async () => {
    const user = await server.createUser();
    const { accessToken } = await loginTokens(server, user);
    for (const [password, message] of [
      ['Password1', 'newPassword must not be a commonly used password'],
      ['lowercase-only-1', 'newPassword must contain an uppercase letter'],
      ['UPPERCASE-ONLY-1', 'newPassword must contain a lowercase letter'],
      ['No-Digits-Here', 'newPassword must contain a digit'],
    ] as const) {
      const { response, error } = await change(accessToken, 'Whatever-Wrong-1', password);
      expect(response.status).toBe(400);
      expect(error).toEqual({ statusCode: 400, error: 'Bad Request', message });
    }
    // None of those counted as a password guess.
    for (let i = 0; i < 3; i++) expect((await login(user.email, user.password)).response.status).toBe(200);
    expect((await change(accessToken, user.password, 'Short1')).response.status).toBe(400);
  });

  it('counts characters, not UTF-16 units, and takes any script\'s letters for the rule', async () => {
    // 203 characters (emoji are one character each, two UTF-16 units): within 8–256.
    const user = await server.createUser();
    const emoji = `Aa1${'😀'.repeat(200)}`;
    const first = await change((await loginTokens(server, user)).accessToken, user.password, emoji);
    expect(first.response.status).toBe(200);
    // Lower- and upper-case letters outside A–Z are letters of their case.
    const umlauts = 'ÄÖÜäöü-2024';
    const second = await change((await loginTokens(server, { email: user.email, password: emoji })).accessToken, emoji, umlauts);
    expect(second.response.status).toBe(200);
    expect((await login(user.email, umlauts)).response.status).toBe(200);
  });

  it('answers 500 NO_PASSWORD_INFO when the account has no password, without counting a guess', async () => {
    const user = await server.createUser();
    const token = await sudoToken(server, user.id);
    await server.deps.db('users').where({ id: user.id }).update({ password_hash: null });
    for (let i = 0; i < 4; i++) {
      const { response, error } = await change(token, 'Anything-At-All-1');
      expect(response.status).toBe(500);
      expect(error).toEqual({ statusCode: 500, error: 'Internal server error', message: 'NO_PASSWORD_INFO' });
    }
  });

  it('of two parallel changes from one old password, one wins and the other is refused', async () => {
    const user = await server.createUser();
    const token = await sudoToken(server, user.id);
    const results = await Promise.all([change(token, user.password, 'Parallel-Alpha-1'), change(token, user.password, 'Parallel-Beta-2')]);
    expect(results.map((r) => r.response.status).sort()).toEqual([200, 401]);
    const winner = results[0]!.response.status === 200 ? 'Parallel-Alpha-1' : 'Parallel-Beta-2';
    expect((await login(user.email, winner)).response.status).toBe(200);
  });
});
