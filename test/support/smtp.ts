import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface WaitForMailOptions {
  /** Only a mail whose subject matches. */
  subject?: RegExp;
  /** Default 5 s. */
  timeoutMs?: number;
}

export interface SmtpCapture {
  /** smtp://127.0.0.1:<port>, for the test server's `smtpUrl`. */
  url: string;
  /** Every mail received so far, oldest first, parsed by mailparser. */
  mails: ParsedMail[];
  /** Mails received so far for `to` (case-insensitive). */
  mailsTo(to: string): ParsedMail[];
  /**
   * The oldest mail for `to` (matching `subject`, if given) that no earlier call returned; waits
   * for it if none is there yet, and rejects after the timeout.
   */
  waitForMail(to: string, options?: WaitForMailOptions): Promise<ParsedMail>;
  close(): Promise<void>;
}

/** The recipients of a parsed mail, lower-cased. */
export function recipientsOf(mail: ParsedMail): string[] {
  const field = mail.to;
  return (Array.isArray(field) ? field : field ? [field] : []).flatMap((group) => group.value.map((a) => (a.address ?? '').toLowerCase()));
}

/** The first 6-digit number in a mail's text part: the code, read from the mail as a user would. */
export function codeFrom(mail: ParsedMail): string {
  const match = /\b(\d{6})\b/.exec(mail.text ?? '');
  if (!match) throw new Error(`no 6-digit code in mail "${mail.subject}"`);
  return match[1]!;
}

/** A real SMTP peer on 127.0.0.1 (port 0, no auth, no TLS) that keeps every mail it accepts. */
export async function startSmtpCapture(): Promise<SmtpCapture> {
  const mails: ParsedMail[] = [];
  const taken = new Set<ParsedMail>();
  const waiters = new Set<() => void>();

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        (parsed) => {
          mails.push(parsed);
          for (const wake of waiters) wake();
          callback();
        },
        (err: Error) => callback(err),
      );
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;

  const mailsTo = (to: string) => mails.filter((m) => recipientsOf(m).includes(to.toLowerCase()));

  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    mailsTo,
    waitForMail(to, options = {}) {
      const timeoutMs = options.timeoutMs ?? 5_000;
      return new Promise((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        function check() {
          const mail = mailsTo(to).find((m) => !taken.has(m) && (!options.subject || options.subject.test(m.subject ?? '')));
          if (!mail) return;
          taken.add(mail);
          done();
          resolve(mail);
        }
        timer = setTimeout(() => {
          done();
          const seen = mails.map((m) => `${recipientsOf(m).join(',')}: ${m.subject}`).join('; ') || 'none';
          reject(new Error(`no mail to ${to}${options.subject ? ` matching ${options.subject}` : ''} within ${timeoutMs} ms (received: ${seen})`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
