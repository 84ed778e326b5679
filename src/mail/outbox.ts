import { randomUUID } from 'node:crypto';
import type { Db, Tx } from '../db/knex.js';
import type { MailKind } from './kinds.js';
import type { PreparedMail } from './render.js';

/** queued → sending (leased to one worker) → sent | back to queued (retry) | failed (gave up). */
export type OutboxStatus = 'queued' | 'sending' | 'sent' | 'failed';

export interface OutboxRow {
  id: number;
  /** Random, fixed at insert: the mail's Message-ID and X-Outbox-Id (the sequence `id` stays internal). */
  message_ref: string;
  kind: MailKind;
  brand: string;
  language: string;
  to_address: string;
  from_address: string;
  subject: string;
  html: string | null;
  text: string | null;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  created_at: Date;
  sent_at: Date | null;
}

/** A claimed row; `attempts` is the fencing token: only the current lease holder may settle it. */
export type ClaimedMail = OutboxRow & { html: string; text: string };

export async function insertMail(trx: Db | Tx, mail: PreparedMail, now: Date): Promise<number> {
  const [row] = await trx('mail_outbox')
    .insert({
      message_ref: randomUUID(),
      kind: mail.kind,
      brand: mail.brand,
      language: mail.language,
      to_address: mail.to,
      from_address: mail.from,
      subject: mail.subject,
      html: mail.html,
      text: mail.text,
      status: 'queued',
      attempts: 0,
      next_attempt_at: now,
      created_at: now,
    })
    .returning('id');
  return (row as { id: number }).id;
}

/**
 * Leases up to `limit` due rows to the caller in one short statement: rows another worker is
 * claiming are skipped (SKIP LOCKED), and the lease (`sending` until now+lease) keeps them away
 * from others while the SMTP send happens outside any transaction. An expired lease (a worker
 * died mid-send) makes a row due again.
 */
export async function claimDueMails(db: Db, now: Date, leaseUntil: Date, limit: number, maxAttempts: number): Promise<ClaimedMail[]> {
  const due = db('mail_outbox')
    .select('id')
    .whereIn('status', ['queued', 'sending'])
    .andWhere('next_attempt_at', '<=', now)
    .andWhere('attempts', '<', maxAttempts)
    .orderBy([{ column: 'next_attempt_at' }, { column: 'id' }])
    .limit(limit)
    .forUpdate()
    .skipLocked();
  return (await db('mail_outbox')
    .whereIn('id', due)
    .update({ status: 'sending', attempts: db.raw('attempts + 1'), next_attempt_at: leaseUntil })
    .returning('*')) as ClaimedMail[];
}

/** Deletes finished (sent or failed) rows created before `before`; returns how many. */
export async function deleteFinishedMails(db: Db, before: Date): Promise<number> {
  return db('mail_outbox').whereIn('status', ['sent', 'failed']).andWhere('created_at', '<', before).delete();
}

/** Leases that expired on their last allowed attempt (the worker died): nobody will try again. */
export async function failAbandonedMails(db: Db, now: Date, maxAttempts: number): Promise<number> {
  return db('mail_outbox')
    .where({ status: 'sending' })
    .andWhere('next_attempt_at', '<=', now)
    .andWhere('attempts', '>=', maxAttempts)
    .update({ status: 'failed', html: null, text: null, last_error: 'lease expired on the last attempt' });
}

/** Sent: bodies cleared so codes do not linger. False when the lease was lost to another worker. */
export async function markSent(db: Db, mail: ClaimedMail, now: Date): Promise<boolean> {
  const updated = await db('mail_outbox')
    .where({ id: mail.id, status: 'sending', attempts: mail.attempts })
    .update({ status: 'sent', sent_at: now, html: null, text: null, last_error: null });
  return updated === 1;
}

export async function markRetry(db: Db, mail: ClaimedMail, nextAttemptAt: Date, error: string): Promise<boolean> {
  const updated = await db('mail_outbox')
    .where({ id: mail.id, status: 'sending', attempts: mail.attempts })
    .update({ status: 'queued', next_attempt_at: nextAttemptAt, last_error: error });
  return updated === 1;
}

/** Given up: bodies cleared too (the codes expire long before anyone could resend them). */
export async function markFailed(db: Db, mail: ClaimedMail, error: string): Promise<boolean> {
  const updated = await db('mail_outbox')
    .where({ id: mail.id, status: 'sending', attempts: mail.attempts })
    .update({ status: 'failed', last_error: error, html: null, text: null });
  return updated === 1;
}

/** Queued and sending rows to an address, newest first: lets tests read the code a mail carries. */
export async function findOutboxMails(db: Db | Tx, filter: { to?: string; kind?: MailKind } = {}): Promise<OutboxRow[]> {
  const query = db('mail_outbox').orderBy('id', 'desc');
  if (filter.to) query.where({ to_address: filter.to });
  if (filter.kind) query.where({ kind: filter.kind });
  return query;
}
