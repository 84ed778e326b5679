import { expect } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { bearer } from '../support/server.js';
import { mintToken, type MailTestServer } from '../support/server-with-smtp.js';
import { enableEmailOtpFor, loginTokens, userWithTotp } from '../support/two-factor.js';
import { codeFrom } from '../support/smtp.js';

let seq = 0;
/** A fresh address for a test (the capture keys mails by recipient). */
export const newAddress = (label = 'otp') => `${label}-${++seq}-${Date.now()}@example.com`;

/** Sets up email OTP for `address` and returns the code from the mail it received. */
export async function setupCode(server: MailTestServer, token: string, address: string): Promise<string> {
  const setup = await sdk.initiateEmailOtp({ client: server.client, headers: bearer(token), body: { email: address } });
  expect(setup.response.status).toBe(200);
  expect(setup.data).toBeNull();
  return codeFrom(await server.smtp.waitForMail(address));
}

/** Sends a challenge and returns the code from the mail `address` received. */
export async function challengeCode(server: MailTestServer, token: string, address: string): Promise<string> {
  const challenge = await sdk.initiateEmailOtpAuthentication({ client: server.client, headers: bearer(token), body: {} });
  expect(challenge.response.status).toBe(200);
  expect(challenge.data).toBeNull();
  return codeFrom(await server.smtp.waitForMail(address));
}

/** A user without 2FA and an access token. */
export async function freshUser(server: MailTestServer) {
  const user = await server.createUser();
  return { user, accessToken: (await loginTokens(server, user)).accessToken };
}

/** A user with email OTP enabled (through the API), with the recovery codes it returned. */
export async function userWithEmailOtp(server: MailTestServer) {
  const { user, accessToken } = await freshUser(server);
  const address = newAddress();
  const recoveryCodes = await enableEmailOtpFor(server, accessToken, address);
  return { user, accessToken, address, recoveryCodes };
}

/** A user with TOTP on (the shared shortcut, through the API) and a sudo token. */
export async function userWithTotpAndSudo(server: MailTestServer) {
  const { user, accessToken, recoveryCodes } = await userWithTotp(server);
  return { user, accessToken, sudoToken: await mintToken(server, user.id, 'sudo'), recoveryCodes };
}

export async function recoveryCodeCount(server: MailTestServer, userId: string): Promise<number> {
  const row = await server.deps.db('recovery_codes').where({ user_id: userId }).count({ count: '*' }).first();
  return Number(row?.count);
}
