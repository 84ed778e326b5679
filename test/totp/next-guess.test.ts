import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { bearer, startTestServer, type TestServer } from '../support/server.js';
import { wrongCode } from '../support/codes.js';
import { loginPartial, loginTokens, setupTotp, userWithTotp } from '../support/two-factor.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const nextGuess = (token?: string) => sdk.totpGuessWaitDuration({ client: server.client, headers: token ? bearer(token) : {} });

describe('GET /user/2fa/totp/next-guess', () => {
  it('reports 0, then the backoff in whole seconds rounded up, then 0 again once it expired', async () => {
    const { user, url } = await userWithTotp(server);
    const { partialToken } = await loginPartial(server, user);
    expect((await nextGuess(partialToken)).data).toEqual({ duration: 0 });
    const wrong = wrongCode(url, server.clock.now());
    for (let i = 0; i < 5; i++) {
      await sdk.verifyTotp({ client: server.client, headers: bearer(partialToken), body: { totp: wrong } });
      server.clock.advance(4000);
    }
    // 5 failures, the last 4 s ago: the wait is 2^(5-3) = 4 s from the last failure.
    expect((await nextGuess(partialToken)).data).toEqual({ duration: 0 });
    await sdk.verifyTotp({ client: server.client, headers: bearer(partialToken), body: { totp: wrong } }); // 6th: 8 s
    expect((await nextGuess(partialToken)).data).toEqual({ duration: 8 });
    server.clock.advance(7200);
    expect((await nextGuess(partialToken)).data).toEqual({ duration: 1 }); // 0.8 s reads 1
    server.clock.advance(800);
    expect((await nextGuess(partialToken)).data).toEqual({ duration: 0 });
  });

  it('counts a pending setup as set up; 409 TOTP_UNINITIALIZED before any setup', async () => {
    const user = await server.createUser();
    const { accessToken } = await loginTokens(server, user);
    const none = await nextGuess(accessToken);
    expect(none.response.status).toBe(409);
    expect(none.error).toEqual({ statusCode: 409, error: 'Conflict', message: 'TOTP_UNINITIALIZED' });
    await setupTotp(server, accessToken);
    expect((await nextGuess(accessToken)).data).toEqual({ duration: 0 });
  });

  it('answers 401 NO_TOKEN_PROVIDED and INVALID_TOKEN', async () => {
    expect((await nextGuess()).error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'NO_TOKEN_PROVIDED' });
    expect((await nextGuess('x.y.z')).error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'INVALID_TOKEN' });
  });
});
