import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { bearer, startTestServer, type TestServer } from '../support/server.js';
import { loginPartial } from '../support/two-factor.js';
import { passkeyChallenge, passkeyLoginOptions, userWithPasskey } from '../support/passkeys.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe('one assertion used ten times at once', () => {
  it('as a second factor: exactly one success', async () => {
    // No counter: only the single-use challenge stands between the ten requests.
    const { user, authenticator } = await userWithPasskey(server, { counterStep: 0 });
    const { partialToken } = await loginPartial(server, user);
    const credential = authenticator.assert(await passkeyChallenge(server, partialToken));
    const results = await Promise.all(
      Array.from({ length: 10 }, () => sdk.verifyWebauthn({ client: server.client, headers: bearer(partialToken), body: { credential } })),
    );
    const statuses = results.map((r) => r.response.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    // The guesses are serialised on the account's counter: the losers are failures (401), and
    // once three have failed the rest wait their backoff (429).
    expect(statuses.filter((s) => s !== 200).every((s) => s === 401 || s === 429)).toBe(true);
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThanOrEqual(3);
  });

  it('for passwordless sign-in: exactly one success', async () => {
    const { authenticator } = await userWithPasskey(server, { counterStep: 0 });
    const credential = authenticator.assert(await passkeyLoginOptions(server));
    const results = await Promise.all(Array.from({ length: 10 }, () => sdk.passkeyLogin({ client: server.client, body: { credential } })));
    expect(results.map((r) => r.response.status).sort()).toEqual([200, ...Array(9).fill(401)]);
  });

  it('two challenges signed with one counter value (a cloned passkey used at once): the guarded counter update lets one through', async () => {
    // Passwordless sign-in takes no per-account lock, so only the guarded UPDATE orders the two.
    for (let round = 0; round < 5; round++) {
      const { authenticator } = await userWithPasskey(server);
      const [a, b] = [await passkeyLoginOptions(server), await passkeyLoginOptions(server)];
      const pair = [authenticator.assert(a, { signCount: 7 }), authenticator.assert(b, { signCount: 7 })];
      const results = await Promise.all(pair.map((credential) => sdk.passkeyLogin({ client: server.client, body: { credential } })));
      expect(results.map((r) => r.response.status).sort()).toEqual([200, 401]);
    }
  });
});
