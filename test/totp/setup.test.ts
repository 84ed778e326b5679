import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { decryptSecret } from '../../src/crypto/aead.js';
import { bearer, startTestServer, type TestServer } from '../support/server.js';
import { base32Decode, parseOtpauthUrl, totpCode } from '../support/totp.js';
import { loginPartial, loginTokens, setupTotp, sudoViaTotp, userWithTotp } from '../support/two-factor.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ totpIssuer: 'Smart Grid:One' });
});
afterAll(() => server.close());

describe('POST /user/2fa/totp/setup', () => {
  it('returns an otpauth URL with a fresh 160-bit secret, issuer and email percent-encoded', async () => {
    const user = await server.createUser(`ada+totp-${Date.now()}@example.com`);
    const { accessToken } = await loginTokens(server, user);
    const url = await setupTotp(server, accessToken);
    expect(url).toMatch(/^otpauth:\/\/totp\/Smart%20Grid%3AOne:ada%2Btotp-\d+%40example\.com\?secret=[A-Z2-7]{32}&issuer=Smart%20Grid%3AOne&algorithm=SHA1&digits=6&period=30$/);
    const parsed = parseOtpauthUrl(url);
    expect(parsed.account).toBe(user.email);
    expect(parsed.issuerInLabel).toBe('Smart Grid:One');
    expect(base32Decode(parsed.secret).length).toBeGreaterThanOrEqual(20);
    expect(await setupTotp(server, accessToken)).not.toBe(url);
  });

  it('stores the secret encrypted, bound to the user, as pending (TOTP stays off)', async () => {
    const user = await server.createUser();
    const { accessToken } = await loginTokens(server, user);
    const { secret } = parseOtpauthUrl(await setupTotp(server, accessToken));
    const row = await server.deps.db('totp_factors').where({ user_id: user.id }).first();
    expect(row.secret_enc).toBeNull();
    expect(row.completed_at).toBeNull();
    expect(row.pending_secret_enc).toMatch(/^k1\./);
    expect(row.pending_secret_enc).not.toContain(secret);
    const keys = server.deps.config.totpEncryptionKeys;
    expect(decryptSecret(keys, row.pending_secret_enc, `totp_factors:${user.id}`)).toBe(secret);
    expect(() => decryptSecret(keys, row.pending_secret_enc, 'totp_factors:someone-else')).toThrow();
    // Still no 2FA: login gives a refresh token.
    await loginTokens(server, user);
  });

  it('takes a sudo token when 2FA is on; an access token then gets 401 SUDO_TOKEN_REQUIRED', async () => {
    const { url, accessToken } = await userWithTotp(server);
    const refused = await sdk.initiateTotp({ client: server.client, headers: bearer(accessToken), body: {} });
    expect(refused.response.status).toBe(401);
    expect(refused.error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'SUDO_TOKEN_REQUIRED' });
    const sudoToken = await sudoViaTotp(server, accessToken, url);
    expect(await setupTotp(server, sudoToken)).toMatch(/^otpauth:/);
  });

  it('answers 401 NO_TOKEN_PROVIDED without a token and INVALID_TOKEN for a partial or forged token', async () => {
    const none = await sdk.initiateTotp({ client: server.client, body: {} });
    expect(none.response.status).toBe(401);
    expect(none.error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'NO_TOKEN_PROVIDED' });
    const forged = await sdk.initiateTotp({ client: server.client, headers: bearer('not.a.jwt'), body: {} });
    expect(forged.error).toMatchObject({ statusCode: 401, message: 'INVALID_TOKEN' });
    const { user } = await userWithTotp(server);
    const { partialToken } = await loginPartial(server, user);
    const partial = await sdk.initiateTotp({ client: server.client, headers: bearer(partialToken), body: {} });
    expect(partial.response.status).toBe(401);
    expect(partial.error).toMatchObject({ message: 'INVALID_TOKEN' });
  });

  it('answers 400 for a body with unknown properties', async () => {
    const user = await server.createUser();
    const { accessToken } = await loginTokens(server, user);
    const bad = await sdk.initiateTotp({ client: server.client, headers: bearer(accessToken), body: { secret: 'MINE' } as never });
    expect(bad.response.status).toBe(400);
    expect(bad.error).toMatchObject({ statusCode: 400, error: 'Bad Request', message: 'body must NOT have additional properties' });
    expect(await server.deps.db('totp_factors').where({ user_id: user.id }).first()).toBeUndefined();
  });

  it('setup (with an access token) racing enable: exactly one wins, as if it had run first', async () => {
    for (let i = 0; i < 5; i++) {
      const user = await server.createUser();
      const { accessToken } = await loginTokens(server, user);
      const code = totpCode(await setupTotp(server, accessToken), server.clock.now());
      const [enable, setup] = await Promise.all([
        sdk.completeTotp({ client: server.client, headers: bearer(accessToken), body: { totp: code } }),
        sdk.initiateTotp({ client: server.client, headers: bearer(accessToken), body: {} }),
      ]);
      const outcome = `enable ${enable.response.status}, setup ${setup.response.status}`;
      expect([enable.response.status, setup.response.status].sort(), outcome).toEqual([200, 401]);
      const status = (await sdk.getTwoFa({ client: server.client, headers: bearer(accessToken) })).data!;
      if (enable.response.status === 200) {
        // Enable first: 2FA is on, so an access token no longer sets up a method.
        expect(setup.error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'SUDO_TOKEN_REQUIRED' });
        expect(status).toMatchObject({ enabled: true });
      } else {
        // Setup first: its new secret replaced the one the code came from.
        expect(enable.error).toMatchObject({ statusCode: 401, message: 'TOTP_INVALID' });
        expect(status).toMatchObject({ enabled: false });
      }
    }
  });
});
