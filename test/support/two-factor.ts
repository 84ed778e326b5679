import { expect } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { findOutboxMails } from '../../src/mail/index.js';
import type { MailTestServer } from './server-with-smtp.js';
import { bearer, type TestServer } from './server.js';
import { codeFrom } from './smtp.js';
import { totpCode } from './totp.js';

/** The one login helper: logs in (no 2FA on) and returns a refresh and an access token, both calls checked. */
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
 * The "2FA on" shortcut: turns TOTP on for a user without 2FA through the API (login, setup,
 * enable with the current code), so the state is exactly the one the service creates, the 10
 * recovery codes included. The clock then moves on one step, so the next code is not a replay of
 * the enabling one. Returns the login's tokens (issued before 2FA was on) too.
 */
export async function enableTotpFor(server: TestServer, user: { email: string; password: string }) {
  const { refreshToken, accessToken } = await loginTokens(server, user);
  const url = await setupTotp(server, accessToken);
  const enable = await sdk.completeTotp({ client: server.client, headers: bearer(accessToken), body: { totp: totpCode(url, server.clock.now()) } });
  expect(enable.response.status).toBe(200);
  expect(enable.data!.recoveryCodes).toHaveLength(10);
  server.clock.advance(30_000);
  return { url, refreshToken, accessToken, recoveryCodes: enable.data!.recoveryCodes };
}

/** A new user with TOTP on (enableTotpFor). */
export async function userWithTotp(server: TestServer) {
  const user = await server.createUser();
  return { user, ...(await enableTotpFor(server, user)) };
}

/**
 * Email OTP turned on through the API at `address` with `token` (an access token, or a sudo token
 * once 2FA is on): setup, the mailed code, enable. The code is read from the SMTP capture of a
 * mail test server, or from the outbox row of a server without a mail worker. The clock then moves
 * past the setup mail's 60 s slot. Returns the recovery codes enable gave ([] if 2FA was on).
 */
export async function enableEmailOtpFor(server: TestServer | MailTestServer, token: string, address: string): Promise<string[]> {
  const setup = await sdk.initiateEmailOtp({ client: server.client, headers: bearer(token), body: { email: address } });
  expect(setup.response.status).toBe(200);
  const code =
    'smtp' in server
      ? codeFrom(await server.smtp.waitForMail(address))
      : codeFrom((await findOutboxMails(server.deps.db, { to: address.toLowerCase() }))[0]!); // newest first
  const enable = await sdk.completeEmailOtp({ client: server.client, headers: bearer(token), body: { otp: code } });
  expect(enable.response.status).toBe(200);
  server.clock.advance(60_000);
  return enable.data!.recoveryCodes;
}

/** A fresh sudo token via TOTP (the clock moves on a step first, so the code is unused). */
export async function sudoViaTotp(server: TestServer, token: string, url: string): Promise<string> {
  server.clock.advance(30_000);
  const auth = await sdk.verifyTotp({ client: server.client, headers: bearer(token), body: { totp: totpCode(url, server.clock.now()) } });
  expect(auth.response.status).toBe(200);
  return auth.data!.sudoToken;
}
