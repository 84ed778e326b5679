import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import nodemailer from 'nodemailer';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { SMTP_CONNECTION_TIMEOUT_MS, SMTP_GREETING_TIMEOUT_MS, SMTP_MAX_CONNECTIONS, SMTP_SOCKET_TIMEOUT_MS } from './constants.js';
import type { ClaimedMail } from './outbox.js';

/** Delivers one outbox row; rejects when it was not accepted (the worker retries). */
export interface MailTransport {
  send(mail: ClaimedMail): Promise<void>;
  close(): void;
}

/**
 * The same Message-ID on every attempt of one row, so a receiver can recognise the rare
 * redelivery after a lost lease; X-Outbox-Id lets operators find the row. Both are the row's
 * random `message_ref`, never its sequence number (which would tell how much mail others got).
 */
function envelope(mail: ClaimedMail) {
  const domain = mail.from_address.replace(/^.*@/, '').replace(/>.*$/, '') || 'localhost';
  return {
    from: mail.from_address,
    to: mail.to_address,
    subject: mail.subject,
    html: mail.html,
    text: mail.text,
    messageId: `<${mail.message_ref}@${domain}>`,
    headers: { 'X-Outbox-Id': mail.message_ref },
  };
}

/** SMTP over `smtpUrl` (smtp:// or smtps://, credentials in the URL), pooled, with timeouts well inside the claim lease. */
export function createSmtpTransport(smtpUrl: string): MailTransport {
  const transporter = nodemailer.createTransport({
    url: smtpUrl,
    pool: true,
    maxConnections: SMTP_MAX_CONNECTIONS,
    connectionTimeout: SMTP_CONNECTION_TIMEOUT_MS,
    greetingTimeout: SMTP_GREETING_TIMEOUT_MS,
    socketTimeout: SMTP_SOCKET_TIMEOUT_MS,
  });
  return {
    async send(mail) {
      await transporter.sendMail(envelope(mail));
    },
    close: () => transporter.close(),
  };
}

/** Without SMTP_URL (development): each mail becomes `<dir>/<id>-<kind>.eml`; the log names the file, never the code. */
export function createFileTransport(dir: string, log: Logger): MailTransport {
  const transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(mail) {
      const info = await transporter.sendMail(envelope(mail));
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const file = join(dir, `${mail.id}-${mail.kind}.eml`);
      // Owner-only: development mail holds live codes.
      await writeFile(file, info.message as Buffer, { mode: 0o600 });
      log.info({ to: mail.to_address, subject: mail.subject, file }, 'mail written to file (no SMTP_URL)');
    },
    close: () => transporter.close(),
  };
}

export function createTransport(config: Pick<Config, 'smtpUrl' | 'dataDir'>, log: Logger): MailTransport {
  return config.smtpUrl ? createSmtpTransport(config.smtpUrl) : createFileTransport(resolve(config.dataDir, 'mail'), log);
}
