import { randomUUID } from 'node:crypto';
import type { Deps } from '../deps.js';
import type { Tx } from '../db/knex.js';
import type { ApiError } from '../http/errors.js';
import { enqueueMail, prepareMail, type MailChoice, type MailKind, type MailRequest } from '../mail/index.js';
import { issueCode, newCode } from './codes.js';
import type { CodePurpose } from './constants.js';
import { deferCodeUserKeys } from './queries.js';
import { claimMailSlot } from './throttle.js';

export type { MailChoice };

interface CodeMailParts {
  purpose: CodePurpose;
  kind: MailKind;
  /** Where the mail goes; the code is bound to this address. */
  to: string;
  choice: MailChoice;
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
  /** One more row stored with the code (a reset secret), for `userId` (a made-up one for an unknown address). */
  alsoStore?: (trx: Tx, userId: string) => Promise<void>;
}

/**
 * The account the code opens. A caller that may also mail an address without an account
 * (password reset) says `mayBeUnknown` and passes null for one: then known and unknown both run
 * the stores in a savepoint (see mailCode), and an unknown one's is rolled back.
 */
type CodeRecipient = { userId: string; mayBeUnknown?: false } | { userId: string | null; mayBeUnknown: true };

export type CodeMail = CodeMailParts & CodeRecipient;

/** Thrown inside the savepoint of an unknown address, to roll it back. */
const DISCARD = Symbol('discard the stores of an address without an account');

/**
 * Mails a one-time code, in the caller's transaction: the mail is rendered first (a missing
 * template is a 500 before anything is written; rendering is a template fill, no I/O), then the
 * 60 s slot is claimed (429), the code stored (replacing this purpose's previous one) and the
 * outbox row queued, so all of it commits or none. Returns false when `proceed` stopped it.
 *
 * With `mayBeUnknown`, the stores run in a savepoint with the user keys deferred, for a known
 * account and an unknown address alike: the same INSERTs (heap, indexes, WAL of a few KB of
 * mail), under a random user id for an unknown one, whose savepoint is then rolled back, so
 * nothing of it is stored, visible or sent (a rolled-back savepoint never runs its deferred
 * checks; a known account's run at commit). Callers that always name an account skip the savepoint.
 */
export async function mailCode(trx: Tx, deps: Pick<Deps, 'db' | 'clock' | 'config' | 'mail'>, request: CodeMail): Promise<boolean> {
  const code = newCode();
  const mail = prepareMail(deps, { kind: request.kind, to: request.to, origin: request.choice.origin, language: request.choice.language, ...request.content(code) });
  const wait = await claimMailSlot(trx, deps, request.purpose, request.slotSubject ?? request.userId ?? request.to);
  if (wait > 0) throw request.tooMany(wait);
  if (request.proceed && !(await request.proceed(trx))) return false;
  const store = async (into: Tx, userId: string, committedBy: Tx) => {
    await issueCode(into, deps, userId, request.purpose, request.to, code);
    await request.alsoStore?.(into, userId);
    await enqueueMail(into, deps, mail, committedBy);
  };
  if (!request.mayBeUnknown) {
    await store(trx, request.userId, trx);
    return true;
  }
  const { userId } = request;
  try {
    await trx.transaction(async (savepoint) => {
      await deferCodeUserKeys(savepoint);
      // An unknown address's mail is never nudged: its savepoint's rollback rejects that promise.
      await store(savepoint, userId ?? randomUUID(), userId === null ? savepoint : trx);
      if (userId === null) throw DISCARD;
    });
  } catch (error) {
    if (error !== DISCARD) throw error;
  }
  return true;
}
