import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { bearer, startTestServer, type TestServer } from '../support/server.js';
import { loginPartial, loginTokens, userWithTotp } from '../support/two-factor.js';
import { totpCode } from '../support/totp.js';
import { mintToken } from '../support/server-with-smtp.js';

const DAY_MS = 24 * 3600 * 1000;
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const list = (token: string) => sdk.listSessions({ client: server.client, headers: bearer(token) });
const events = async (token: string) => (await sdk.listSecurityEvents({ client: server.client, headers: bearer(token), query: { limit: 100 } })).data!.events;
const accessFrom = async (refreshToken: string) => (await sdk.getAccessToken({ client: server.client, headers: bearer(refreshToken) })).data as string;
const refreshStatus = async (refreshToken: string) => (await sdk.validateRefreshToken({ client: server.client, headers: bearer(refreshToken) })).response.status;
const accessStatus = async (accessToken: string) => (await sdk.validateAccessToken({ client: server.client, headers: bearer(accessToken) })).response.status;
const rotate = async (refreshToken: string) => sdk.getRefreshToken({ client: server.client, headers: bearer(refreshToken) });

describe('GET /user/sessions', () => {
  it('lists the sessions of password and TOTP logins, newest first, with method, client and the current one marked', async () => {
    const { user, url, accessToken: firstAccess } = await userWithTotp(server);
    server.clock.advance(60_000);
    const { partialToken } = await loginPartial(server, user);
    const totp = await sdk.verifyTotp({
      client: server.client,
      headers: { ...bearer(partialToken), 'user-agent': 'Phone/1.0' },
      body: { totp: totpCode(url, server.clock.now()) },
    });
    expect(totp.response.status).toBe(200);

    const { data, response } = await list(totp.data!.accessToken);
    expect(response.status).toBe(200);
    expect(data!.map((s) => [s.method, s.current])).toEqual([['totp', true], ['password', false]]);
    const [newest, oldest] = data!;
    expect(newest).toMatchObject({ userAgent: 'Phone/1.0', address: '127.0.0.1' });
    expect(Date.parse(newest!.expiresAt) - Date.parse(newest!.createdAt)).toBe(14 * DAY_MS);
    expect(Date.parse(newest!.createdAt)).toBeGreaterThan(Date.parse(oldest!.createdAt));
    // The first session's own token sees itself as current.
    expect((await list(firstAccess)).data!.map((s) => s.current)).toEqual([false, true]);
  });

  it('a rotation records its use: last used, a new expiry, the client of the rotation', async () => {
    const user = await server.createUser();
    const { refreshToken } = await loginTokens(server, user);
    server.clock.advance(DAY_MS);
    const rotated = await sdk.getRefreshToken({ client: server.client, headers: { ...bearer(refreshToken), 'user-agent': 'Later/2.0' } });
    const [session] = (await list(await accessFrom(rotated.data as string))).data!;
    expect(Date.parse(session!.lastUsedAt)).toBe(server.clock.now());
    expect(Date.parse(session!.expiresAt)).toBe(server.clock.now() + 14 * DAY_MS);
    expect(session!.userAgent).toBe('Later/2.0');
  });

  it('401 without a token, and for a partial token', async () => {
    expect((await sdk.listSessions({ client: server.client })).error).toMatchObject({ statusCode: 401, message: 'NO_TOKEN_PROVIDED' });
    const { user } = await userWithTotp(server);
    const { partialToken } = await loginPartial(server, user);
    expect((await list(partialToken)).error).toMatchObject({ statusCode: 401, message: 'INVALID_TOKEN' });
  });
});

