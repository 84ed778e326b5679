import type { Deps } from '../deps.js';
import type { Tx } from '../db/knex.js';
import type { ApiError } from '../http/errors.js';
import { enqueueMail, prepareMail, type MailChoice, type MailKind, type MailRequest } from '../mail/index.js';
import { issueCode, newCode } from './codes.js';
import type { CodePurpose } from './constants.js';
import { idleRoundTrip } from './queries.js';
import { claimMailSlot } from './throttle.js';

export type { MailChoice };

export interface CodeMail {
  purpose: CodePurpose;
  kind: MailKind;
  /** Where the mail goes; the code is bound to this address. */
  to: string;
  choice: MailChoice;
  /**
   * The account the code opens, or null for an address without an account (password reset):
   * the same work and the same number of statements run, nothing is stored or sent.
   */
  userId: string | null;
  /** Whose 60 s slot the mail takes: the user by default (password reset counts per address). */
  slotSubject?: string;
  /** The mail's template variables and links, given the code. */
  content: (code: string) => Pick<MailRequest, 'variables' | 'links'>;
  /** The 429 for a slot still taken, given the wait in whole seconds. */
  tooMany: (retryAfter: number) => ApiError;
  /**
   * Runs right after the slot is claimed: false stops there (no code, no mail), with the slot
   * kept claimed, so a refusal decided here (an address already taken) is limited like a mail.
   */
  proceed?: (trx: Tx) => Promise<boolean>;
  /** One more statement stored with the code (a reset secret); an unknown address idles for it too. */
  alsoStore?: (trx: Tx) => Promise<void>;
}

/**
 * Mails a one-time code, in the caller's transaction: the mail is rendered first (a missing
 * template is a 500 before anything is written; rendering is a template fill, no I/O), then the
 * 60 s slot is claimed (429), the code stored (replacing this purpose's previous one) and the
 * outbox row queued, so all of it commits or none. Returns false when `proceed` stopped it.
 */
export async function mailCode(trx: Tx, deps: Pick<Deps, 'db' | 'clock' | 'config' | 'mail'>, request: CodeMail): Promise<boolean> {
  const code = newCode();
  const mail = prepareMail(deps, { kind: request.kind, to: request.to, origin: request.choice.origin, language: request.choice.language, ...request.content(code) });
  const wait = await claimMailSlot(trx, deps, request.purpose, request.slotSubject ?? request.userId ?? request.to);
  if (wait > 0) throw request.tooMany(wait);
  if (request.proceed && !(await request.proceed(trx))) return false;
  if (request.userId === null) {
    // Where a known account stores its code (and its extra row) and queues its mail.
    for (let i = request.alsoStore ? 3 : 2; i > 0; i--) await idleRoundTrip(trx);
    return true;
  }
  await issueCode(trx, deps, request.userId, request.purpose, request.to, code);
  await request.alsoStore?.(trx);
  await enqueueMail(trx, deps, mail);
  return true;
}
