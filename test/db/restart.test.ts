import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { buildDeps } from '../../src/bootstrap.js';
import { startEmbeddedPostgres, type EmbeddedServer } from '../../src/db/embedded.js';
import { createDb, DB_ACQUIRE_TIMEOUT_MS, migrateLatest, type Db } from '../../src/db/knex.js';
import { systemClock } from '../../src/deps.js';
import { createUser } from '../../src/users/service.js';
import { testConfig } from '../support/config.js';
import { recordExercised } from '../support/exercised.js';

// A PostgreSQL server of this test's own is stopped and started again (on a new port, so the
// app reaches it through a TCP forwarder this test owns, as it would through a service address).
let dataDir: string;
let postgres: EmbeddedServer | undefined;
let backendPort = 0;
let forwarder: NetServer;
const sockets = new Set<Socket>();
let db: Db;
let app: Server;
let baseUrl: string;

const portOf = (url: string) => Number(new URL(url).port);

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'sg1-restart-pg-'));
  postgres = await startEmbeddedPostgres({ dataDir, persistent: true, unsafeFast: true });
  backendPort = portOf(postgres.url);
  forwarder = createServer((client) => {
    const server = createConnection({ host: '127.0.0.1', port: backendPort });
    for (const socket of [client, server]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      // Either side gone: the other goes too, as a real network path would.
      socket.on('error', () => (socket === client ? server : client).destroy());
    }
    client.on('close', () => server.destroy());
    server.on('close', () => client.destroy());
    client.pipe(server).pipe(client);
  });
  await new Promise<void>((resolve) => forwarder.listen(0, '127.0.0.1', resolve));
  const url = new URL(postgres.url);
  url.port = String((forwarder.address() as AddressInfo).port);
  db = createDb(url.toString());
  await migrateLatest(db);
  const deps = await buildDeps(await testConfig(), db);
  app = await new Promise((resolve) => {
    const s = createApp(deps).listen(0, '127.0.0.1', () => resolve(s));
  });
  recordExercised(app);
  baseUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
});
afterAll(async () => {
  app?.closeAllConnections();
  await new Promise((resolve) => app?.close(resolve));
  await db?.destroy();
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => forwarder?.close(resolve));
  await postgres?.stop();
  await rm(dataDir, { recursive: true, force: true });
  await rm(`${dataDir}.credentials.json`, { force: true });
});

describe('PostgreSQL stopped and started again', () => {
  it('answers 503 SERVICE_UNAVAILABLE with Retry-After while it is down, and serves again once it is back', async () => {
    const user = await createUser(db, systemClock, 'restart@example.com', 'Correct-Horse-9');
    const login = await fetch(`${baseUrl}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: user.email, password: 'Correct-Horse-9' }) });
    expect(login.status).toBe(200);
    const refreshToken = await login.text();
    const validate = () => fetch(`${baseUrl}/auth/refreshtoken/validate`, { headers: { authorization: `Bearer ${refreshToken}` } });
    expect((await validate()).status).toBe(200);

    await postgres!.stop();
    postgres = undefined;
    for (const request of [validate, () => fetch(`${baseUrl}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: user.email, password: 'x' }) })]) {
      const started = performance.now();
      const response = await request();
      expect({ status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.json() }).toEqual({
        status: 503,
        retryAfter: '5',
        body: { statusCode: 503, error: 'Service Unavailable', message: 'SERVICE_UNAVAILABLE', retryAfter: 5 },
      });
      expect(performance.now() - started).toBeLessThan(DB_ACQUIRE_TIMEOUT_MS + 2000);
    }
    expect((await fetch(`${baseUrl}/readyz`)).status).toBe(503);

    postgres = await startEmbeddedPostgres({ dataDir, persistent: true, unsafeFast: true });
    backendPort = portOf(postgres.url);
    // No restart of the service: the pool drops its dead connections and opens new ones.
    const seen = new Set<number>();
    await expect.poll(async () => {
      const status = (await validate()).status;
      seen.add(status);
      return status;
    }, { timeout: 10_000, interval: 200 }).toBe(200);
    // On the way back a request may still find the database away (503), never a 500.
    expect([...seen].filter((status) => status !== 200 && status !== 503)).toEqual([]);
    expect(await (await validate()).json()).toEqual({ userId: user.id });
    expect((await fetch(`${baseUrl}/readyz`)).status).toBe(200);
  });
});
