import type { TokenSet } from '../../generated/types.gen.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { bearer, startTestServer, type TestServer } from '../support/server.js';
import { loginPartial, loginTokens, userWithTotp } from '../support/two-factor.js';
import { statementsDuring } from '../support/round-trips.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const use = (token: string | undefined, recoveryCode: string) =>
  sdk.verifyRecoveryCodes({ client: server.client, headers: token ? bearer(token) : {}, body: { recoveryCode } });
const failures = async (userId: string) =>
  (await server.deps.db('guess_counters').where({ user_id: userId, factor: 'recovery_code' }).first('failures'))?.failures ?? 0;
/** A well-formed code that is none of `codes`. */
const notACode = (codes: string[]) => ['AAAAAAAAAAAAAAAA', 'BBBBBBBBBBBBBBBB'].find((c) => !codes.includes(c))!;

describe('POST /user/2fa/recovery-code/authenticate', () => {
  it('completes a login with a recovery code: three tokens, the code is used up, the others remain', async () => {
    const { user, recoveryCodes } = await userWithTotp(server);
    const { partialToken } = await loginPartial(server, user);
    const result = await use(partialToken, recoveryCodes[3]!);
    expect(result.response.status).toBe(200);
    expect(Object.keys(result.data!).sort()).toEqual(['accessToken', 'refreshToken', 'sudoToken']);
    expect((await sdk.validateRefreshToken({ client: server.client, headers: bearer((result.data as TokenSet).refreshToken) })).data).toEqual({ userId: user.id });
    const again = await use(partialToken, recoveryCodes[3]!);
    expect(again.response.status).toBe(401);
    expect(again.error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'RECOVERY_CODE_INVALID' });
    expect((await use(partialToken, recoveryCodes[4]!)).response.status).toBe(200);
    const status = await sdk.getTwoFa({ client: server.client, headers: bearer(partialToken) });
    expect(status.data!.recoveryCodes!.remaining).toBe(8);
  });

  it('accepts a code typed in lower case (input is upper-cased)', async () => {
    const { accessToken, recoveryCodes } = await userWithTotp(server);
    expect((await use(accessToken, recoveryCodes[0]!.toLowerCase())).response.status).toBe(200);
  });

  it('of 10 parallel uses of one code exactly one succeeds', async () => {
    const { user, accessToken, recoveryCodes } = await userWithTotp(server);
    const results = await Promise.all(Array.from({ length: 10 }, () => use(accessToken, recoveryCodes[0]!)));
    const statuses = results.map((r) => r.response.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.every((s) => s === 200 || s === 401 || s === 429)).toBe(true);
    expect(await server.deps.db('recovery_codes').where({ user_id: user.id }).whereNotNull('used_at').count({ n: '*' })).toEqual([{ n: 1 }]);
  });

  it('counts two concurrent wrong guesses both', async () => {
    const { user, accessToken, recoveryCodes } = await userWithTotp(server);
    const wrong = notACode(recoveryCodes);
    expect((await Promise.all([use(accessToken, wrong), use(accessToken, wrong)])).map((r) => r.response.status)).toEqual([401, 401]);
    expect(await failures(user.id)).toBe(2);
  });

  it('backs off after the 3rd failure (429 + Retry-After, the early right code not evaluated), per factor, until the wait is over', async () => {
    const { user, accessToken, recoveryCodes } = await userWithTotp(server);
    const wrong = notACode(recoveryCodes);
    for (let i = 0; i < 3; i++) expect((await use(accessToken, wrong)).response.status).toBe(401);
    const early = await use(accessToken, recoveryCodes[0]!);
    expect(early.response.status).toBe(429);
    expect(early.response.headers.get('retry-after')).toBe('1');
    expect(early.error).toEqual({ statusCode: 429, error: 'Too many requests', message: 'TOO_MANY_RECOVERY_CODE_CHECKS', retryAfter: 1 });
    expect(await server.deps.db('recovery_codes').where({ user_id: user.id }).whereNotNull('used_at')).toEqual([]);
    expect(await failures(user.id)).toBe(3);
    const wait = await sdk.recoveryCodeGuessWaitDuration({ client: server.client, headers: bearer(accessToken) });
    expect(wait.data).toEqual({ duration: 1 });
    // The TOTP factor is not locked by recovery-code failures.
    expect((await sdk.totpGuessWaitDuration({ client: server.client, headers: bearer(accessToken) })).data).toEqual({ duration: 0 });
    server.clock.advance(1000);
    expect((await use(accessToken, recoveryCodes[0]!)).response.status).toBe(200);
    expect(await failures(user.id)).toBe(0);
  });

  it('answers 409 RECOVERY_CODES_UNINITIALIZED when the user has no codes at all', async () => {
    const user = await server.createUser();
    const { accessToken } = await loginTokens(server, user);
    const result = await use(accessToken, 'ABCDEFGHJKMNPQRS');
    expect(result.response.status).toBe(409);
    expect(result.error).toEqual({ statusCode: 409, error: 'Conflict', message: 'RECOVERY_CODES_UNINITIALIZED' });
  });

  it('answers 401 RECOVERY_CODE_INVALID once every code is used', async () => {
    const { user, accessToken, recoveryCodes } = await userWithTotp(server);
    await server.deps.db('recovery_codes').where({ user_id: user.id }).update({ used_at: new Date(server.clock.now()) });
    expect((await use(accessToken, recoveryCodes[0]!)).error).toMatchObject({ statusCode: 401, message: 'RECOVERY_CODE_INVALID' });
  });

  it('answers 400 for a code that is not 16 characters, 401 NO_TOKEN_PROVIDED / INVALID_TOKEN for a missing or wrong-kind token', async () => {
    const { accessToken, refreshToken, recoveryCodes } = await userWithTotp(server);
    const short = await use(accessToken, 'ABCDEFGH');
    expect(short.response.status).toBe(400);
    expect(short.error).toEqual({ statusCode: 400, error: 'Bad Request', message: 'body.recoveryCode must NOT have fewer than 16 characters' });
    expect((await use(undefined, recoveryCodes[0]!)).error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'NO_TOKEN_PROVIDED' });
    expect((await use(refreshToken, recoveryCodes[0]!)).error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'INVALID_TOKEN' });
  });
});

