import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeFrom } from '../support/smtp.js';
import { totpCode } from '../support/totp.js';
import { accessTokenOf, enableTotp, login, newUser, partialTokenOf, refreshTokenOf, servedBy, tally } from './support/api.js';
import { CLUSTER_LOGIN_LIMIT, startCluster, type Cluster } from './support/cluster.js';
import { call, closeAgents } from './support/http.js';
import { steadyLoad } from './support/load.js';
import { killAll, sleep, waitFor } from './support/processes.js';

const parallel = <T>(n: number, run: (i: number) => Promise<T>) => Promise.all(Array.from({ length: n }, (_, i) => run(i)));

/**
 * The cross-instance properties of issue 14, driven only through HAProxy in front of three
 * service processes on one PostgreSQL (directly, or through PgBouncer in transaction mode).
 * Each test speaks from its own loopback address, so the per-address budgets do not mix.
 */
export function clusterSuite(title: string, options: { viaPgbouncer: boolean }) {
  describe(title, () => {
    let cluster: Cluster;
    beforeAll(async () => {
      cluster = await startCluster(options);
    }, 180_000);
    afterAll(async () => {
      closeAgents();
      await cluster?.stop().catch(() => undefined);
      await killAll();
    }, 60_000);

    const failWithLogs = async (run: () => Promise<void>) => {
      try {
        await run();
      } catch (err) {
        (err as Error).message += `\n${cluster.logs().slice(-6000)}`;
        throw err;
      }
    };

    it('three instances, all migrated by their own concurrent start, share the traffic round robin', async () => {
      const answers = await parallel(30, () => call(cluster.url, 'GET', '/healthz', { from: '127.0.0.10' }));
      expect(tally(answers)).toEqual({ 200: 30 });
      expect([...servedBy(answers)].sort()).toEqual(['i1', 'i2', 'i3']);
    });

    it('concurrent wrong passwords spread over the instances are all counted (backoff as on one instance)', async () => {
      const user = await newUser(cluster);
      const answers = await parallel(12, () => login(cluster, { email: user.email, password: 'Wrong-Pass-1' }, '127.0.0.11'));
      const counts = tally(answers);
      expect(servedBy(answers).size).toBe(3);
      const { failures } = await cluster.db('guess_counters').where({ user_id: user.id, factor: 'password' }).first();
      // Every evaluated guess (401) was counted once, whichever instance took it; after the 3rd
      // the backoff answered 429 without evaluating, as one instance does.
      expect(failures).toBe(counts[401]);
      expect(counts[401]).toBeGreaterThanOrEqual(3);
      expect(counts[401]! + counts[429]!).toBe(12);
      expect(counts[429]).toBeGreaterThanOrEqual(1);
    });

    it('a TOTP step accepted on one instance is refused on the others; one recovery code used ten times in parallel: one success', async () => {
      const from = '127.0.0.12';
      const user = await newUser(cluster);
      const { url, recoveryCodes } = await enableTotp(cluster, await accessTokenOf(cluster, await refreshTokenOf(cluster, user, from), from), from);
      expect(recoveryCodes).toHaveLength(10);

      const partial = await partialTokenOf(cluster, user, from);
      const code = totpCode(url, Date.now(), 1); // the next step (the current one enabled TOTP)
      const totp = await parallel(10, () => call(cluster.url, 'POST', '/user/2fa/totp/authenticate', { from, token: partial, body: { totp: code } }));
      expect(tally(totp)[200]).toBe(1);
      expect(totp.filter((a) => a.status >= 500)).toEqual([]);
      expect(servedBy(totp).size).toBe(3);
      // Asked once more of each instance: refused everywhere.
      const again = await parallel(3, () => call(cluster.url, 'POST', '/user/2fa/totp/authenticate', { from, token: partial, body: { totp: code } }));
      expect(again.map((a) => a.status).filter((s) => s === 200)).toEqual([]);

      const partial2 = await partialTokenOf(cluster, user, from);
      const recovery = await parallel(10, () =>
        call(cluster.url, 'POST', '/user/2fa/recovery-code/authenticate', { from, token: partial2, body: { recoveryCode: recoveryCodes[0] } }),
      );
      expect(tally(recovery)[200]).toBe(1);
      expect(recovery.filter((a) => a.status >= 500)).toEqual([]);
      expect(servedBy(recovery).size).toBe(3);
      const { used } = await cluster.db('recovery_codes').where({ user_id: user.id }).whereNotNull('used_at').count({ used: '*' }).first() as { used: string };
      expect(Number(used)).toBe(1);
    });

    it('one emailed reset code used ten times in parallel over the instances: one password change', async () => {
      const from = '127.0.0.13';
      const user = await newUser(cluster);
      const send = await call(cluster.url, 'POST', '/user/password/reset/send', { from, body: { email: user.email } });
      expect(send.status, send.text).toBe(200);
      const otp = codeFrom(await cluster.smtp.waitForMail(user.email, { timeoutMs: 15_000 }));
      const answers = await parallel(10, (i) =>
        call(cluster.url, 'PUT', '/user/password/otp', { from, body: { userEmail: user.email, otp, newPassword: `Cluster-New-${i}x` } }),
      );
      expect(tally(answers)[200]).toBe(1);
      expect(answers.filter((a) => a.status >= 500)).toEqual([]);
      expect(servedBy(answers).size).toBe(3);
      const winner = answers.findIndex((a) => a.status === 200);
      expect((await login(cluster, { email: user.email, password: `Cluster-New-${winner}x` }, from)).status).toBe(200);
    });

    it('every outbox mail is delivered exactly once to the SMTP peer, though every instance runs a worker', async () => {
      const from = '127.0.0.14';
      const users = await parallel(12, () => newUser(cluster));
      const sends = await parallel(12, (i) => call(cluster.url, 'POST', '/user/password/reset/send', { from, body: { email: users[i]!.email } }));
      expect(tally(sends)).toEqual({ 200: 12 });
      expect(servedBy(sends).size).toBe(3);
      const emails = users.map((u) => u.email);
      await waitFor('all 12 mails sent', async () => {
        const rows = await cluster.db('mail_outbox').whereIn('to_address', emails).select('status');
        return rows.length === 12 && rows.every((r) => r.status === 'sent');
      }, 30_000);
      await sleep(1500); // time for a second delivery, if there were one
      for (const email of emails) expect(cluster.smtp.mailsTo(email), email).toHaveLength(1);
      const ids = cluster.smtp.mails.map((m) => m.messageId);
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('the per-address login limit holds for the deployment, not per instance, and a client cannot pick its address with X-Forwarded-For', async () => {
      const from = '127.0.0.50';
      const total = CLUSTER_LOGIN_LIMIT + 6;
      const answers: Awaited<ReturnType<typeof call>>[] = [];
      for (let round = 0; round < total / 2; round++) {
        answers.push(
          ...(await parallel(2, (i) =>
            call(cluster.url, 'POST', '/auth/login', {
              from,
              // A forged hop left of the one HAProxy appends: ignored (TRUST_PROXY names HAProxy only).
              headers: { 'x-forwarded-for': `10.1.${round}.${i}` },
              body: { username: `nobody-${round}-${i}@example.com`, password: 'Whatever-Pass-1' },
            }),
          )),
        );
      }
      const limited = answers.filter((a) => a.status === 429);
      expect(answers.length - limited.length).toBe(CLUSTER_LOGIN_LIMIT);
      expect(limited).toHaveLength(6);
      for (const a of limited) {
        expect(a.json).toMatchObject({ message: 'TOO_MANY_REQUESTS' });
        expect(Number(a.headers['retry-after'])).toBeGreaterThan(0);
      }
      expect(servedBy(answers).size).toBe(3);
      // Another address has its own budget.
      expect((await call(cluster.url, 'POST', '/auth/login', { from: '127.0.0.51', body: { username: 'nobody@example.com', password: 'Whatever-Pass-1' } })).status).toBe(401);
    });

    it.runIf(options.viaPgbouncer)('the instances reach PostgreSQL only through PgBouncer (transaction pooling)', async () => {
      const before = await cluster.pgbouncer!.transactions();
      const answers = await parallel(9, () => call(cluster.url, 'GET', '/readyz', { from: '127.0.0.15' }));
      expect(tally(answers)).toEqual({ 200: 9 });
      expect(await cluster.pgbouncer!.transactions()).toBeGreaterThan(before);
    });

    it('rolling restart of all three instances under steady load: zero failed requests, zero lost writes', () => failWithLogs(async () => {
      const sessions = await parallel(4, async (i) => {
        const from = `127.0.0.${70 + i}`;
        const user = await newUser(cluster);
        return { userId: user.id, refreshToken: await refreshTokenOf(cluster, user, from), from };
      });
      // Through the frontend without retries: zero failures there is the drain's doing alone.
      const load = steadyLoad(cluster, sessions, { base: cluster.strictUrl });
      await sleep(1000);
      const restarts: { instance: string; exitCode: number | null; ms: number }[] = [];
      for (let i = 0; i < 3; i++) {
        const started = Date.now();
        const exitCode = await cluster.stopInstance(i);
        await cluster.startInstance(i);
        restarts.push({ instance: cluster.instances[i]!.name, exitCode, ms: Date.now() - started });
      }
      await sleep(1000);
      const result = await load.stop();
      console.log(`[${title}] rolling restart: ${result.ok} requests answered 2xx, ${result.failures.length} failed; restarts ${JSON.stringify(restarts)}`);
      expect(result.failures).toEqual([]);
      expect(restarts.map((r) => r.exitCode)).toEqual([0, 0, 0]);
      expect(result.ok).toBeGreaterThan(100);
      for (const session of result.sessions) {
        const rows = await cluster.db('refresh_tokens').where({ user_id: session.userId }).select('revoked_at');
        expect(rows).toHaveLength(session.rotations + 1); // the login's token and one per acknowledged rotation
        expect(rows.filter((r) => r.revoked_at === null)).toHaveLength(1);
        expect((await call(cluster.url, 'GET', '/auth/refreshtoken/validate', { token: session.refreshToken })).status).toBe(200);
      }
    }), 240_000);

    it('kill -9 of an instance under load: HAProxy routes around it, and no half-written state remains', () => failWithLogs(async () => {
      const sessions = await parallel(3, async (i) => {
        const from = `127.0.0.${80 + i}`;
        const user = await newUser(cluster);
        return { userId: user.id, refreshToken: await refreshTokenOf(cluster, user, from), from };
      });
      const writers = await parallel(12, () => newUser(cluster));
      const load = steadyLoad(cluster, sessions);
      // Multi-step writes in flight at the kill: enabling TOTP (method + ten recovery codes) and reset mails (code + outbox row).
      let enabled = 0;
      const twoFactorWrites = parallel(3, async (w) => {
        const from = `127.0.0.${90 + w}`;
        for (let n = w; n < writers.length; n += 3) {
          try {
            await enableTotp(cluster, await accessTokenOf(cluster, await refreshTokenOf(cluster, writers[n]!, from), from), from);
            enabled++;
          } catch {
            /* a request the kill cut off; the invariants below decide */
          }
          await call(cluster.url, 'POST', '/user/password/reset/send', { from: '127.0.0.95', body: { email: writers[n]!.email } }).catch(() => undefined);
        }
      });
      await sleep(1500);
      const killedAt = Date.now();
      await cluster.killInstance(1);
      await twoFactorWrites;
      await sleep(Math.max(0, 3000 - (Date.now() - killedAt)));
      const afterKill = Date.now();
      const tail = await parallel(20, () => call(cluster.url, 'GET', '/healthz', { from: '127.0.0.96' }));
      const result = await load.stop();
      console.log(`[${title}] kill -9: ${result.ok} requests answered 2xx, ${result.failures.length} failed (cut off at the kill): ${JSON.stringify(result.failures.slice(0, 5))}; sessions whose committed rotation was lost with the instance: ${result.lost}; TOTP enabled for ${enabled}/12`);

      // Routed around it: once HAProxy saw it down, every request went to the other two.
      expect(tally(tail)).toEqual({ 200: 20 });
      expect(servedBy(tail)).toEqual(new Set(['i1', 'i3']));
      expect(afterKill).toBeGreaterThan(killedAt);
      expect(result.failures.length).toBeLessThanOrEqual(sessions.length + 3); // at most what was in flight on the killed instance
      expect(result.lost).toBeLessThanOrEqual(sessions.length); // each such session refused its old token once, then stopped
      expect(enabled).toBeGreaterThan(0);

      // No half-written state.
      const twoFactorWithoutCodes = await cluster.db.raw(`
        select t.user_id from totp_factors t where t.completed_at is not null
        and (select count(*) from recovery_codes r where r.user_id = t.user_id) <> 10`);
      expect(twoFactorWithoutCodes.rows).toEqual([]);
      const codesWithout2fa = await cluster.db.raw(`
        select r.user_id from recovery_codes r where not exists (select 1 from totp_factors t where t.user_id = r.user_id and t.completed_at is not null)
        and not exists (select 1 from email_otp_factors e where e.user_id = r.user_id and e.completed_at is not null)`);
      expect(codesWithout2fa.rows).toEqual([]);
      const mailBothWays = await cluster.db('mail_outbox').whereRaw(`(status = 'sent') <> (sent_at is not null)`).select('id');
      expect(mailBothWays).toEqual([]);
      const codeWithoutMail = await cluster.db.raw(`
        select c.user_id from one_time_codes c join users u on u.id = c.user_id
        where c.purpose = 'password_reset' and not exists (select 1 from mail_outbox m where m.to_address = u.email)`);
      expect(codeWithoutMail.rows).toEqual([]);
      const ids = cluster.smtp.mails.map((m) => m.messageId);
      expect(new Set(ids).size).toBe(ids.length); // no mail delivered twice
      for (const session of result.sessions) {
        const live = await cluster.db('refresh_tokens').where({ user_id: session.userId }).whereNull('revoked_at').count({ n: '*' }).first() as { n: string };
        expect(Number(live.n)).toBe(1); // a rotation is one transaction: never two live tokens, never none
      }
    }), 120_000);
  });
}
