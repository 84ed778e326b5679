import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { mintToken } from '../support/server-with-smtp.js';
import { bearer, startTestServer, type TestServer } from '../support/server.js';
import { loginPartial, loginTokens, sudoViaTotp, userWithTotp } from '../support/two-factor.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const reset = (token?: string, body: object = {}) =>
  sdk.resetRecoveryCodes({ client: server.client, headers: token ? bearer(token) : {}, body: body as never });

describe('POST /user/2fa/recovery-code/reset', () => {
  it('replaces all codes with 10 new ones (sudo token); the old ones stop working', async () => {
    const { user, url, accessToken, recoveryCodes } = await userWithTotp(server);
    await sdk.verifyRecoveryCodes({ client: server.client, headers: bearer(accessToken), body: { recoveryCode: recoveryCodes[0]! } });
    const sudoToken = await sudoViaTotp(server, accessToken, url);
    const result = await reset(sudoToken);
    expect(result.response.status).toBe(200);
    const fresh = result.data!.recoveryCodes;
    expect(fresh).toHaveLength(10);
    expect(new Set(fresh).size).toBe(10);
    expect(fresh.some((c) => recoveryCodes.includes(c))).toBe(false);
    expect(await server.deps.db('recovery_codes').where({ user_id: user.id }).whereNull('used_at').count({ n: '*' })).toEqual([{ n: 10 }]);
    const old = await sdk.verifyRecoveryCodes({ client: server.client, headers: bearer(accessToken), body: { recoveryCode: recoveryCodes[1]! } });
    expect(old.error).toMatchObject({ statusCode: 401, message: 'RECOVERY_CODE_INVALID' });
    const { partialToken } = await loginPartial(server, user);
    expect((await sdk.verifyRecoveryCodes({ client: server.client, headers: bearer(partialToken), body: { recoveryCode: fresh[9]! } })).response.status).toBe(200);
  });

  it('answers 409 2FA_IS_DISABLED when no method is active', async () => {
    const user = await server.createUser();
    await server.deps.db('totp_factors').insert({ user_id: user.id, pending_secret_enc: 'k1.pending', pending_created_at: new Date(server.clock.now()) });
    await loginTokens(server, user); // a pending setup is not 2FA: login still gives a refresh token
    // Without 2FA no second factor can hand out a sudo token; sign one as the service would.
    const sudoToken = await mintToken(server, user.id, 'sudo');
    const result = await reset(sudoToken);
    expect(result.response.status).toBe(409);
    expect(result.error).toEqual({ statusCode: 409, error: 'Conflict', message: '2FA_IS_DISABLED' });
    expect(await server.deps.db('recovery_codes').where({ user_id: user.id })).toEqual([]);
  });

  it('takes only a sudo token, and an empty body', async () => {
    const { user, url, accessToken } = await userWithTotp(server);
    expect((await reset(accessToken)).error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'SUDO_TOKEN_REQUIRED' });
    const { partialToken } = await loginPartial(server, user);
    expect((await reset(partialToken)).error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'INVALID_TOKEN' });
    expect((await reset()).error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'NO_TOKEN_PROVIDED' });
    const sudoToken = await sudoViaTotp(server, accessToken, url);
    const bad = await reset(sudoToken, { count: 20 });
    expect(bad.response.status).toBe(400);
    expect(bad.error).toMatchObject({ statusCode: 400, error: 'Bad Request' });
  });
});
