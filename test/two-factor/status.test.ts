import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { bearer, startTestServer, type TestServer } from '../support/server.js';
import { loginPartial, loginTokens, setupTotp, userWithTotp } from '../support/two-factor.js';
import { statementsDuring } from '../support/round-trips.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const status = (token?: string) => sdk.getTwoFa({ client: server.client, headers: token ? bearer(token) : {} });

describe('GET /user/2fa', () => {
  it('shows everything null and 2FA off for a new user', async () => {
    const user = await server.createUser();
    const { accessToken } = await loginTokens(server, user);
    const result = await status(accessToken);
    expect(result.response.status).toBe(200);
    expect(result.data).toEqual({ enabled: false, emailOtp: null, totp: null, webauthn: null, recoveryCodes: null });
  });

  it('shows a pending TOTP setup with completedAt null, 2FA still off', async () => {
    const user = await server.createUser();
    const { accessToken } = await loginTokens(server, user);
    await setupTotp(server, accessToken);
    expect((await status(accessToken)).data).toEqual({ enabled: false, emailOtp: null, totp: { completedAt: null }, webauthn: null, recoveryCodes: null });
  });

  it('shows an enabled TOTP and the recovery codes (when created, how many remain); partial tokens accepted', async () => {
    const enabledAt = new Date(server.clock.now()).toISOString();
    const { user, accessToken, recoveryCodes } = await userWithTotp(server);
    await sdk.verifyRecoveryCodes({ client: server.client, headers: bearer(accessToken), body: { recoveryCode: recoveryCodes[0]! } });
    const { partialToken } = await loginPartial(server, user);
    expect((await status(partialToken)).data).toEqual({
      enabled: true,
      emailOtp: null,
      totp: { completedAt: enabledAt },
      webauthn: null,
      recoveryCodes: { completedAt: enabledAt, remaining: 9 },
    });
  });

  it('reads email OTP rows as their schema has them: pending address with completedAt null, or the enabled address', async () => {
    const user = await server.createUser();
    const { accessToken } = await loginTokens(server, user);
    const now = new Date(server.clock.now());
    await server.deps.db('email_otp_factors').insert({ user_id: user.id, pending_email: 'pending@example.com', pending_created_at: now });
    expect((await status(accessToken)).data!.emailOtp).toEqual({ email: 'pending@example.com', completedAt: null });
    expect((await status(accessToken)).data!.enabled).toBe(false);
    await server.deps.db('email_otp_factors').where({ user_id: user.id }).update({ email: 'active@example.com', completed_at: now });
    const result = await status(accessToken);
    expect(result.data!.emailOtp).toEqual({ email: 'active@example.com', completedAt: now.toISOString() });
    expect(result.data!.enabled).toBe(true);
  });

  it('answers 401 NO_TOKEN_PROVIDED and INVALID_TOKEN (a refresh token is not accepted)', async () => {
    expect((await status()).error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'NO_TOKEN_PROVIDED' });
    const user = await server.createUser();
    const { refreshToken } = await loginTokens(server, user);
    expect((await status(refreshToken)).error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'INVALID_TOKEN' });
  });
});

describe('GET /user/2fa round trips', () => {
  it('answers in one statement: the overview, which also checks the token\'s user row and session', async () => {
    const { accessToken } = await userWithTotp(server);
    const statements = await statementsDuring(server.deps.db, async () => {
      const result = await status(accessToken);
      expect(result.data!.enabled).toBe(true);
    });
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(/from users u where u\.id = \$1 and u\.password_changed_at = \$2 and u\.disabled_at is null and exists \(select 1 from \(select user_id, ended_at, expires_at from sessions where id = \$3 limit 1\) s/);
  });

  it('still refuses a token voided by a password change or of a deleted user: 401 INVALID_TOKEN', async () => {
    const invalid = { statusCode: 401, error: 'Unauthorized', message: 'INVALID_TOKEN' };
    const { user, accessToken } = await userWithTotp(server);
    expect((await status(accessToken)).response.status).toBe(200);
    await server.deps.db('users').where({ id: user.id }).update({ password_changed_at: new Date(server.clock.now() + 1000) });
    expect((await status(accessToken)).error).toEqual(invalid);

    const other = await server.createUser();
    const { accessToken: otherToken } = await loginTokens(server, other);
    await server.deps.db('users').where({ id: other.id }).delete();
    expect((await status(otherToken)).error).toEqual(invalid);
  });

  it('refuses an access token whose session ended, or of a disabled account: 401 INVALID_TOKEN', async () => {
    const invalid = { statusCode: 401, error: 'Unauthorized', message: 'INVALID_TOKEN' };
    const { user, accessToken } = await userWithTotp(server);
    const secondUser = await server.createUser();
    const { accessToken: second } = await loginTokens(server, secondUser);
    expect((await status(accessToken)).response.status).toBe(200);
    expect((await status(second)).response.status).toBe(200);
    await server.deps.db('sessions').where({ user_id: user.id }).update({ ended_at: new Date(server.clock.now()) });
    expect((await status(accessToken)).error).toEqual(invalid);
    await server.deps.db('users').where({ id: secondUser.id }).update({ disabled_at: new Date(server.clock.now()) });
    expect((await status(second)).error).toEqual(invalid);
  });
});
