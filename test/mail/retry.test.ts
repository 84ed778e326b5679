import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { findOutboxMails } from '../../src/mail/index.js';
import { MailWorker, retryDelayMs } from '../../src/mail/worker.js';
import { createTestDatabase } from '../support/database.js';
import { freePort } from '../../src/db/embedded.js';
import { startSmtpCapture } from '../support/smtp.js';
import { enqueue, mailDeps, sampleRequest } from './support.js';

const BASE_MS = 1_000;

let database: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());
beforeEach(async () => {
  await database.db('mail_outbox').del();
});

const rows = () => findOutboxMails(database.db).then((list) => list.sort((a, b) => a.id - b.id));

function recipients(messages: { to?: unknown }[]): string[] {
  return messages.map((m) => (m.to as { text: string }).text).sort();
}

describe('retries', () => {
  it('backs off exponentially, capped', () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, 30_000, 30 * 60_000))).toEqual([30_000, 60_000, 120_000, 240_000]);
    expect(retryDelayMs(20, 30_000, 30 * 60_000)).toBe(30 * 60_000);
  });

  it('keeps mail queued while nothing listens, then delivers each exactly once when SMTP comes up', async () => {
    const port = await freePort();
    const deps = await mailDeps(database.db, { smtpUrl: `smtp://127.0.0.1:${port}` });
    const worker = new MailWorker(deps, { retryBaseMs: BASE_MS });
    await enqueue(deps, sampleRequest(1), sampleRequest(2), sampleRequest(3));
    const start = deps.clock.now();

    expect(await worker.drain()).toMatchObject({ claimed: 3, retried: 3, sent: 0 });
    for (const row of await rows()) {
      expect(row).toMatchObject({ status: 'queued', attempts: 1 });
      expect(row.next_attempt_at.getTime()).toBe(start + BASE_MS);
      expect(row.last_error).toMatch(/ECONNREFUSED/);
      expect(row.text).toContain(String(100000 + Number(row.to_address.match(/\d+/)![0]))); // still there to send
    }
    // Not due yet: nothing is tried.
    expect(await worker.drain()).toMatchObject({ claimed: 0 });
    deps.clock.advance(BASE_MS);
    expect(await worker.drain()).toMatchObject({ claimed: 3, retried: 3 });
    for (const row of await rows()) {
      expect(row).toMatchObject({ status: 'queued', attempts: 2 });
      expect(row.next_attempt_at.getTime()).toBe(start + BASE_MS + 2 * BASE_MS);
    }

    const smtp = await startSmtpCapture({ port });
    try {
      deps.clock.advance(2 * BASE_MS);
      expect(await worker.drain()).toMatchObject({ claimed: 3, sent: 3 });
      expect(await worker.drain()).toMatchObject({ claimed: 0 });
      expect(recipients(smtp.mails)).toEqual(['user1@example.com', 'user2@example.com', 'user3@example.com']);
      for (const row of await rows()) expect(row).toMatchObject({ status: 'sent', attempts: 3, html: null, text: null });
    } finally {
      await worker.stop();
      await smtp.close();
    }
  });

  it('retries mail the server rejects with a temporary error until it accepts', async () => {
    const smtp = await startSmtpCapture({ rejecting: true });
    const deps = await mailDeps(database.db, { smtpUrl: smtp.url });
    const worker = new MailWorker(deps, { retryBaseMs: BASE_MS });
    try {
      await enqueue(deps, sampleRequest(4), sampleRequest(5));
      expect(await worker.drain()).toMatchObject({ claimed: 2, retried: 2 });
      for (const row of await rows()) {
        expect(row).toMatchObject({ status: 'queued', attempts: 1 });
        expect(row.last_error).toMatch(/451/);
      }
      expect(smtp.mails).toHaveLength(0);
      smtp.rejecting = false;
      deps.clock.advance(BASE_MS);
      expect(await worker.drain()).toMatchObject({ claimed: 2, sent: 2 });
      expect(recipients(smtp.mails)).toEqual(['user4@example.com', 'user5@example.com']);
    } finally {
      await worker.stop();
      await smtp.close();
    }
  });

  it('gives up after the last attempt, clears the bodies and counts it', async () => {
    const port = await freePort();
    const deps = await mailDeps(database.db, { smtpUrl: `smtp://127.0.0.1:${port}` });
    const worker = new MailWorker(deps, { retryBaseMs: BASE_MS, maxAttempts: 3 });
    await enqueue(deps, sampleRequest(6));
    expect(await worker.drain()).toMatchObject({ retried: 1 });
    deps.clock.advance(BASE_MS);
    expect(await worker.drain()).toMatchObject({ retried: 1 });
    deps.clock.advance(2 * BASE_MS);
    expect(await worker.drain()).toMatchObject({ failed: 1 });
    deps.clock.advance(60 * 60_000);
    expect(await worker.drain()).toMatchObject({ claimed: 0 });
    await worker.stop();
    expect((await rows())[0]).toMatchObject({ status: 'failed', attempts: 3, html: null, text: null });
    expect(await deps.metrics.registry.getSingleMetricAsString('mail_failed_total')).toContain('mail_failed_total{kind="email_otp_challenge"} 1');
  });

  it('survives the database going away: the pass is logged, not thrown, and the next one after it is back delivers', async () => {
    // A database of its own: refusing its connections disturbs no other test.
    const own = await createTestDatabase();
    const name = new URL(own.url).pathname.slice(1);
    const admin = new pg.Client({ connectionString: inject('pgAdminUrl') });
    await admin.connect();
    const lines: string[] = [];
    const smtp = await startSmtpCapture();
    const deps = await mailDeps(own.db, { smtpUrl: smtp.url }, lines);
    const worker = new MailWorker(deps);
    try {
      await enqueue(deps, sampleRequest(9));
      await admin.query(`alter database ${name} allow_connections false`);
      await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name]);

      await expect(worker.drain()).resolves.toEqual({ claimed: 0, sent: 0, retried: 0, failed: 0 });
      const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      const failed = entries.filter((entry) => entry.msg === 'mail outbox pass failed; retrying at the next interval');
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({ level: 50, error: expect.stringMatching(/terminat|not currently accepting connections|ECONNRESET/) });
      expect(smtp.mails).toHaveLength(0);

      await admin.query(`alter database ${name} allow_connections true`);
      // The pool may hand out one more dead connection first; a later pass must deliver the mail.
      let sent = 0;
      for (let i = 0; i < 3 && sent === 0; i++) sent = (await worker.drain()).sent;
      expect(sent).toBe(1);
      expect(recipients(smtp.mails)).toEqual(['user9@example.com']);
    } finally {
      await worker.stop();
      await smtp.close();
      await admin.query(`alter database ${name} allow_connections true`).catch(() => undefined);
      await admin.end();
      await own.drop();
    }
  });
});
