import type { ParsedMail } from 'mailparser';
import * as sdk from '../../generated/sdk.gen.js';
import { codeFrom } from '../support/smtp.js';
import { mintToken, type MailTestServer } from '../support/server-with-smtp.js';
import type { TestServer } from '../support/server.js';

// The mail-enabled test server and the code reader are the shared ones.
export { startMailTestServer as startServerWithMail, type MailTestServer } from '../support/server-with-smtp.js';
export { codeFrom } from '../support/smtp.js';

/** The reset link in a forgot-password mail's text. */
export function linkFrom(mail: ParsedMail): URL {
  const match = /(https?:\/\/\S+\/reset-password\?\S+)/.exec(mail.text ?? '');
  if (!match) throw new Error(`no reset link in mail "${mail.subject}"`);
  return new URL(match[1]!);
}

/** Requests a reset code by mail and returns it as received. */
export async function mailedResetCode(server: MailTestServer, email: string): Promise<string> {
  const { response } = await sdk.sendPasswordReset({ client: server.client, body: { email } });
  if (response.status !== 200) throw new Error(`reset/send answered ${response.status}`);
  return codeFrom(await server.smtp.waitForMail(email, { subject: /reset code/ }));
}

/** A logged-in session the old way: refresh token from login, access token from it. */
export async function loginTokens(server: TestServer, email: string, password: string) {
  const login = await sdk.login({ client: server.client, body: { username: email, password } });
  if (login.response.status !== 200) throw new Error(`login answered ${login.response.status}`);
  const refreshToken = login.data as string;
  const access = await sdk.getAccessToken({ client: server.client, headers: { Authorization: `Bearer ${refreshToken}` } });
  return { refreshToken, accessToken: access.data as string };
}

/** A sudo token as a passed second factor would give (the 2FA endpoints belong to other issues). */
export function sudoToken(server: TestServer, userId: string): Promise<string> {
  return mintToken(server, userId, 'sudo');
}

/** Turns 2FA on for a user the way the TOTP issue stores it: an active factor and one unused recovery code. */
export async function enableTotpDirectly(server: TestServer, userId: string): Promise<void> {
  const now = new Date(server.clock.now());
  await server.deps.db('totp_factors').insert({ user_id: userId, secret_enc: 'k1.x', completed_at: now });
  await server.deps.db('recovery_codes').insert({ user_id: userId, code_hash: Buffer.alloc(32), salt: Buffer.alloc(16), created_at: now });
}

export const MAIL_INTERVAL_MS = 60_000;
