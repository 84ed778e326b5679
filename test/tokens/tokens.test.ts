import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalJWKSet, jwtVerify } from 'jose';
import * as sdk from '../../generated/sdk.gen.js';
import { signJwt } from '../../src/tokens/jwt.js';
import { issueSessionTokens } from '../../src/tokens/service.js';
import { withTx } from '../../src/db/tx.js';
import { sessionIdOf } from '../support/spec-requests.js';
import { bearer, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

async function loggedIn() {
  const user = await server.createUser();
  const { data, response } = await sdk.login({ client: server.client, body: { username: user.email, password: user.password } });
  expect(response.status).toBe(200);
  return { user, refreshToken: data as string };
}

async function accessTokenFor(refreshToken: string) {
  const { data, response } = await sdk.getAccessToken({ client: server.client, headers: bearer(refreshToken) });
  expect(response.status).toBe(200);
  return data as string;
}

describe('refresh tokens', () => {
  it('validate returns the owner', async () => {
    const { user, refreshToken } = await loggedIn();
    const { data, response } = await sdk.validateRefreshToken({ client: server.client, headers: bearer(refreshToken) });
    expect(response.status).toBe(200);
    expect(data).toEqual({ userId: user.id });
  });

  it('is stored only as its SHA-256', async () => {
    const { user, refreshToken } = await loggedIn();
    const rows = await server.deps.db('refresh_tokens').where({ user_id: user.id }).select('token_hash');
    // The login's row exists, and holds the SHA-256 of the token (computed here, not by the service's helper), not the token.
    expect(rows).toHaveLength(1);
    expect(Buffer.compare(rows[0].token_hash, createHash('sha256').update(refreshToken).digest())).toBe(0);
    expect(rows[0].token_hash.toString()).not.toContain(refreshToken);
  });

  it('rotation gives a new token and the old one stops working', async () => {
    const { refreshToken } = await loggedIn();
    const { data: rotated, response } = await sdk.getRefreshToken({ client: server.client, headers: bearer(refreshToken) });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(rotated).not.toBe(refreshToken);
    const old = await sdk.validateRefreshToken({ client: server.client, headers: bearer(refreshToken) });
    expect(old.response.status).toBe(401);
    expect(old.error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'INVALID_TOKEN' });
    const fresh = await sdk.validateRefreshToken({ client: server.client, headers: bearer(rotated as string) });
    expect(fresh.response.status).toBe(200);
  });

  it('of two concurrent rotations of one token exactly one succeeds', async () => {
    const { refreshToken } = await loggedIn();
    const results = await Promise.all(
      Array.from({ length: 5 }, () => sdk.getRefreshToken({ client: server.client, headers: bearer(refreshToken) })),
    );
    expect(results.map((r) => r.response.status).sort()).toEqual([200, 401, 401, 401, 401]);
  });

  it('logout answers 204 and revokes the token; a second logout is 401', async () => {
    const { refreshToken } = await loggedIn();
    const first = await sdk.logout({ client: server.client, headers: bearer(refreshToken) });
    expect(first.response.status).toBe(204);
    const again = await sdk.logout({ client: server.client, headers: bearer(refreshToken) });
    expect(again.response.status).toBe(401);
    expect(again.error).toMatchObject({ message: 'INVALID_TOKEN' });
    const access = await sdk.getAccessToken({ client: server.client, headers: bearer(refreshToken) });
    expect(access.response.status).toBe(401);
  });

  it('expires after 14 days', async () => {
    const { refreshToken } = await loggedIn();
    server.clock.advance(14 * 24 * 3600 * 1000 - 1000);
    expect((await sdk.validateRefreshToken({ client: server.client, headers: bearer(refreshToken) })).response.status).toBe(200);
    server.clock.advance(2000);
    const expired = await sdk.validateRefreshToken({ client: server.client, headers: bearer(refreshToken) });
    expect(expired.response.status).toBe(401);
    expect(expired.error).toMatchObject({ message: 'INVALID_TOKEN' });
  });
});

