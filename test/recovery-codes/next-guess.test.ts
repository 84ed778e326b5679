import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { bearer, startTestServer, type TestServer } from '../support/server.js';
import { loginPartial, loginTokens, userWithTotp } from '../support/two-factor.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const nextGuess = (token?: string) => sdk.recoveryCodeGuessWaitDuration({ client: server.client, headers: token ? bearer(token) : {} });

describe('GET /user/2fa/recovery-code/next-guess', () => {
  it('reports the recovery-code backoff in whole seconds, rounded up (partial token accepted)', async () => {
    const { user } = await userWithTotp(server);
    const { partialToken } = await loginPartial(server, user);
    expect((await nextGuess(partialToken)).data).toEqual({ duration: 0 });
    for (let i = 0; i < 4; i++) {
      await sdk.verifyRecoveryCodes({ client: server.client, headers: bearer(partialToken), body: { recoveryCode: 'AAAAAAAAAAAAAAAA' } });
      server.clock.advance(1000);
    }
    // 4 failures (1 s apart, the backoff allowed each); the last was 1 s ago; wait 2 s from it.
    expect((await nextGuess(partialToken)).data).toEqual({ duration: 1 });
    server.clock.advance(100);
    expect((await nextGuess(partialToken)).data).toEqual({ duration: 1 });
    server.clock.advance(900);
    expect((await nextGuess(partialToken)).data).toEqual({ duration: 0 });
  });

  it('answers 409 RECOVERY_CODES_UNINITIALIZED while the user has no codes, and 401 without a token', async () => {
    const user = await server.createUser();
    const { accessToken } = await loginTokens(server, user);
    const none = await nextGuess(accessToken);
    expect(none.response.status).toBe(409);
    expect(none.error).toEqual({ statusCode: 409, error: 'Conflict', message: 'RECOVERY_CODES_UNINITIALIZED' });
    expect((await nextGuess()).error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'NO_TOKEN_PROVIDED' });
    expect((await nextGuess('nope')).error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'INVALID_TOKEN' });
  });
});