describe('ending sessions', () => {
  it('DELETE /user/sessions/{id}: its refresh token stops at once, its access token at the next online check; others live on', async () => {
    const user = await server.createUser();
    const a = await loginTokens(server, user);
    const b = await loginTokens(server, user);
    const sessionOfB = (await list(b.accessToken)).data!.find((s) => s.current)!.id;

    const ended = await sdk.endSession({ client: server.client, headers: bearer(a.accessToken), path: { id: sessionOfB } });
    expect(ended.response.status).toBe(200);
    expect(ended.data).toBeNull();
    expect(await refreshStatus(b.refreshToken)).toBe(401);
    expect(await accessStatus(b.accessToken)).toBe(401);
    expect(await refreshStatus(a.refreshToken)).toBe(200);
    expect((await list(a.accessToken)).data!.map((s) => s.current)).toEqual([true]);
    // Ended once: a second end finds nothing.
    const again = await sdk.endSession({ client: server.client, headers: bearer(a.accessToken), path: { id: sessionOfB } });
    expect(again.response.status).toBe(404);
    expect(again.error).toEqual({ statusCode: 404, error: 'Not Found', message: 'SESSION_NOT_FOUND' });
    expect((await events(a.accessToken)).filter((e) => e.type === 'session_ended')).toEqual([
      expect.objectContaining({ detail: { sessionId: sessionOfB, reason: 'ended_by_user' }, address: '127.0.0.1' }),
    ]);
  });

  it('404 for another user\'s session and for an unknown id; 400 for an id that is not a uuid', async () => {
    const owner = await loginTokens(server, await server.createUser());
    const stranger = await loginTokens(server, await server.createUser());
    const ownersSession = (await list(owner.accessToken)).data![0]!.id;
    const foreign = await sdk.endSession({ client: server.client, headers: bearer(stranger.accessToken), path: { id: ownersSession } });
    expect(foreign.error).toMatchObject({ statusCode: 404, message: 'SESSION_NOT_FOUND' });
    expect(await refreshStatus(owner.refreshToken)).toBe(200);
    const unknown = await sdk.endSession({ client: server.client, headers: bearer(owner.accessToken), path: { id: '00000000-0000-4000-8000-000000000000' } });
    expect(unknown.response.status).toBe(404);
    const malformed = await sdk.endSession({ client: server.client, headers: bearer(owner.accessToken), path: { id: 'not-a-uuid' } });
    expect(malformed.response.status).toBe(400);
    expect(malformed.error).toMatchObject({ statusCode: 400, error: 'Bad Request' });
  });

  it('with 2FA on an access token is not enough (SUDO_TOKEN_REQUIRED); a sudo token is', async () => {
    const { user, accessToken } = await userWithTotp(server);
    const other = await mintToken(server, user.id, 'sudo');
    const sessionId = (await list(accessToken)).data!.find((s) => s.current)!.id;
    for (const call of [
      () => sdk.endSession({ client: server.client, headers: bearer(accessToken), path: { id: sessionId } }),
      () => sdk.endOtherSessions({ client: server.client, headers: bearer(accessToken) }),
    ]) {
      expect((await call()).error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'SUDO_TOKEN_REQUIRED' });
    }
    expect((await sdk.endSession({ client: server.client, headers: bearer(other), path: { id: sessionId } })).response.status).toBe(200);
    expect(await accessStatus(accessToken)).toBe(401);
  });

  it('DELETE /user/sessions ends every session but the current one', async () => {
    const user = await server.createUser();
    const sessions = [await loginTokens(server, user), await loginTokens(server, user), await loginTokens(server, user)];
    const { response, data } = await sdk.endOtherSessions({ client: server.client, headers: bearer(sessions[1]!.accessToken) });
    expect(response.status).toBe(200);
    expect(data).toBeNull();
    expect(await Promise.all(sessions.map((s) => refreshStatus(s.refreshToken)))).toEqual([401, 200, 401]);
    expect(await Promise.all(sessions.map((s) => accessStatus(s.accessToken)))).toEqual([401, 200, 401]);
    expect((await list(sessions[1]!.accessToken)).data!).toHaveLength(1);
    expect((await sdk.endOtherSessions({ client: server.client })).error).toMatchObject({ statusCode: 401, message: 'NO_TOKEN_PROVIDED' });
  });

  it('logout ends its session; a password change ends them all', async () => {
    const user = await server.createUser();
    const a = await loginTokens(server, user);
    const b = await loginTokens(server, user);
    expect((await sdk.logout({ client: server.client, headers: bearer(b.refreshToken) })).response.status).toBe(204);
    expect(await accessStatus(b.accessToken)).toBe(401);
    expect((await list(a.accessToken)).data!).toHaveLength(1);
    const changed = await sdk.updatePasswordViaSudo({ client: server.client, headers: bearer(a.accessToken), body: { oldPassword: user.password, newPassword: 'Brand-New-Pass-7' } });
    expect(changed.response.status).toBe(200);
    const c = await loginTokens(server, { email: user.email, password: 'Brand-New-Pass-7' });
    expect((await list(c.accessToken)).data!.map((s) => s.current)).toEqual([true]);
    const reasons = (await events(c.accessToken)).filter((e) => e.type === 'session_ended').map((e) => e.detail.reason);
    expect(reasons).toEqual(['password_changed', 'logout']);
  });
});

