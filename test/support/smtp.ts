import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface WaitForMailOptions {
  /** Only a mail whose subject matches. */
  subject?: RegExp;
  /** Default 5 s. */
  timeoutMs?: number;
}

export interface SmtpCaptureOptions {
  /** Listen on this port (a test that brings "SMTP up" on a port it reserved earlier); default any free port. */
  port?: number;
  /** Answer RCPT with 451 (a temporary failure) from the start. */
  rejecting?: boolean;
}

export interface SmtpCapture {
  /** smtp://127.0.0.1:<port>, for the service's `smtpUrl`. */
  url: string;
  port: number;
  /** Every mail accepted so far, oldest first, parsed by mailparser (tests may empty it). */
  mails: ParsedMail[];
  /** While true, RCPT gets a temporary failure (451) and nothing is accepted. */
  rejecting: boolean;
  /** Mails received so far for `to` (case-insensitive). */
  mailsTo(to: string): ParsedMail[];
  /**
   * The oldest mail for `to` (matching `subject`, if given) that no earlier call returned; waits
   * for it if none is there yet, and rejects after the timeout.
   */
  waitForMail(to: string, options?: WaitForMailOptions): Promise<ParsedMail>;
  /**
   * Holds every mail's DATA step (the client waits for the final answer) until the returned
   * function is called: "SMTP is slow" without a timer.
   */
  hold(): () => void;
  /** Mails whose DATA step is being held right now. */
  held(): number;
  close(): Promise<void>;
}

/** The recipients of a parsed mail, lower-cased. */
export function recipientsOf(mail: Pick<ParsedMail, 'to'>): string[] {
  const field = mail.to;
  return (Array.isArray(field) ? field : field ? [field] : []).flatMap((group) => group.value.map((a) => (a.address ?? '').toLowerCase()));
}

/** The first 6-digit number in a mail's text part (a parsed mail or an outbox row): the code, read as a user would. */
export function codeFrom(mail: { text?: string | null | false; subject?: string | null }): string {
  const match = /\b(\d{6})\b/.exec(mail.text || '');
  if (!match) throw new Error(`no 6-digit code in mail "${mail.subject}"`);
  return match[1]!;
}

/** The one SMTP test peer: a real SMTP server on 127.0.0.1 (no auth, no TLS) that keeps every mail it accepts. */
export async function startSmtpCapture(options: SmtpCaptureOptions = {}): Promise<SmtpCapture> {
  const mails: ParsedMail[] = [];
  const taken = new Set<ParsedMail>();
  const waiters = new Set<() => void>();
  const state = { rejecting: options.rejecting ?? false };
  let gate: Promise<void> | undefined;
  let heldNow = 0;

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(_address, _session, callback) {
      if (!state.rejecting) return callback();
      callback(Object.assign(new Error('mailbox temporarily unavailable'), { responseCode: 451 }));
    },
    onData(stream, _session, callback) {
      const waitFor = gate;
      simpleParser(stream).then(
        async (parsed) => {
          if (waitFor) {
            heldNow++;
            await waitFor;
            heldNow--;
          }
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
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;

  const mailsTo = (to: string) => mails.filter((m) => recipientsOf(m).includes(to.toLowerCase()));

  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    mails,
    get rejecting() {
      return state.rejecting;
    },
    set rejecting(value: boolean) {
      state.rejecting = value;
    },
    mailsTo,
    waitForMail(to, waitOptions = {}) {
      const timeoutMs = waitOptions.timeoutMs ?? 5_000;
      return new Promise((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        function check() {
          const mail = mailsTo(to).find((m) => !taken.has(m) && (!waitOptions.subject || waitOptions.subject.test(m.subject ?? '')));
          if (!mail) return;
          taken.add(mail);
          done();
          resolve(mail);
        }
        timer = setTimeout(() => {
          done();
          const seen = mails.map((m) => `${recipientsOf(m).join(',')}: ${m.subject}`).join('; ') || 'none';
          reject(new Error(`no mail to ${to}${waitOptions.subject ? ` matching ${waitOptions.subject}` : ''} within ${timeoutMs} ms (received: ${seen})`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    hold() {
      let release!: () => void;
      gate = new Promise<void>((resolve) => (release = resolve));
      return () => {
        gate = undefined;
        release();
      };
    },
    held: () => heldNow,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