describe('POST /user/2fa/recovery-code/authenticate round trips', () => {
  it('takes 9 statements, the codes read once: BEGIN, counter lock with the token check, codes, consume, notice (address, codes left, event), session (with the user row FOR SHARE and the event), COMMIT', async () => {
    const { user, recoveryCodes } = await userWithTotp(server);
    const { partialToken } = await loginPartial(server, user);
    const statements = await statementsDuring(server.deps.db, async () => {
      expect((await use(partialToken, recoveryCodes[0]!)).response.status).toBe(200);
    });
    expect(statements).toHaveLength(9);
    // The codes themselves are read once (the count of those left, for the notice, is another question).
    expect(statements.filter((sql) => /code_hash.*from "recovery_codes"/.test(sql))).toHaveLength(1);
  });

  it('refuses a token voided by a password change with 401 INVALID_TOKEN before counting the guess or using the code', async () => {
    const { user, recoveryCodes } = await userWithTotp(server);
    const { partialToken } = await loginPartial(server, user);
    await server.deps.db('users').where({ id: user.id }).update({ password_changed_at: new Date(server.clock.now() + 1000) });
    const invalid = { statusCode: 401, error: 'Unauthorized', message: 'INVALID_TOKEN' };
    expect((await use(partialToken, notACode(recoveryCodes))).error).toEqual(invalid);
    expect((await use(partialToken, recoveryCodes[0]!)).error).toEqual(invalid);
    expect(await failures(user.id)).toBe(0);
    expect(await server.deps.db('recovery_codes').where({ user_id: user.id }).whereNotNull('used_at').first('id')).toBeUndefined();
  });
});
