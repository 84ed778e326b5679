import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { bearer, startTestServer, type TestServer } from '../support/server.js';
import { totpCode } from '../support/totp.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe('TOTP and recovery codes, end to end', () => {
  it('setup → enable → login asks for 2FA → TOTP → recovery code → reset codes → delete TOTP → plain login again', async () => {
    const client = server.client;
    const user = await server.createUser();
    const credentials = { username: user.email, password: user.password };

    // Log in without 2FA and get an access token.
    const refreshToken = (await sdk.login({ client, body: credentials })).data as string;
    const accessToken = (await sdk.getAccessToken({ client, headers: bearer(refreshToken) })).data as string;

    // Set up and enable TOTP: 10 recovery codes.
    const url = (await sdk.initiateTotp({ client, headers: bearer(accessToken), body: {} })).data!.url;
    const enabled = await sdk.completeTotp({ client, headers: bearer(accessToken), body: { totp: totpCode(url, server.clock.now()) } });
    expect(enabled.response.status).toBe(200);
    const recoveryCodes = enabled.data!.recoveryCodes;
    expect(recoveryCodes).toHaveLength(10);

    // Login now answers 2FA_REQUIRED with a partial token.
    server.clock.advance(30_000);
    const login = await sdk.login({ client, body: credentials });
    expect(login.response.status).toBe(401);
    expect(login.error).toMatchObject({ message: '2FA_REQUIRED', methods: ['totp', 'recoveryCode'] });
    const { partialToken } = login.error as unknown as { partialToken: string };

    // The partial token works only where the spec says accessOrPartialToken.
    expect((await sdk.getTwoFa({ client, headers: bearer(partialToken) })).response.status).toBe(200);
    expect((await sdk.validateAccessToken({ client, headers: bearer(partialToken) })).error).toMatchObject({ message: 'INVALID_TOKEN' });

    // TOTP completes the login.
    const viaTotp = await sdk.verifyTotp({ client, headers: bearer(partialToken), body: { totp: totpCode(url, server.clock.now()) } });
    expect(viaTotp.response.status).toBe(200);

    // So does a recovery code (a second device, say).
    const viaCode = await sdk.verifyRecoveryCodes({ client, headers: bearer(partialToken), body: { recoveryCode: recoveryCodes[0]! } });
    expect(viaCode.response.status).toBe(200);
    const { sudoToken } = viaCode.data!;

    // Reset the recovery codes with the sudo token.
    const reset = await sdk.resetRecoveryCodes({ client, headers: bearer(sudoToken), body: {} });
    expect(reset.response.status).toBe(200);
    expect(reset.data!.recoveryCodes).toHaveLength(10);
    expect((await sdk.getTwoFa({ client, headers: bearer(sudoToken) })).data!.recoveryCodes!.remaining).toBe(10);

    // Delete TOTP (the last method): 2FA is off, the codes are gone.
    expect((await sdk.removeTotp({ client, headers: bearer(sudoToken) })).response.status).toBe(200);
    expect((await sdk.getTwoFa({ client, headers: bearer(sudoToken) })).data).toEqual({ enabled: false, emailOtp: null, totp: null, webauthn: null, recoveryCodes: null });

    // Login gives a refresh token again.
    const plain = await sdk.login({ client, body: credentials });
    expect(plain.response.status).toBe(200);
    expect(plain.data).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
