import { expect } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { replaceRecoveryCodes } from '../../src/recovery-codes/codes.js';
import { withTx } from '../../src/db/tx.js';
import { bearer } from '../support/server.js';
import { accessTokenFor, mintToken, type MailTestServer } from '../support/server-with-smtp.js';
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
  return { user, accessToken: await accessTokenFor(server, user) };
}

/** A user with email OTP enabled (through the API), with the recovery codes it returned. */
export async function userWithEmailOtp(server: MailTestServer) {
  const { user, accessToken } = await freshUser(server);
  const address = newAddress();
  const code = await setupCode(server, accessToken, address);
  const enable = await sdk.completeEmailOtp({ client: server.client, headers: bearer(accessToken), body: { otp: code } });
  expect(enable.response.status).toBe(200);
  // The next mail of each kind may go out at once: move past the setup's 60 s slot.
  server.clock.advance(60_000);
  return { user, accessToken, address, recoveryCodes: enable.data!.recoveryCodes };
}

/** A user whose TOTP is active (rows written directly: TOTP itself is not under test here) with 10 recovery codes. */
export async function userWithTotpRows(server: MailTestServer) {
  const { user, accessToken } = await freshUser(server);
  const now = new Date(server.clock.now());
  await server.deps.db('totp_factors').insert({ user_id: user.id, secret_enc: 'k1.unused', completed_at: now });
  const recoveryCodes = await withTx(server.deps.db, (trx) => replaceRecoveryCodes(trx, server.deps, user.id));
  return { user, accessToken, sudoToken: await mintToken(server, user.id, 'sudo'), recoveryCodes };
}

export async function recoveryCodeCount(server: MailTestServer, userId: string): Promise<number> {
  const row = await server.deps.db('recovery_codes').where({ user_id: userId }).count({ count: '*' }).first();
  return Number(row?.count);
}

/** Any 6-digit code other than `code`. */
export const wrongCode = (code: string) => (code === '000000' ? '111111' : '000000');
