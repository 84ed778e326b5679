import type { ParsedMail } from 'mailparser';
import * as sdk from '../../generated/sdk.gen.js';
import { codeFrom } from '../support/smtp.js';
import { mintToken, type MailTestServer } from '../support/server-with-smtp.js';
import type { TestServer } from '../support/server.js';

// The mail-enabled test server is the shared one.
export { startMailTestServer as startServerWithMail, type MailTestServer } from '../support/server-with-smtp.js';

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

/** A sudo token as a passed second factor would give (the 2FA endpoints belong to other issues). */
export function sudoToken(server: TestServer, userId: string): Promise<string> {
  return mintToken(server, userId, 'sudo');
}

export const MAIL_INTERVAL_MS = 60_000;
