import { mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { withTx } from '../../src/db/tx.js';
import { enqueueMail, findOutboxMails, prepareMail } from '../../src/mail/index.js';
import { CLAIM_LEASE_MS } from '../../src/mail/constants.js';
import { claimDueMails, markSent } from '../../src/mail/outbox.js';
import { createSmtpTransport } from '../../src/mail/transport.js';
import { MailWorker } from '../../src/mail/worker.js';
import * as sdk from '../../generated/sdk.gen.js';
import { createTestDatabase } from '../support/database.js';
import { startMailTestServer } from '../support/server-with-smtp.js';
import { startSmtpCapture, type SmtpCapture } from '../support/smtp.js';
import { enqueue, mailDeps, sampleRequest, waitFor } from './support.js';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let smtp: SmtpCapture;
beforeAll(async () => {
  database = await createTestDatabase();
  smtp = await startSmtpCapture();
});
afterAll(async () => {
  await smtp.close();
  await database.drop();
});
beforeEach(async () => {
  await database.db('mail_outbox').del();
  smtp.mails.length = 0;
});

describe('outbox delivery over SMTP', () => {
  it('delivers a queued mail and clears its bodies once sent', async () => {
    const deps = await mailDeps(database.db, { smtpUrl: smtp.url });
    await enqueue(deps, sampleRequest(1, { kind: 'password_reset_code', variables: { code: '734512' }, links: { reset: { path: '/reset-password', query: { email: 'user1@example.com', otp: 'x'.repeat(43) } } } }));
    const [queued] = await findOutboxMails(database.db);
    expect(queued).toMatchObject({ status: 'queued', attempts: 0, to_address: 'user1@example.com', brand: 'smartgridone', language: 'en' });
    expect(queued!.text).toContain('734512');

    const worker = new MailWorker(deps);
    expect(await worker.drain()).toMatchObject({ claimed: 1, sent: 1 });
    await worker.stop();

    expect(smtp.mails).toHaveLength(1);
    const message = smtp.mails[0]!;
    expect(message.subject).toBe(queued!.subject);
    expect(message.to).toMatchObject({ text: 'user1@example.com' });
    expect(message.from?.value[0]).toMatchObject({ address: 'no-reply@smartgridone.com', name: 'SmartgridOne' });
    expect(message.headers.get('x-outbox-id')).toBe(queued!.message_ref);
    expect(message.text).toContain('734512');
    expect(message.html).toContain('734512');

    const [sent] = await findOutboxMails(database.db);
    expect(sent).toMatchObject({ status: 'sent', attempts: 1, html: null, text: null, last_error: null });
    expect(sent!.sent_at).toEqual(new Date(deps.clock.now()));
  });

  it('deletes finished mails past the 7-day retention, and only those', async () => {
    const deps = await mailDeps(database.db, { smtpUrl: smtp.url });
    for (let i = 0; i < 4; i++) await enqueue(deps, sampleRequest(100 + i));
    const rows = await findOutboxMails(database.db);
    const eightDaysAgo = new Date(deps.clock.now() - 8 * 24 * 3600_000);
    const sixDaysAgo = new Date(deps.clock.now() - 6 * 24 * 3600_000);
    await database.db('mail_outbox').where({ id: rows[0]!.id }).update({ status: 'sent', created_at: eightDaysAgo });
    await database.db('mail_outbox').where({ id: rows[1]!.id }).update({ status: 'failed', created_at: eightDaysAgo });
    await database.db('mail_outbox').where({ id: rows[2]!.id }).update({ status: 'sent', created_at: sixDaysAgo });
    // Old but still queued: it is delivered, never deleted unsent.
    await database.db('mail_outbox').where({ id: rows[3]!.id }).update({ created_at: eightDaysAgo });

    const worker = new MailWorker(deps);
    await worker.drain();
    await worker.stop();
    const left = await findOutboxMails(database.db);
    expect(left.map((row) => row.id).sort()).toEqual([rows[2]!.id, rows[3]!.id].sort());
    expect(left.find((row) => row.id === rows[3]!.id)).toMatchObject({ status: 'sent' });
  });

  it('stores nothing when the transaction rolls back', async () => {
    const deps = await mailDeps(database.db, { smtpUrl: smtp.url });
    const mail = prepareMail(deps, sampleRequest(2));
    await expect(
      withTx(database.db, async (trx) => {
        await enqueueMail(trx, deps, mail);
        throw new Error('the endpoint failed later');
      }),
    ).rejects.toThrow('the endpoint failed later');
    expect(await findOutboxMails(database.db)).toHaveLength(0);
  });

  it('a started worker is woken by the commit, not by the interval', async () => {
    const deps = await mailDeps(database.db, { smtpUrl: smtp.url, mailWorkerIntervalMs: 3_600_000 });
    const worker = new MailWorker(deps).start();
    try {
      // start() runs a first pass at once: let it finish, so that only a wake-up can deliver what follows.
      await worker.wake();
      expect(smtp.mails).toHaveLength(0);
      await enqueue(deps, sampleRequest(3));
      await waitFor(() => smtp.mails.length === 1, 5_000);
    } finally {
      await worker.stop();
    }
  });

  it('an endpoint answers while the SMTP server still holds the previous mail (sending is the worker\'s, after the commit)', async () => {
    const server = await startMailTestServer();
    const release = server.smtp.hold();
    try {
      const [first, second] = [await server.createUser(), await server.createUser()];
      // An answer that waited for SMTP would never come while the mail is held: give up after 10 s instead of hanging.
      const statusWhileHeld = (email: string) =>
        Promise.race([
          sdk.sendPasswordReset({ client: server.client, body: { email } }).then((r) => r.response.status),
          new Promise((resolve) => setTimeout(() => resolve('no answer while SMTP is held'), 10_000).unref()),
        ]);
      expect(await statusWhileHeld(first.email)).toBe(200);
      // The worker is now stuck in the first mail's DATA step, which nothing ends until release().
      await waitFor(() => server.smtp.held() === 1, 5_000);
      expect(await statusWhileHeld(second.email)).toBe(200);
      expect(server.smtp.mails).toHaveLength(0);
      expect(await server.deps.db('mail_outbox').where({ to_address: second.email }).pluck('status')).toEqual(['queued']);
      release();
      await server.smtp.waitForMail(first.email);
      await server.smtp.waitForMail(second.email);
    } finally {
      release();
      await server.close();
    }
  });

  it('re-delivers a mail whose worker died mid-send once the lease expires, and only then', async () => {
    const deps = await mailDeps(database.db, { smtpUrl: smtp.url });
    await enqueue(deps, sampleRequest(6));
    const now = deps.clock.now();
    // A worker leases the row and dies before settling it.
    const [dead] = await claimDueMails(database.db, new Date(now), new Date(now + CLAIM_LEASE_MS), 10, 8);
    expect(dead).toMatchObject({ status: 'sending', attempts: 1 });

    const worker = new MailWorker(deps);
    expect(await worker.drain()).toMatchObject({ claimed: 0 });
    deps.clock.advance(CLAIM_LEASE_MS);
    expect(await worker.drain()).toMatchObject({ claimed: 1, sent: 1 });
    await worker.stop();
    expect(smtp.mails).toHaveLength(1);
    // The dead worker coming back cannot settle a row it no longer holds.
    expect(await markSent(database.db, dead!, new Date(deps.clock.now()))).toBe(false);
    expect((await findOutboxMails(database.db))[0]).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('uses the same Message-ID for every attempt of one row', async () => {
    const deps = await mailDeps(database.db, { smtpUrl: smtp.url });
    await enqueue(deps, sampleRequest(7));
    const [row] = await claimDueMails(database.db, new Date(deps.clock.now()), new Date(deps.clock.now() + 1000), 1, 8);
    const transport = createSmtpTransport(smtp.url);
    await transport.send(row!);
    await transport.send({ ...row!, attempts: 2 });
    transport.close();
    expect(smtp.mails).toHaveLength(2);
    expect(smtp.mails[0]!.messageId).toBe(smtp.mails[1]!.messageId);
  });

  it('Message-ID and X-Outbox-Id carry a random id, not the outbox sequence number (which would tell how much mail others got)', async () => {
    const deps = await mailDeps(database.db, { smtpUrl: smtp.url });
    await enqueue(deps, sampleRequest(8), sampleRequest(9));
    const worker = new MailWorker(deps);
    expect(await worker.drain()).toMatchObject({ sent: 2 });
    await worker.stop();
    const rows = await database.db('mail_outbox').select('id', 'message_ref', 'created_at');
    expect(smtp.mails).toHaveLength(2);
    for (const message of smtp.mails) {
      const outboxId = message.headers.get('x-outbox-id') as string;
      const row = rows.find((r) => r.message_ref === outboxId);
      expect(row, 'X-Outbox-Id names its row by the random ref').toBeDefined();
      expect(outboxId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(message.messageId).toBe(`<${outboxId}@smartgridone.com>`);
      // Neither header holds the sequence number (or the creation time) anywhere.
      for (const header of [outboxId, message.messageId!]) {
        expect(header).not.toMatch(new RegExp(`(^|[^0-9a-f])${row!.id}([^0-9a-f]|$)`));
        expect(header).not.toContain(String(row!.created_at.getTime()));
      }
    }
    expect(smtp.mails[0]!.messageId).not.toBe(smtp.mails[1]!.messageId);
  });
});

describe('outbox delivery without SMTP_URL', () => {
  it('writes <dataDir>/mail/<id>-<kind>.eml and logs recipient, subject and file, never the code', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sg1-mail-'));
    const lines: string[] = [];
    const deps = await mailDeps(database.db, { smtpUrl: undefined, dataDir }, lines);
    await enqueue(deps, sampleRequest(8, { kind: 'email_otp_setup', variables: { code: '590317' } }));
    const [row] = await findOutboxMails(database.db);
    const worker = new MailWorker(deps);
    expect(await worker.drain()).toMatchObject({ sent: 1 });
    await worker.stop();

    const file = join(dataDir, 'mail', `${row!.id}-email_otp_setup.eml`);
    expect(await readdir(join(dataDir, 'mail'))).toEqual([`${row!.id}-email_otp_setup.eml`]);
    const eml = await readFile(file, 'utf8');
    // Owner-only: it holds a live code.
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(eml).toContain('To: user8@example.com');
    expect(eml).toContain('590317');
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((entry) => entry.file === file);
    expect(logged).toMatchObject({ to: 'user8@example.com', subject: row!.subject });
    expect(lines.join('\n')).not.toContain('590317');
  });
});
