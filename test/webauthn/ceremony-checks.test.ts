import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { bearer, startTestServer, type TestServer } from '../support/server.js';
import { loginPartial } from '../support/two-factor.js';
import { passkeyChallenge, userWithPasskey } from '../support/passkeys.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const verify = (token: string, credential: Parameters<typeof sdk.verifyWebauthn>[0]['body']['credential']) =>
  sdk.verifyWebauthn({ client: server.client, headers: bearer(token), body: { credential } });

describe('what a passkey check refuses (401 WEBAUTHN_INVALID)', () => {
  it('an assertion made on another origin (a phishing page)', async () => {
    const { user, authenticator } = await userWithPasskey(server);
    const { partialToken } = await loginPartial(server, user);
    const result = await verify(partialToken, authenticator.assert(await passkeyChallenge(server, partialToken), { origin: 'https://auth-test.example' }));
    expect(result.response.status).toBe(401);
    expect(result.error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'WEBAUTHN_INVALID' });
  });

  it('an assertion for another RP ID', async () => {
    const { user, authenticator } = await userWithPasskey(server);
    const { partialToken } = await loginPartial(server, user);
    const result = await verify(partialToken, authenticator.assert(await passkeyChallenge(server, partialToken), { rpId: 'evil.example' }));
    expect(result.response.status).toBe(401);
  });

  it('a replayed assertion: the challenge was used by the first', async () => {
    const { user, authenticator } = await userWithPasskey(server, { counterStep: 0 });
    const { partialToken } = await loginPartial(server, user);
    const assertion = authenticator.assert(await passkeyChallenge(server, partialToken));
    expect((await verify(partialToken, assertion)).response.status).toBe(200);
    expect((await verify(partialToken, assertion)).response.status).toBe(401);
  });

  it('an expired challenge (older than 5 minutes)', async () => {
    const { user, authenticator } = await userWithPasskey(server);
    const { partialToken } = await loginPartial(server, user);
    const options = await passkeyChallenge(server, partialToken);
    server.clock.advance(5 * 60 * 1000 + 1);
    const { partialToken: fresh } = await loginPartial(server, user);
    expect((await verify(fresh, authenticator.assert(options))).response.status).toBe(401);
  });

  it('a sign counter that does not increase (a cloned authenticator)', async () => {
    const { user, authenticator } = await userWithPasskey(server);
    const { partialToken } = await loginPartial(server, user);
    expect((await verify(partialToken, authenticator.assert(await passkeyChallenge(server, partialToken), { signCount: 5 }))).response.status).toBe(200);
    const same = await verify(partialToken, authenticator.assert(await passkeyChallenge(server, partialToken), { signCount: 5 }));
    expect(same.response.status).toBe(401);
    const lower = await verify(partialToken, authenticator.assert(await passkeyChallenge(server, partialToken), { signCount: 4 }));
    expect(lower.response.status).toBe(401);
    expect((await verify(partialToken, authenticator.assert(await passkeyChallenge(server, partialToken), { signCount: 6 }))).response.status).toBe(200);
  });

  it('another user\'s passkey, even with a challenge of this user', async () => {
    const alice = await userWithPasskey(server);
    const bob = await userWithPasskey(server);
    const { partialToken } = await loginPartial(server, alice.user);
    const options = await passkeyChallenge(server, partialToken);
    const result = await verify(partialToken, bob.authenticator.assert(options, { credential: bob.authenticator.credentials[0] }));
    expect(result.response.status).toBe(401);
  });

  it('a counter of 0 stays acceptable for authenticators that keep none', async () => {
    const { user, authenticator } = await userWithPasskey(server, { counterStep: 0 });
    for (let i = 0; i < 2; i++) {
      const { partialToken } = await loginPartial(server, user);
      expect((await verify(partialToken, authenticator.assert(await passkeyChallenge(server, partialToken)))).response.status).toBe(200);
    }
  });
});

describe('passkey check backoff', () => {
  it('after 3 failed checks the next one waits (429 TOO_MANY_WEBAUTHN_CHECKS, Retry-After) and is not evaluated; success resets', async () => {
    const { user, authenticator } = await userWithPasskey(server);
    const { partialToken } = await loginPartial(server, user);
    for (let i = 0; i < 3; i++) {
      const wrong = await verify(partialToken, authenticator.assert(await passkeyChallenge(server, partialToken), { origin: 'https://evil.example' }));
      expect(wrong.response.status).toBe(401);
    }
    const options = await passkeyChallenge(server, partialToken);
    const early = await verify(partialToken, authenticator.assert(options));
    expect(early.response.status).toBe(429);
    expect(early.error).toEqual({ statusCode: 429, error: 'Too many requests', message: 'TOO_MANY_WEBAUTHN_CHECKS', retryAfter: 1 });
    expect(early.response.headers.get('retry-after')).toBe('1');
    server.clock.advance(1000);
    // Not evaluated: the challenge of the refused check is still unused and now passes.
    const { partialToken: fresh } = await loginPartial(server, user);
    const passed = await verify(fresh, authenticator.assert(options));
    expect(passed.response.status).toBe(200);
    const counter = await server.deps.db('guess_counters').where({ user_id: user.id, factor: 'webauthn' }).first('failures');
    expect(counter.failures).toBe(0);
  });
});
