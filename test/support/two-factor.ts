import { expect } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { bearer, type TestServer } from './server.js';
import { totpCode } from './totp.js';

/** Logs in (no 2FA yet) and returns a refresh and an access token. */
export async function loginTokens(server: TestServer, user: { email: string; password: string }) {
  const login = await sdk.login({ client: server.client, body: { username: user.email, password: user.password } });
  expect(login.response.status).toBe(200);
  const refreshToken = login.data as string;
  const access = await sdk.getAccessToken({ client: server.client, headers: bearer(refreshToken) });
  expect(access.response.status).toBe(200);
  return { refreshToken, accessToken: access.data as string };
}

/** Logs in with 2FA on: expects 401 2FA_REQUIRED and returns the partial token and methods. */
export async function loginPartial(server: TestServer, user: { email: string; password: string }) {
  const login = await sdk.login({ client: server.client, body: { username: user.email, password: user.password } });
  expect(login.response.status).toBe(401);
  expect(login.error).toMatchObject({ message: '2FA_REQUIRED' });
  return login.error as unknown as { partialToken: string; methods: string[] };
}

/** Starts a TOTP setup and returns the otpauth URL. */
export async function setupTotp(server: TestServer, token: string): Promise<string> {
  const setup = await sdk.initiateTotp({ client: server.client, headers: bearer(token), body: {} });
  expect(setup.response.status).toBe(200);
  return setup.data!.url;
}

/**
 * A user with TOTP enabled: setup, enable with the current code, then the clock moves on one
 * step so the next code is not a replay of the enabling one.
 */
export async function userWithTotp(server: TestServer) {
  const user = await server.createUser();
  const { refreshToken, accessToken } = await loginTokens(server, user);
  const url = await setupTotp(server, accessToken);
  const enable = await sdk.completeTotp({ client: server.client, headers: bearer(accessToken), body: { totp: totpCode(url, server.clock.now()) } });
  expect(enable.response.status).toBe(200);
  server.clock.advance(30_000);
  return { user, url, refreshToken, accessToken, recoveryCodes: enable.data!.recoveryCodes };
}

/** A fresh sudo token via TOTP (the clock moves on a step first, so the code is unused). */
export async function sudoViaTotp(server: TestServer, token: string, url: string): Promise<string> {
  server.clock.advance(30_000);
  const auth = await sdk.verifyTotp({ client: server.client, headers: bearer(token), body: { totp: totpCode(url, server.clock.now()) } });
  expect(auth.response.status).toBe(200);
  return auth.data!.sudoToken;
}