describe('token errors', () => {
  const protectedCalls = {
    getAccessToken: (headers?: Record<string, string>) => sdk.getAccessToken({ client: server.client, headers }),
    getRefreshToken: (headers?: Record<string, string>) => sdk.getRefreshToken({ client: server.client, headers }),
    logout: (headers?: Record<string, string>) => sdk.logout({ client: server.client, headers }),
    validateRefreshToken: (headers?: Record<string, string>) => sdk.validateRefreshToken({ client: server.client, headers }),
    validateAccessToken: (headers?: Record<string, string>) => sdk.validateAccessToken({ client: server.client, headers }),
  };

  for (const [name, call] of Object.entries(protectedCalls)) {
    it(`${name}: no header or an empty bearer → NO_TOKEN_PROVIDED; garbage → INVALID_TOKEN`, async () => {
      for (const headers of [undefined, { Authorization: 'Bearer ' }, { Authorization: '' }]) {
        const { response, error } = await call(headers);
        expect(response.status).toBe(401);
        expect(error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'NO_TOKEN_PROVIDED' });
      }
      for (const headers of [bearer('not-a-token'), { Authorization: 'Basic abc' }, bearer('a.b.c')]) {
        const { response, error } = await call(headers);
        expect(response.status).toBe(401);
        expect(error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'INVALID_TOKEN' });
      }
    });
  }

  it('a token glued to "Bearer" without a space is malformed: INVALID_TOKEN', async () => {
    const { refreshToken } = await loggedIn();
    const accessToken = await accessTokenFor(refreshToken);
    const glued = await sdk.validateAccessToken({ client: server.client, headers: { Authorization: `Bearer${accessToken}` } });
    expect(glued.error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'INVALID_TOKEN' });
    const gluedRefresh = await sdk.validateRefreshToken({ client: server.client, headers: { Authorization: `Bearer${refreshToken}` } });
    expect(gluedRefresh.error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'INVALID_TOKEN' });
    // The scheme name is case-insensitive, and "Bearer" alone is an empty bearer.
    expect((await sdk.validateAccessToken({ client: server.client, headers: { Authorization: `bearer ${accessToken}` } })).response.status).toBe(200);
    expect((await sdk.validateAccessToken({ client: server.client, headers: { Authorization: 'Bearer' } })).error).toMatchObject({ message: 'NO_TOKEN_PROVIDED' });
  });

  it('an access token is not a refresh token, and a refresh token is not an access token', async () => {
    const { refreshToken } = await loggedIn();
    const accessToken = await accessTokenFor(refreshToken);
    expect((await sdk.validateRefreshToken({ client: server.client, headers: bearer(accessToken) })).error).toMatchObject({ message: 'INVALID_TOKEN' });
    expect((await sdk.validateAccessToken({ client: server.client, headers: bearer(refreshToken) })).error).toMatchObject({ message: 'INVALID_TOKEN' });
  });
});

describe('access tokens', () => {
  it('are EdDSA JWTs with kid and typ, verifiable offline with the published JWKS', async () => {
    const { user, refreshToken } = await loggedIn();
    const accessToken = await accessTokenFor(refreshToken);
    const { data: jwks } = await sdk.getJwks({ client: server.client });
    const { payload, protectedHeader } = await jwtVerify(accessToken, createLocalJWKSet(jwks as never), {
      currentDate: new Date(server.clock.now()),
    });
    expect(protectedHeader.alg).toBe('EdDSA');
    expect(protectedHeader.kid).toBeTruthy();
    expect(payload).toMatchObject({ sub: user.id, typ: 'access' });
    expect(payload.exp! - payload.iat!).toBe(300);
    expect((jwks as { keys: Record<string, unknown>[] }).keys.every((k) => !('d' in k))).toBe(true);
  });

  it('validate returns the owner and stops after 5 minutes', async () => {
    const { user, refreshToken } = await loggedIn();
    const accessToken = await accessTokenFor(refreshToken);
    expect((await sdk.validateAccessToken({ client: server.client, headers: bearer(accessToken) })).data).toEqual({ userId: user.id });
    server.clock.advance(299_000);
    expect((await sdk.validateAccessToken({ client: server.client, headers: bearer(accessToken) })).response.status).toBe(200);
    server.clock.advance(2_000);
    const expired = await sdk.validateAccessToken({ client: server.client, headers: bearer(accessToken) });
    expect(expired.error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'INVALID_TOKEN' });
  });

  it('a sudo token is accepted wherever an access token is', async () => {
    const { user, refreshToken } = await loggedIn();
    const sessionId = await sessionIdOf(server.deps, refreshToken);
    const sudo = await signJwt(server.deps.keys, server.clock, { userId: user.id, kind: 'sudo', passwordChangedAt: (await passwordChangedAt(user.id)), sessionId });
    expect((await sdk.validateAccessToken({ client: server.client, headers: bearer(sudo) })).data).toEqual({ userId: user.id });
  });

  it('a token signed by another key, or with a tampered payload, is rejected', async () => {
    const { user, refreshToken } = await loggedIn();
    const other = await startTestServer();
    try {
      const foreign = await signJwt(other.deps.keys, server.clock, { userId: user.id, kind: 'access', passwordChangedAt: await passwordChangedAt(user.id) });
      expect((await sdk.validateAccessToken({ client: server.client, headers: bearer(foreign) })).error).toMatchObject({ message: 'INVALID_TOKEN' });
    } finally {
      await other.close();
    }
    const [h, p, s] = (await accessTokenFor(refreshToken)).split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const tampered = [h, Buffer.from(JSON.stringify({ ...payload, typ: 'sudo' })).toString('base64url'), s].join('.');
    expect((await sdk.validateAccessToken({ client: server.client, headers: bearer(tampered) })).error).toMatchObject({ message: 'INVALID_TOKEN' });
  });

  it('tokens issued before the last password change are rejected', async () => {
    const { user, refreshToken } = await loggedIn();
    const accessToken = await accessTokenFor(refreshToken);
    server.clock.advance(1);
    await server.deps.db('users').where({ id: user.id }).update({ password_changed_at: new Date(server.clock.now()) });
    expect((await sdk.validateAccessToken({ client: server.client, headers: bearer(accessToken) })).error).toMatchObject({ message: 'INVALID_TOKEN' });
    // The refresh token was issued under the old password: it is dead too.
    expect((await sdk.getAccessToken({ client: server.client, headers: bearer(refreshToken) })).error).toMatchObject({ message: 'INVALID_TOKEN' });
    // A login after the change, even within the same second, gets tokens that work.
    const { data: fresh } = await sdk.login({ client: server.client, body: { username: user.email, password: user.password } });
    expect((await sdk.validateAccessToken({ client: server.client, headers: bearer(await accessTokenFor(fresh as string)) })).response.status).toBe(200);
  });
});

