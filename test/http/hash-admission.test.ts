import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { createHashLimiter } from '../../src/crypto/hash-limiter.js';
import { loginTokens } from '../support/two-factor.js';
import { bearer, startTestServer, type TestServer } from '../support/server.js';
import { instrumentHashes, until } from '../support/hashing.js';

// One hash at a time and no queue: holding the single permit in the test fills the service up.
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ hashConcurrency: 1, hashQueue: 0 });
});
afterAll(() => server.close());

/** Counts the statements sent through the service's pool (knex's `query` event) while `act` runs. */
async function queriesDuring<T>(act: () => Promise<T>): Promise<{ result: T; queries: number }> {
  let queries = 0;
  const count = () => queries++;
  server.deps.db.on('query', count);
  try {
    const result = await act();
    return { result, queries };
  } finally {
    server.deps.db.off('query', count);
  }
}

const BUSY = { statusCode: 503, error: 'Service Unavailable', message: 'SERVER_BUSY', retryAfter: 1 };

describe('503 SERVER_BUSY: the hashing operations shed load before any database work', () => {
  it('login, updatePasswordViaSudo and updatePasswordViaOtp, each with zero queries; once a slot is free they work again', async () => {
    const user = await server.createUser();
    const token = (await loginTokens(server, user)).accessToken;
    type Answer = { response: Response; error?: unknown };
    const operations: Record<string, () => Promise<Answer>> = {
      login: () => sdk.login({ client: server.client, body: { username: user.email, password: 'Wrong-pass-1' } }),
      updatePasswordViaSudo: () =>
        sdk.updatePasswordViaSudo({ client: server.client, headers: bearer(token), body: { oldPassword: 'Wrong-pass-1', newPassword: 'Changed-Pass-31' } }),
      updatePasswordViaOtp: () =>
        sdk.updatePasswordViaOtp({ client: server.client, body: { userEmail: user.email, otp: '000000', newPassword: 'Changed-Pass-31' } }),
    };
    for (const [name, call] of Object.entries(operations)) {
      const held = server.deps.hashLimiter.tryAdmit()!; // every slot and queue place taken
      const shed = await queriesDuring(call);
      held.release();
      expect(shed.result.response.status, name).toBe(503);
      expect(shed.result.error, name).toEqual(BUSY);
      expect(shed.result.response.headers.get('retry-after'), name).toBe('1');
      expect(shed.queries, `${name}: statements before the 503`).toBe(0);
      expect(shed.result.response.headers.get('cache-control'), name).toBe('no-store');
      // Connection is hop-by-hop: a proxy in front (VIA_PRISM_PROXY) answers with its own.
      if (server.baseUrl === server.directUrl) expect(shed.result.response.headers.get('connection'), name).toBe('close');

      const served = await queriesDuring(call);
      expect(served.result.response.status, name).toBe(401);
      expect(served.queries, name).toBeGreaterThan(0); // the counter does see this pool's statements
    }
  });

  it('shed requests are counted under their operation in the request metrics', async () => {
    const held = server.deps.hashLimiter.tryAdmit()!;
    try {
      expect((await sdk.login({ client: server.client, body: { username: 'x@example.com', password: 'Wrong-pass-1' } })).response.status).toBe(503);
    } finally {
      held.release();
    }
    const metrics = await server.deps.metrics.registry.metrics();
    expect(metrics).toMatch(/http_request_duration_seconds_count\{[^}]*operation="login"[^}]*status="503"[^}]*\} [1-9]/);
  });

  it('the cheap paths are not admission-checked', async () => {
    const user = await server.createUser();
    const token = (await loginTokens(server, user)).accessToken;
    const held = server.deps.hashLimiter.tryAdmit()!;
    try {
      expect((await sdk.validateAccessToken({ client: server.client, headers: bearer(token) })).response.status).toBe(200);
      expect((await sdk.sendPasswordReset({ client: server.client, body: { email: user.email } })).response.status).toBe(200);
    } finally {
      held.release();
    }
  });
});

describe('the queue', () => {
  it('holds requests beyond the running hashes, sheds past it, then drains', async () => {
    const original = server.deps.hashLimiter;
    const limiter = createHashLimiter(1, 1);
    const hashes = instrumentHashes(server, limiter);
    let open!: () => void;
    hashes.gate = new Promise((resolve) => (open = resolve));
    try {
      const login = (name: string) => sdk.login({ client: server.client, body: { username: `${name}@example.com`, password: 'Wrong-pass-1' } });
      const first = login('first-in-queue');
      await until(() => limiter.stats().running === 1); // hashing, held at the gate
      const second = login('second-in-queue');
      await until(() => limiter.stats().waiting === 1); // admitted, waiting for the slot
      const third = await login('third-in-queue');
      expect(third.error).toEqual(BUSY);

      open();
      expect((await first).response.status).toBe(401);
      expect((await second).response.status).toBe(401);
      expect(limiter.stats()).toEqual({ admitted: 0, running: 0, waiting: 0 });
      expect((await login('after-the-drain')).response.status).toBe(401);
    } finally {
      open();
      server.deps.hashLimiter = original;
    }
  });
});

describe('permits are released whatever the outcome', () => {
  // Capacity is one: a permit kept by any of these would turn the next login into a 503.
  it('after 401, 429, 500, a refused token, a 400 from the validator and a 200', async () => {
    const user = await server.createUser();
    const noPassword = await server.createUser();
    await server.deps.db('users').where({ id: noPassword.id }).update({ password_hash: null });
    const login = (username: string, password: string) => sdk.login({ client: server.client, body: { username, password } });

    const outcomes: unknown[] = [];
    for (let i = 0; i < 3; i++) outcomes.push((await login(user.email, 'Wrong-pass-1')).response.status);
    outcomes.push((await login(user.email, 'Wrong-pass-1')).error?.message); // in backoff: never hashed
    outcomes.push((await login(noPassword.email, 'Any-pass-1')).error?.message);
    outcomes.push(
      (await sdk.updatePasswordViaSudo({ client: server.client, headers: bearer('not-a-token'), body: { oldPassword: 'x', newPassword: 'Changed-Pass-31' } })).error?.message,
    );
    // Refused by the request validator, after admission (which comes first, see hash-admission.ts).
    outcomes.push((await fetch(`${server.baseUrl}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":"x"}' })).status);
    server.clock.advance(60_000);
    outcomes.push((await login(user.email, user.password)).response.status);
    expect(outcomes).toEqual([401, 401, 401, 'TOO_MANY_FAILED_PASSWORD_CHECKS', 'NO_PASSWORD_INFO', 'INVALID_TOKEN', 400, 200]);
    expect(server.deps.hashLimiter.stats()).toEqual({ admitted: 0, running: 0, waiting: 0 });
  });
});
