import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../src/db/knex.js';
import { MailWorker } from '../../src/mail/worker.js';
import { createTestDatabase } from '../support/database.js';
import { startSmtpCapture, type SmtpCapture } from '../support/smtp.js';
import { enqueue, mailDeps, sampleRequest } from './support.js';

const MAILS = 200;

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let secondPool: Db;
let smtp: SmtpCapture;
beforeAll(async () => {
  database = await createTestDatabase();
  secondPool = createDb(database.url);
  smtp = await startSmtpCapture();
});
afterAll(async () => {
  await smtp.close();
  await secondPool.destroy();
  await database.drop();
});

describe('two service instances on one database', () => {
  it(`deliver ${MAILS} mails with no duplicates and none lost`, async () => {
    const one = await mailDeps(database.db, { smtpUrl: smtp.url });
    const two = await mailDeps(secondPool, { smtpUrl: smtp.url });
    two.clock.set(one.clock.now());
    await enqueue(one, ...Array.from({ length: MAILS }, (_, i) => sampleRequest(i)));

    const workers = [new MailWorker(one), new MailWorker(two)];
    const results = await Promise.all(workers.map((worker) => worker.drain()));
    await Promise.all(workers.map((worker) => worker.stop()));

    const ids = smtp.mails.map((m) => m.headers.get('x-outbox-id') as string);
    expect(ids).toHaveLength(MAILS);
    expect(new Set(ids).size).toBe(MAILS);
    // Both took part (SKIP LOCKED shares the work rather than serialising it).
    expect(results.every((r) => r.sent > 0)).toBe(true);
    expect(results[0]!.sent + results[1]!.sent).toBe(MAILS);
    const statuses = await database.db('mail_outbox').select('status').count<{ status: string; count: string }[]>('* as count').groupBy('status');
    expect(statuses.map((s) => ({ status: s.status, count: Number(s.count) }))).toEqual([{ status: 'sent', count: MAILS }]);
    const [leftovers] = await database.db('mail_outbox').whereNotNull('text').orWhereNot('attempts', 1).count<{ count: string }[]>('* as count');
    expect(Number(leftovers!.count)).toBe(0);
  });
});