async function passwordChangedAt(userId: string): Promise<number> {
  const row = await server.deps.db('users').where({ id: userId }).first('password_changed_at');
  return row.password_changed_at.getTime();
}

describe('password changes and sessions issued around them', () => {
  it('a refresh token issued under an earlier password is dead even if its revocation missed it', async () => {
    const { user, refreshToken } = await loggedIn();
    server.clock.advance(1);
    // Only the change time moves, as if the revocation had missed this token.
    await server.deps.db('users').where({ id: user.id }).update({ password_changed_at: new Date(server.clock.now()) });
    const { response, error } = await sdk.getAccessToken({ client: server.client, headers: bearer(refreshToken) });
    expect(response.status).toBe(401);
    expect(error).toMatchObject({ message: 'INVALID_TOKEN' });
  });

  it('a second factor passed by a caller whose token predates a password change earns no session', async () => {
    const user = await server.createUser();
    const stale = { userId: user.id, passwordChangedAt: (await passwordChangedAt(user.id)) - 1 };
    await expect(withTx(server.deps.db, (trx) => issueSessionTokens(trx, server.deps, stale, 'totp'))).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
    const current = { userId: user.id, passwordChangedAt: await passwordChangedAt(user.id) };
    const tokens = await withTx(server.deps.db, (trx) => issueSessionTokens(trx, server.deps, current, 'totp'));
    expect((await sdk.validateAccessToken({ client: server.client, headers: bearer(tokens.accessToken) })).data).toEqual({ userId: user.id });
  });

  it('a password change that commits while a session is being issued: the issue waits for it, re-checks, and refuses', async () => {
    const user = await server.createUser();
    const caller = { userId: user.id, passwordChangedAt: await passwordChangedAt(user.id) };
    let commitChange: (() => void) | undefined;
    const change = withTx(server.deps.db, async (trx) => {
      await trx('users').where({ id: user.id }).update({ password_changed_at: new Date(caller.passwordChangedAt + 1000) });
      await new Promise<void>((resolve) => (commitChange = resolve));
    });
    await expect.poll(() => commitChange).toBeDefined();
    const issue = withTx(server.deps.db, (trx) => issueSessionTokens(trx, server.deps, caller, 'totp'));
    issue.catch(() => undefined);
    // The issue waits on the changed user row (its FOR SHARE), not reading the row as it was.
    const waitingOnLocks = async () =>
      (await server.deps.db.raw(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)).rows[0].n;
    try {
      await expect.poll(waitingOnLocks, { timeout: 5_000 }).toBe(1);
    } finally {
      commitChange!();
      await change;
    }
    await expect(issue).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
    expect(await server.deps.db('refresh_tokens').where({ user_id: user.id }).count({ n: '*' }).first()).toEqual({ n: 0 });
  });
});
