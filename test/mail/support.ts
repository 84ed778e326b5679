import { createServer, type AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { pino } from 'pino';
import { SMTPServer } from 'smtp-server';
import { buildDeps } from '../../src/bootstrap.js';
import type { Config } from '../../src/config/index.js';
import type { Db } from '../../src/db/knex.js';
import { withTx } from '../../src/db/tx.js';
import type { Deps } from '../../src/deps.js';
import { enqueueMail, prepareMail, type MailRequest } from '../../src/mail/index.js';
import { createTestClock, type TestClock } from '../support/clock.js';
import { testConfig } from '../support/config.js';

export interface TestSmtpServer {
  url: string;
  port: number;
  messages: ParsedMail[];
  /** Answer RCPT with a temporary failure while true. */
  rejecting: boolean;
  close(): Promise<void>;
}

/** A real SMTP peer on 127.0.0.1 that parses and keeps every accepted message. */
export async function startSmtpServer(options: { port?: number; delayMs?: number; rejecting?: boolean } = {}): Promise<TestSmtpServer> {
  const messages: ParsedMail[] = [];
  const state = { rejecting: options.rejecting ?? false };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(_address, _session, callback) {
      if (!state.rejecting) return callback();
      const err = Object.assign(new Error('mailbox temporarily unavailable'), { responseCode: 451 });
      callback(err);
    },
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        (parsed) => setTimeout(() => {
          messages.push(parsed);
          callback();
        }, options.delayMs ?? 0),
        (err: Error) => callback(err),
      );
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    get rejecting() {
      return state.rejecting;
    },
    set rejecting(value: boolean) {
      state.rejecting = value;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A port nothing listens on (for "SMTP down"), reusable later for a server that "comes up". */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Deps for the mail pipeline on a test database, with a hand-moved clock and an optional log sink. */
export async function mailDeps(db: Db, overrides: Partial<Config> = {}, logLines?: string[]): Promise<Deps & { clock: TestClock }> {
  const clock = createTestClock();
  const log = logLines
    ? pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) })
    : undefined;
  const deps = await buildDeps(await testConfig(overrides), db, { clock, log });
  return { ...deps, clock };
}

export function sampleRequest(n: number, overrides: Partial<MailRequest> = {}): MailRequest {
  return { kind: 'email_otp_challenge', to: `user${n}@example.com`, variables: { code: String(100000 + n) }, ...overrides };
}

/** What an endpoint does: prepare, then enqueue in its own transaction. */
export async function enqueue(deps: Deps, ...requests: MailRequest[]): Promise<void> {
  const prepared = requests.map((request) => prepareMail(deps, request));
  await withTx(deps.db, async (trx) => {
    for (const mail of prepared) await enqueueMail(trx, deps, mail);
  });
}

export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
