import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { bearer, startTestServer, type TestServer } from '../support/server.js';
import { userWithTotp } from '../support/two-factor.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe('POST /auth/login', () => {
  it('returns a refresh token as text/plain for the right password', async () => {
    const user = await server.createUser();
    const { data, response } = await sdk.login({ client: server.client, body: { username: user.email, password: user.password } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(data).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('treats the username case-insensitively', async () => {
    const user = await server.createUser();
    const { response } = await sdk.login({ client: server.client, body: { username: user.email.toUpperCase(), password: user.password } });
    expect(response.status).toBe(200);
  });

  it('answers 401 PASSWORD_INCORRECT for a wrong password and for an unknown user, with identical bodies', async () => {
    const user = await server.createUser();
    const wrong = await sdk.login({ client: server.client, body: { username: user.email, password: 'Wrong-password-1' } });
    const unknown = await sdk.login({ client: server.client, body: { username: 'nobody@example.com', password: 'Wrong-password-1' } });
    expect(wrong.response.status).toBe(401);
    expect(wrong.error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'PASSWORD_INCORRECT' });
    expect(unknown.response.status).toBe(401);
    expect(unknown.error).toEqual(wrong.error);
  });

  it('answers 400 with the validator text when a field is missing', async () => {
    const { response, error } = await sdk.login({ client: server.client, body: { username: 'a@example.com' } as never });
    expect(response.status).toBe(400);
    expect(error).toEqual({ statusCode: 400, error: 'Bad Request', message: "body must have required property 'password'" });
  });

  it('answers 400 for a username with a NUL character (PostgreSQL text cannot hold one)', async () => {
    const { response, error } = await sdk.login({ client: server.client, body: { username: 'a\u0000b@example.com', password: 'Whatever-1' } });
    expect(response.status).toBe(400);
    expect(error).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.stringMatching(/^body\.username must match pattern/) });
  });

  it('answers 400 for an over-long password without evaluating it', async () => {
    const user = await server.createUser();
    const passwordFailures = async () =>
      (await server.deps.db('guess_counters').where({ user_id: user.id, factor: 'password' }).first('failures'))?.failures ?? 0;
    for (let i = 0; i < 5; i++) {
      const { response, error } = await sdk.login({ client: server.client, body: { username: user.email, password: `${user.password}${'x'.repeat(257)}` } });
      expect(response.status).toBe(400);
      expect(error).toMatchObject({ statusCode: 400, message: 'body.password must NOT have more than 256 characters' });
    }
    // Five evaluated wrong guesses would have counted five failures and put the account in backoff.
    expect(await passwordFailures()).toBe(0);
    expect((await sdk.login({ client: server.client, body: { username: user.email, password: user.password } })).response.status).toBe(200);
  });

  it('answers 500 NO_PASSWORD_INFO for an account without a password', async () => {
    const user = await server.createUser();
    await server.deps.db('users').where({ id: user.id }).update({ password_hash: null });
    const { response, error } = await sdk.login({ client: server.client, body: { username: user.email, password: user.password } });
    expect(response.status).toBe(500);
    expect(error).toEqual({ statusCode: 500, error: 'Internal server error', message: 'NO_PASSWORD_INFO' });
  });

  it('answers 401 2FA_REQUIRED with a partial token and the active methods when 2FA is on', async () => {
    const { user } = await userWithTotp(server);
    const { response, error } = await sdk.login({ client: server.client, body: { username: user.email, password: user.password } });
    expect(response.status).toBe(401);
    expect(error).toMatchObject({ statusCode: 401, error: 'Unauthorized', message: '2FA_REQUIRED', methods: ['totp', 'recoveryCode'] });
    const partialToken = (error as { partialToken: string }).partialToken;
    // The partial token is accepted only where the contract allows it.
    const validate = await sdk.validateAccessToken({ client: server.client, headers: bearer(partialToken) });
    expect(validate.response.status).toBe(401);
    expect(validate.error).toMatchObject({ message: 'INVALID_TOKEN' });
  });
});
