import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { bearer, startTestServer, type TestServer } from '../support/server.js';
import { mintToken } from '../support/server-with-smtp.js';
import { wrongCode } from '../support/codes.js';
import { totpCode } from '../support/totp.js';
import { enableEmailOtpFor, loginPartial, loginTokens, setupTotp, sudoViaTotp, userWithTotp } from '../support/two-factor.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const remove = (token?: string) => sdk.removeTotp({ client: server.client, headers: token ? bearer(token) : {} });

describe('DELETE /user/2fa/totp', () => {
  it('turns TOTP off with a sudo token; the last method off deletes the recovery codes and clears the guess counters', async () => {
    const { user, url, accessToken } = await userWithTotp(server);
    await sdk.verifyTotp({ client: server.client, headers: bearer(accessToken), body: { totp: wrongCode(url, server.clock.now()) } });
    const sudoToken = await sudoViaTotp(server, accessToken, url);
    await sdk.verifyTotp({ client: server.client, headers: bearer(accessToken), body: { totp: wrongCode(url, server.clock.now()) } });
    const result = await remove(sudoToken);
    expect(result.response.status).toBe(200);
    expect(result.data).toBeNull();
    expect(result.response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await server.deps.db('recovery_codes').where({ user_id: user.id })).toEqual([]);
    expect(await server.deps.db('guess_counters').where({ user_id: user.id, factor: 'totp' }).first('failures')).toEqual({ failures: 0 });
    const status = await sdk.getTwoFa({ client: server.client, headers: bearer(accessToken) });
    expect(status.data).toEqual({ enabled: false, emailOtp: null, totp: null, webauthn: null, recoveryCodes: null });
    await loginTokens(server, user); // a refresh token again
  });

  it('keeps 2FA and the recovery codes while another method stays active', async () => {
    const { user, url, accessToken } = await userWithTotp(server);
    // Email OTP as the second method (through the API, which needs a sudo token now).
    expect(await enableEmailOtpFor(server, await sudoViaTotp(server, accessToken, url), user.email)).toEqual([]);
    const sudoToken = await sudoViaTotp(server, accessToken, url);
    expect((await remove(sudoToken)).response.status).toBe(200);
    expect(await server.deps.db('recovery_codes').where({ user_id: user.id }).count({ n: '*' })).toEqual([{ n: 10 }]);
    expect((await loginPartial(server, user)).methods).toEqual(['emailOtp', 'recoveryCode']);
  });

  it('answers 409 TOTP_ALREADY_INACTIVE when TOTP is not active (never set up, only pending, already removed)', async () => {
    const never = await server.createUser();
    const neverSudo = await mintToken(server, never.id, 'sudo');
    const neverSetUp = await remove(neverSudo);
    expect(neverSetUp.response.status).toBe(409);
    expect(neverSetUp.error).toEqual({ statusCode: 409, error: 'Conflict', message: 'TOTP_ALREADY_INACTIVE' });
    expect(await server.deps.db('totp_factors').where({ user_id: never.id })).toEqual([]);

    const { url, accessToken } = await userWithTotp(server);
    const sudoToken = await sudoViaTotp(server, accessToken, url);
    expect((await remove(sudoToken)).response.status).toBe(200);
    const again = await remove(sudoToken);
    expect(again.response.status).toBe(409);
    expect(again.error).toEqual({ statusCode: 409, error: 'Conflict', message: 'TOTP_ALREADY_INACTIVE' });
    await setupTotp(server, sudoToken);
    expect((await remove(sudoToken)).error).toMatchObject({ statusCode: 409, message: 'TOTP_ALREADY_INACTIVE' });
  });

  it('remembers the last accepted step after removal: re-enabling in the same step needs the next one', async () => {
    const { user, url, accessToken } = await userWithTotp(server);
    const sudoToken = await sudoViaTotp(server, accessToken, url);
    const usedStep = (await server.deps.db('totp_factors').where({ user_id: user.id }).first('last_used_step')).last_used_step;
    expect((await remove(sudoToken)).response.status).toBe(200);
    const fresh = await setupTotp(server, sudoToken);
    const sameStep = await sdk.completeTotp({ client: server.client, headers: bearer(accessToken), body: { totp: totpCode(fresh, server.clock.now()) } });
    expect(sameStep.error).toMatchObject({ statusCode: 401, message: 'TOTP_INVALID' });
    expect((await server.deps.db('totp_factors').where({ user_id: user.id }).first('last_used_step')).last_used_step).toBe(usedStep);
    server.clock.advance(30_000);
    const next = await sdk.completeTotp({ client: server.client, headers: bearer(accessToken), body: { totp: totpCode(fresh, server.clock.now()) } });
    expect(next.response.status).toBe(200);
    expect(next.data!.recoveryCodes).toHaveLength(10); // first method again
  });

  it('never deadlocks with TOTP and recovery-code guesses running at the same time', async () => {
    for (let round = 0; round < 3; round++) {
      const { url, accessToken, recoveryCodes } = await userWithTotp(server);
      const sudoToken = await sudoViaTotp(server, accessToken, url);
      server.clock.advance(30_000);
      const code = totpCode(url, server.clock.now());
      const results = await Promise.all([
        ...recoveryCodes.slice(0, 3).map((recoveryCode) => sdk.verifyRecoveryCodes({ client: server.client, headers: bearer(accessToken), body: { recoveryCode } })),
        ...[0, 1, 2].map(() => sdk.verifyTotp({ client: server.client, headers: bearer(accessToken), body: { totp: code } })),
        remove(sudoToken),
      ]);
      expect(results.map((r) => r.response.status).filter((s) => s >= 500)).toEqual([]);
      expect(results.at(-1)!.response.status).toBe(200);
    }
  });

  it('takes only a sudo token: 401 SUDO_TOKEN_REQUIRED for access, INVALID_TOKEN for partial, NO_TOKEN_PROVIDED for none', async () => {
    const { user, accessToken } = await userWithTotp(server);
    expect((await remove(accessToken)).error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'SUDO_TOKEN_REQUIRED' });
    const { partialToken } = await loginPartial(server, user);
    expect((await remove(partialToken)).error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'INVALID_TOKEN' });
    expect((await remove()).error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'NO_TOKEN_PROVIDED' });
    expect((await server.deps.db('totp_factors').where({ user_id: user.id }).first('completed_at')).completed_at).not.toBeNull();
  });
});
