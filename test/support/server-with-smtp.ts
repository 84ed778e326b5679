import type { Config } from '../../src/config/index.js';
import { signJwt } from '../../src/tokens/jwt.js';
import type { JwtKind } from '../../src/tokens/constants.js';
import { findUserById } from '../../src/users/queries.js';
import { startSession } from '../../src/sessions/service.js';
import { startMailWorker, type MailWorker } from '../../src/mail/worker.js';
import * as sdk from '../../generated/sdk.gen.js';
import { startSmtpCapture, type SmtpCapture } from './smtp.js';
import { bearer, startTestServer, type TestServer } from './server.js';

export interface MailTestServer extends TestServer {
  smtp: SmtpCapture;
  worker: MailWorker;
}

/**
 * The real app with its outbox worker delivering over SMTP to a capture server on 127.0.0.1:
 * codes in tests come from received mail, as a user would read them.
 */
export async function startMailTestServer(overrides: Partial<Config> = {}): Promise<MailTestServer> {
  const smtp = await startSmtpCapture();
  const server = await startTestServer({ smtpUrl: smtp.url, ...overrides });
  const worker = startMailWorker(server.deps, { intervalMs: 200 });
  return {
    ...server,
    smtp,
    worker,
    async close() {
      await worker.stop();
      await server.close();
      await smtp.close();
    },
  };
}

/** Password login of a user without 2FA, then an access token. */
export async function accessTokenFor(server: TestServer, user: { email: string; password: string }): Promise<string> {
  const login = await sdk.login({ client: server.client, body: { username: user.email, password: user.password } });
  if (login.response.status !== 200) throw new Error(`login failed: ${login.response.status} ${JSON.stringify(login.error)}`);
  const access = await sdk.getAccessToken({ client: server.client, headers: bearer(login.data as string) });
  return access.data as string;
}

/**
 * A token of any kind minted with the server's own key, for arranging a state the test is not
 * about. An access or sudo token gets a new (password) session of its own, as it must have one.
 */
export async function mintToken(server: TestServer, userId: string, kind: JwtKind): Promise<string> {
  const user = await findUserById(server.deps.db, userId);
  const caller = { userId, passwordChangedAt: user!.passwordChangedAt.getTime() };
  const sessionId = kind === 'partial' ? undefined : (await startSession(server.deps.db, server.deps, caller, 'password')).sessionId;
  return signJwt(server.deps.keys, server.deps.clock, { ...caller, kind, sessionId });
}
