import type { Config } from '../../src/config/index.js';
import { signJwt } from '../../src/tokens/jwt.js';
import type { JwtKind } from '../../src/tokens/constants.js';
import { findUserById } from '../../src/users/queries.js';
import { startSession } from '../../src/sessions/service.js';
import { startMailWorker, type MailWorker } from '../../src/mail/worker.js';
import { startSmtpCapture, type SmtpCapture } from './smtp.js';
import { startTestServer, type TestServer, type TestServerOptions } from './server.js';

export interface MailTestServer extends TestServer {
  smtp: SmtpCapture;
  worker: MailWorker;
}

/**
 * The real app with its outbox worker delivering over SMTP to a capture server on 127.0.0.1:
 * codes in tests come from received mail, as a user would read them.
 */
export async function startMailTestServer(overrides: Partial<Config> = {}, options: TestServerOptions = {}): Promise<MailTestServer> {
  const smtp = await startSmtpCapture();
  const server = await startTestServer({ smtpUrl: smtp.url, ...overrides }, options);
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
