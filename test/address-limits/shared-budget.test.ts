import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { buildDeps } from '../../src/bootstrap.js';
import { createDb } from '../../src/db/knex.js';
import { createTestClock } from '../support/clock.js';
import { testConfig } from '../support/config.js';
import { createTestDatabase } from '../support/database.js';
import { recordExercised } from '../support/exercised.js';

/**
 * Two app instances, each with its own connection pool, on one database, with TRUST_PROXY unset
 * (the socket's address counts). The login budget is 5 per minute per address.
 */
const LOGIN_LIMIT = 5;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
const instances: { url: string; server: Server; destroy(): Promise<void> }[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  const config = await testConfig({ addressLimits: { login: { limit: LOGIN_LIMIT, periodSeconds: 60 } } });
  const clock = createTestClock(); // one clock for both: the instances' clocks agree
  for (let i = 0; i < 2; i++) {
    const db = i === 0 ? database.db : createDb(database.url);
    const app = createApp(await buildDeps(config, db, { clock }));
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    recordExercised(server);
    instances.push({
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      server,
      destroy: async () => {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
        if (i > 0) await db.destroy();
      },
    });
  }
});
afterAll(async () => {
  for (const instance of instances) await instance.destroy();
  await database.drop();
});

let seq = 0;
async function login(instance: number, headers: Record<string, string> = {}): Promise<number> {
  const response = await fetch(`${instances[instance]!.url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ username: `nobody-${++seq}@example.com`, password: 'Wrong-Pass-1' }),
  });
  await response.arrayBuffer();
  return response.status;
}

describe('per-address limits across instances', () => {
  it('two instances on one database share one budget, also for concurrent requests', async () => {
    const statuses = await Promise.all(Array.from({ length: 4 * LOGIN_LIMIT }, (_, i) => login(i % 2)));
    expect(statuses.filter((s) => s !== 429)).toHaveLength(LOGIN_LIMIT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(3 * LOGIN_LIMIT);
    expect(await login(0)).toBe(429);
    expect(await login(1)).toBe(429);
  });

  it('TRUST_PROXY unset: X-Forwarded-For from the peer changes nothing', async () => {
    // The budget of 127.0.0.1 is used up above; spoofed addresses do not escape it.
    for (const forged of ['198.51.100.7', '10.1.2.3', '2001:db8::1', '198.51.100.8, 198.51.100.9']) {
      expect(await login(0, { 'X-Forwarded-For': forged })).toBe(429);
    }
    const addresses = await database.db('address_limits').pluck('address');
    expect(addresses).toEqual(['127.0.0.1']);
  });
});