describe('refresh-token reuse detection', () => {
  it('a rotated-away token presented again after the grace ends the whole session: 401, both chains dead, one event', async () => {
    const user = await server.createUser();
    const { refreshToken: stolen } = await loginTokens(server, user);
    const owners = (await rotate(stolen)).data as string;
    const ownersAccess = await accessFrom(owners);
    server.clock.advance(11_000);
    const replay = await rotate(stolen);
    expect(replay.error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'INVALID_TOKEN' });
    expect(await refreshStatus(owners)).toBe(401);
    expect(await accessStatus(ownersAccess)).toBe(401);
    // A second replay finds the session ended: still one reuse recorded.
    expect(await refreshStatus(stolen)).toBe(401);
    const other = await loginTokens(server, user);
    const history = await events(other.accessToken);
    expect(history.filter((e) => e.type === 'refresh_token_reused')).toHaveLength(1);
    expect(history.filter((e) => e.type === 'session_ended').map((e) => e.detail.reason)).toEqual(['refresh_token_reused']);
  });

  it('the thief rotating first: the owner\'s replay of the old token kills the thief\'s new one', async () => {
    const user = await server.createUser();
    const { refreshToken: shared } = await loginTokens(server, user);
    const thiefs = (await rotate(shared)).data as string;
    server.clock.advance(60_000);
    expect(await refreshStatus(shared)).toBe(401);
    expect(await refreshStatus(thiefs)).toBe(401);
  });

  it('within the grace (the owner racing itself) the replay gets 401 but the session lives', async () => {
    const user = await server.createUser();
    const { refreshToken } = await loginTokens(server, user);
    const results = await Promise.all(Array.from({ length: 4 }, () => rotate(refreshToken)));
    expect(results.map((r) => r.response.status).sort()).toEqual([200, 401, 401, 401]);
    server.clock.advance(10_000);
    expect(await refreshStatus(refreshToken)).toBe(401);
    const winner = results.find((r) => r.response.status === 200)!.data as string;
    expect(await refreshStatus(winner)).toBe(200);
  });

  it('logout is not a rotation: the logged-out token presented again is no reuse', async () => {
    const user = await server.createUser();
    const a = await loginTokens(server, user);
    const b = await loginTokens(server, user);
    await sdk.logout({ client: server.client, headers: bearer(b.refreshToken) });
    server.clock.advance(60_000);
    expect(await refreshStatus(b.refreshToken)).toBe(401);
    expect((await events(a.accessToken)).filter((e) => e.type === 'refresh_token_reused')).toEqual([]);
  });
});

describe('SESSION_MAX_AGE', () => {
  it('a session older than the absolute lifetime must log in again, however often it rotated', async () => {
    const short = await startTestServer({ sessionMaxAgeMs: 20 * DAY_MS });
    try {
      const user = await short.createUser();
      const login = await sdk.login({ client: short.client, body: { username: user.email, password: user.password } });
      let token = login.data as string;
      short.clock.advance(10 * DAY_MS);
      const first = await sdk.getRefreshToken({ client: short.client, headers: bearer(token) });
      token = first.data as string;
      // The sliding 14 days are cut at the absolute end (day 20).
      const access = (await sdk.getAccessToken({ client: short.client, headers: bearer(token) })).data as string;
      const [session] = (await sdk.listSessions({ client: short.client, headers: bearer(access) })).data!;
      expect(Date.parse(session!.expiresAt) - Date.parse(session!.createdAt)).toBe(20 * DAY_MS);
      short.clock.advance(10 * DAY_MS - 1000);
      const second = await sdk.getRefreshToken({ client: short.client, headers: bearer(token) });
      expect(second.response.status).toBe(200);
      short.clock.advance(2000);
      const late = await sdk.getRefreshToken({ client: short.client, headers: bearer(second.data as string) });
      expect(late.error).toMatchObject({ statusCode: 401, message: 'INVALID_TOKEN' });
      expect((await sdk.getAccessToken({ client: short.client, headers: bearer(second.data as string) })).response.status).toBe(401);
    } finally {
      await short.close();
    }
  });
});
