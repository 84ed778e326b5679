import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { compareTimings } from '../support/stats.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe('login does not tell unknown accounts from wrong passwords by time', () => {
  it('30 interleaved pairs a signed-rank test cannot tell apart, with identical answers', async () => {
    const user = await server.createUser();
    const attempt = async (username: string) => {
      // Past any backoff wait (capped at 15 min), so every guess of the known account is evaluated.
      server.clock.advance(15 * 60 * 1000 + 1000);
      const started = performance.now();
      const { response, error } = await sdk.login({ client: server.client, body: { username, password: 'Wrong-password-1' } });
      return { ms: performance.now() - started, status: response.status, error };
    };
    // Warm-up (JIT, connection pool, the dummy hash), not measured.
    for (let i = 0; i < 3; i++) {
      await attempt(user.email);
      await attempt('nobody@example.com');
    }

    const times = { known: [] as number[], unknown: [] as number[] };
    for (let i = 0; i < 30; i++) {
      const order = i % 2 ? (['known', 'unknown'] as const) : (['unknown', 'known'] as const);
      for (const who of order) {
        const result = await attempt(who === 'known' ? user.email : `nobody${i}@example.com`);
        expect(result.status).toBe(401);
        expect(result.error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'PASSWORD_INCORRECT' });
        times[who].push(result.ms);
      }
    }
    const comparison = compareTimings(times.known, times.unknown);
    // Both sides are dominated by one argon2id verification; without the dummy one for unknown
    // accounts the median paired difference is about 40 ms here (p ~ 1e-6), with it within noise.
    expect(comparison.differ, comparison.summary).toBe(false);
  });
});
