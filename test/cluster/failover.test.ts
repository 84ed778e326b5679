import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/db/embedded.js';
import { createDb, DB_ACQUIRE_TIMEOUT_MS, type Db } from '../../src/db/knex.js';
import { systemClock } from '../../src/deps.js';
import { createUser } from '../../src/users/service.js';
import { startSmtpCapture, type SmtpCapture } from '../support/smtp.js';
import { startHaproxy, type Haproxy } from './support/haproxy.js';
import { call, closeAgents } from './support/http.js';
import { startPatroni, type PatroniCluster, type PatroniNode } from './support/patroni.js';
import { killAll, sleep, start, waitFor, type Managed } from './support/processes.js';
import { generateProductionSecrets } from '../../src/config/production-secrets.js';

/**
 * PostgreSQL failover under load: two Patroni nodes (etcd, synchronous_mode) behind HAProxy's
 * Patroni-aware TCP check (`/primary` on the REST port); one service instance on HAProxy's
 * address. The primary node is killed (-9, Patroni and PostgreSQL); the standby is promoted.
 */
describe('PostgreSQL failover (Patroni, synchronous replication) under load', () => {
  let dir: string;
  let patroni: PatroniCluster | undefined;
  let haproxy: Haproxy | undefined;
  let smtp: SmtpCapture | undefined;
  let service: Managed | undefined;
  let db: Db | undefined;
  let serviceUrl: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sg1-failover-'));
    await chmod(dir, 0o755);
    patroni = await startPatroni(join(dir, 'patroni'));
    haproxy = await startHaproxy({
      dir,
      port: await freePort(),
      mode: 'tcp',
      servers: patroni.nodes.map((n) => ({ name: n.name, host: '127.0.0.1', port: n.pgPort })),
      checkPorts: patroni.nodes.map((n) => n.restPort),
    });
    await haproxy.waitForStates({ pg1: 'UP', pg2: 'DOWN' });
    const databaseUrl = `postgres://postgres@127.0.0.1:${haproxy.port}/postgres`;
    db = createDb(databaseUrl, 2);
    smtp = await startSmtpCapture();
    const port = await freePort();
    serviceUrl = `http://127.0.0.1:${port}`;
    service = start('service', process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: {
        ...process.env,
        NODE_ENV: 'production',
        PORT: String(port),
        DATABASE_URL: databaseUrl,
        DATABASE_POOL_MAX: '5',
        SMTP_URL: smtp.url,
        PUBLIC_URL: 'http://auth.failover.test',
        ...(await generateProductionSecrets()),
        DATA_DIR: dir,
        LOG_LEVEL: 'warn',
        ADDRESS_LIMIT_LOGIN: 'off',
        SHUTDOWN_DRAIN_MS: '0',
      },
    });
    await waitFor('service ready', async () => (await fetch(`${serviceUrl}/readyz`)).status === 200, 90_000, 250).catch((err) => {
      throw new Error(`${(err as Error).message}\n${service!.output()}`);
    });
  }, 300_000);

  afterAll(async () => {
    closeAgents();
    await db?.destroy().catch(() => undefined);
    await service?.stop(5000);
    await haproxy?.stop().catch(() => undefined);
    await patroni?.stop().catch(() => undefined);
    await smtp?.close();
    await killAll();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('kill -9 of the primary: 503 during the switch (never a 500, never a hang), recovery by itself, no acknowledged write lost', async () => {
    const users = await Promise.all(Array.from({ length: 4 }, (_, i) => createUser(db!, systemClock, `f${i}-${Date.now()}@example.com`, 'Failover-Pass-7')));
    type Sample = { at: number; ms: number; status: number | string; token?: string; text: string };
    const samples: Sample[] = [];
    let stopped = false;
    const testDeadline = Date.now() + 120_000;
    // Each login is a write (a refresh-token row); a 200 acknowledges it.
    const workers = users.map(async (user, w) => {
      for (let n = 0; n < 5000 && !stopped && Date.now() < testDeadline; n++) {
        const at = Date.now();
        try {
          const answer = await call(serviceUrl, 'POST', '/auth/login', { from: `127.0.0.${30 + w}`, body: { username: user.email, password: 'Failover-Pass-7' }, timeoutMs: 20_000 });
          samples.push({ at, ms: Date.now() - at, status: answer.status, token: answer.status === 200 ? answer.text : undefined, text: answer.text.slice(0, 200) });
          if (answer.status === 503) await sleep(100);
        } catch (err) {
          samples.push({ at, ms: Date.now() - at, status: (err as Error).message, text: '' });
        }
      }
    });

    await sleep(2000);
    const [primary, standby] = patroni!.nodes as [PatroniNode, PatroniNode];
    const killedAt = Date.now();
    await primary.kill();
    await waitFor('the standby promoted', async () => (await standby.role('/primary')) === 200, 60_000, 100);
    const promotedAt = Date.now();
    await haproxy!.waitForStates({ pg2: 'UP' }, 10_000);
    // Keep the load on until logins have succeeded again for 3 s (bounded by the deadline).
    await waitFor('logins answered again', () => samples.some((s) => s.at > promotedAt && s.status === 200), 30_000);
    await sleep(3000);
    stopped = true;
    await Promise.all(workers);

    const after = samples.filter((s) => s.at >= killedAt);
    const failed = after.filter((s) => s.status !== 200);
    const firstFailure = Math.min(...failed.map((s) => s.at));
    const lastFailureEnd = Math.max(...failed.map((s) => s.at + s.ms));
    const recovered = Math.min(...after.filter((s) => s.status === 200 && s.at >= lastFailureEnd).map((s) => s.at));
    const statuses = [...new Set(samples.map((s) => s.status))];
    const slowest = Math.max(...samples.map((s) => s.ms));
    console.log(
      `[failover] kill -9 of the primary → standby promoted after ${promotedAt - killedAt} ms; service outage (first failed to first good login) ${recovered - firstFailure} ms, ` +
        `recovered ${recovered - promotedAt} ms after the promotion; ${samples.length} logins, ${failed.length} answered 503 during the switch, statuses ${JSON.stringify(statuses)}, slowest answer ${slowest} ms`,
    );

    const unexpected = samples.filter((s) => s.status !== 200 && s.status !== 503);
    if (unexpected.length) console.log(`[failover] unexpected answers: ${JSON.stringify(unexpected.slice(0, 3))}\n${service!.output().split('\n').filter((l) => /"level":(50|60)/.test(l)).slice(0, 3).join('\n')}`);
    // Only 200 or 503 SERVICE_UNAVAILABLE with Retry-After: no 500, no dropped connection.
    expect(statuses.sort()).toEqual(failed.length ? [200, 503] : [200]);
    for (const s of failed) expect(JSON.parse(s.text)).toMatchObject({ statusCode: 503, message: 'SERVICE_UNAVAILABLE', retryAfter: 5 });
    // Never a hang: a request waits at most the acquisition timeout (plus a hash and this busy machine).
    expect(slowest).toBeLessThan(DB_ACQUIRE_TIMEOUT_MS + 4000);
    // Back by itself within seconds of the promotion, without a restart.
    expect(recovered - promotedAt).toBeLessThan(10_000);
    expect(service!.child.exitCode).toBeNull();

    // Every acknowledged write survived the failover (synchronous replication).
    const acknowledged = samples.filter((s) => s.token).map((s) => s.token!);
    expect(acknowledged.length).toBeGreaterThan(10);
    const { rows } = await db!.raw('select count(*)::int as n from refresh_tokens');
    expect(rows[0].n).toBeGreaterThanOrEqual(acknowledged.length);
    const lastBefore = samples.filter((s) => s.token && s.at < killedAt).slice(-8);
    for (const s of [...lastBefore, ...samples.filter((x) => x.token).slice(-4)]) {
      expect((await call(serviceUrl, 'GET', '/auth/refreshtoken/validate', { token: s.token })).status).toBe(200);
    }
    const checked = await Promise.all(acknowledged.map((token) => call(serviceUrl, 'GET', '/auth/refreshtoken/validate', { token }).then((a) => a.status)));
    expect(checked.filter((status) => status !== 200)).toEqual([]);
  }, 240_000);
});
