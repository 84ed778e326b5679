import { createServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import type { Server } from 'node:http';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { buildDeps } from '../../src/bootstrap.js';
import { createDb, DB_ACQUIRE_TIMEOUT_MS } from '../../src/db/knex.js';
import { findUserById } from '../../src/users/queries.js';
import * as sdk from '../../generated/sdk.gen.js';
import { testConfig } from '../support/config.js';
import { recordExercised } from '../support/exercised.js';
import { bearer, startTestServer, type TestServer } from '../support/server.js';
import { DATABASE_FREE_OPERATIONS, exampleRequest, specOperations, tokenForScheme, sessionIdOf } from '../support/spec-requests.js';
import { inject } from 'vitest';

const SERVICE_UNAVAILABLE = { statusCode: 503, error: 'Service Unavailable', message: 'SERVICE_UNAVAILABLE', retryAfter: 5 };
/** The acquisition timeout plus room for a loaded 2-core machine: "fast" means never knex's 60 s. */
const ANSWER_WITHIN_MS = DB_ACQUIRE_TIMEOUT_MS + 2000;

let server: TestServer;
let databaseName: string;
let admin: pg.Client;
const unhandled: unknown[] = [];
const onUnhandled = (err: unknown) => unhandled.push(err);

beforeAll(async () => {
  process.on('uncaughtException', onUnhandled);
  process.on('unhandledRejection', onUnhandled);
  server = await startTestServer();
  databaseName = new URL((server.deps.db.client.config.connection as { connectionString: string }).connectionString).pathname.slice(1);
  admin = new pg.Client({ connectionString: inject('pgAdminUrl') });
  await admin.connect();
});
afterAll(async () => {
  await admin.query(`alter database ${databaseName} allow_connections true`).catch(() => undefined);
  await admin.end();
  await server.close();
  process.off('uncaughtException', onUnhandled);
  process.off('unhandledRejection', onUnhandled);
});

/** The test's own database goes away: no new sessions, every open one (the pool's idle ones too) killed. */
async function takeDatabaseAway(): Promise<void> {
  await admin.query(`alter database ${databaseName} allow_connections false`);
  await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [databaseName]);
}
const bringDatabaseBack = () => admin.query(`alter database ${databaseName} allow_connections true`);

describe('database outage', () => {
  it('every operation that uses the database answers 503 SERVICE_UNAVAILABLE with Retry-After, fast; the rest keep working; the process survives; it recovers', async () => {
    const user = await server.createUser();
    const login = await sdk.login({ client: server.client, body: { username: user.email, password: user.password } });
    const refreshToken = login.data as string;
    const row = await findUserById(server.deps.db, user.id);
    const caller = { id: user.id, passwordChangedAt: row!.passwordChangedAt.getTime(), sessionId: await sessionIdOf(server.deps, login.data as string) };
    // Warm the pool: idle clients that the outage kills must not raise an unhandled 'error'.
    await Promise.all(Array.from({ length: 5 }, () => sdk.validateRefreshToken({ client: server.client, headers: bearer(refreshToken) })));

    const usesDatabase = specOperations.filter((op) => !DATABASE_FREE_OPERATIONS.includes(op.operationId) && op.operationId !== 'getReadiness');
    expect(usesDatabase.length).toBeGreaterThan(25);
    // Every one of them documents the 503 this test produces.
    expect(usesDatabase.filter((op) => !op.statuses.includes('503')).map((op) => op.operationId)).toEqual([]);

    await takeDatabaseAway();
    try {
      const answers: Record<string, unknown> = {};
      let slowestMs = 0;
      for (const op of usesDatabase) {
        const { url, init } = exampleRequest(op, await tokenForScheme(server.deps, op.scheme, caller, refreshToken));
        const started = performance.now();
        const response = await fetch(server.baseUrl + url, init);
        const elapsed = performance.now() - started;
        slowestMs = Math.max(slowestMs, elapsed);
        answers[op.operationId] = {
          status: response.status,
          retryAfter: response.headers.get('retry-after'),
          body: await response.json(),
          fast: elapsed < ANSWER_WITHIN_MS,
        };
      }
      const expected = { status: 503, retryAfter: '5', body: SERVICE_UNAVAILABLE, fast: true };
      expect(answers).toEqual(Object.fromEntries(usesDatabase.map((op) => [op.operationId, expected])));
      console.log(`outage: ${usesDatabase.length} operations answered 503, slowest in ${slowestMs.toFixed(0)} ms`);

      // Readiness keeps its own 503; the database-free operations still answer 200.
      const ready = await fetch(`${server.baseUrl}/readyz`);
      expect({ status: ready.status, body: await ready.json() }).toMatchObject({ status: 503, body: { message: 'NOT_READY' } });
      for (const op of specOperations.filter((o) => DATABASE_FREE_OPERATIONS.includes(o.operationId))) {
        expect((await fetch(server.baseUrl + op.path)).status, op.operationId).toBe(200);
      }
    } finally {
      await bringDatabaseBack();
    }

    // Back: the same pool serves again (its dead clients were discarded), nothing crashed.
    const validated = await sdk.validateRefreshToken({ client: server.client, headers: bearer(refreshToken) });
    expect(validated.data).toEqual({ userId: user.id });
    expect((await fetch(`${server.baseUrl}/readyz`)).status).toBe(200);
    expect(unhandled).toEqual([]);
  });
});

describe('a database that accepts connections but never answers', () => {
  let blackhole: NetServer;
  const sockets: Socket[] = [];
  let app: Server;
  let baseUrl: string;

  beforeAll(async () => {
    // A TCP peer that takes the connection and then says nothing (a hung server, a dropped route).
    blackhole = createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
    const db = createDb(`postgres://postgres@127.0.0.1:${(blackhole.address() as AddressInfo).port}/none`);
    const deps = await buildDeps(await testConfig(), db);
    app = await new Promise((resolve) => {
      const s = createApp(deps).listen(0, '127.0.0.1', () => resolve(s));
    });
    recordExercised(app);
    baseUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    app.closeAllConnections();
    await new Promise((resolve) => app.close(resolve));
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => blackhole.close(resolve));
  });

  it('answers 503 once the acquisition timeout (2 s) passes, not after knex\'s default 60 s', async () => {
    const started = performance.now();
    const response = await fetch(`${baseUrl}/auth/refreshtoken/validate`, { headers: bearer('any-refresh-token') });
    const elapsed = performance.now() - started;
    console.log(`silent database: 503 after ${elapsed.toFixed(0)} ms`);
    expect({ status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.json() }).toEqual({
      status: 503,
      retryAfter: '5',
      body: SERVICE_UNAVAILABLE,
    });
    // It did wait for the connection attempt (this is the timeout path, not an instant refusal).
    expect(elapsed).toBeGreaterThanOrEqual(DB_ACQUIRE_TIMEOUT_MS - 100);
    expect(elapsed).toBeLessThan(ANSWER_WITHIN_MS);
  });
});
