import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { bearer, startTestServer, type TestServer } from '../support/server.js';
import { userWithTotp } from '../support/two-factor.js';
import { statementsDuring } from '../support/round-trips.js';
import { disablePreparedStatements, namesStatements } from '../../src/db/prepared.js';

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

describe('POST /auth/login round trips', () => {
  const login = (user: { email: string; password: string }, userAgent: string) =>
    sdk.login({ client: server.client, headers: { 'user-agent': userAgent }, body: { username: user.email, password: user.password } });
  const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0';
  const CURL = 'curl/8.5.0';

  it('a right password takes 2 statements, each committing alone: the account with the claim, then reset, 2FA check, session, token and event', async () => {
    const user = await server.createUser();
    // The account's first device, then the same device again: neither is new, so neither needs a transaction.
    for (const round of [1, 2]) {
      const statements = await statementsDuring(server.deps.db, async () => expect((await login(user, FIREFOX)).response.status).toBe(200));
      expect(statements, `sign-in ${round}`).toHaveLength(2);
      expect(statements.some((sql) => /^BEGIN/i.test(sql))).toBe(false);
    }
    const counter = await server.deps.db('guess_counters').where({ user_id: user.id, factor: 'password' }).first('failures');
    expect(counter.failures).toBe(0);
    const events = await server.deps.db('security_events').where({ user_id: user.id, type: 'login_succeeded' }).orderBy('id').select('detail');
    const sessions = await server.deps.db('sessions').where({ user_id: user.id }).orderBy('created_at').select('id');
    expect(events.map((e) => e.detail)).toEqual(sessions.map((s) => ({ method: 'password', sessionId: s.id })));
  });

  it('a device the account has not used takes the general path: one transaction more, with the notice', async () => {
    const user = await server.createUser();
    expect((await login(user, FIREFOX)).response.status).toBe(200);
    const notices = () => server.deps.db('mail_outbox').where({ kind: 'security_notice' }).count<{ count: string }[]>({ count: '*' }).then(([row]) => Number(row!.count));
    const noticesBefore = await notices();
    const statements = await statementsDuring(server.deps.db, async () => expect((await login(user, CURL)).response.status).toBe(200));
    expect(statements[0]).toMatch(/login_claim|from users where email/);
    expect(statements[2]).toMatch(/^BEGIN/i);
    expect(statements.at(-1)).toMatch(/^COMMIT/i);
    const [event] = await server.deps.db('security_events').where({ user_id: user.id, type: 'login_succeeded' }).orderBy('id', 'desc').limit(1).select('detail');
    expect(event.detail).toMatchObject({ method: 'password', newDevice: true });
    expect(await notices()).toBe(noticesBefore + 1);
  });

  it('a wrong password and an unknown name take 2 statements each, the failure that starts the backoff too (both its events in one insert)', async () => {
    const user = await server.createUser();
    const unknown = { email: `nobody-${user.id}@example.com`, password: 'Wrong-password-1' };
    for (const failure of [1, 2, 3]) {
      for (const who of [{ email: user.email, password: 'Wrong-password-1' }, unknown]) {
        const statements = await statementsDuring(server.deps.db, async () => expect((await login(who, CURL)).response.status).toBe(401));
        expect(statements, `failure ${failure} of ${who.email}`).toHaveLength(2);
        expect(statements.some((sql) => /^BEGIN/i.test(sql))).toBe(false);
      }
    }
    const events = await server.deps.db('security_events').where({ user_id: user.id }).orderBy('id').select('type', 'detail');
    expect(events).toEqual([
      { type: 'login_failed', detail: { factor: 'password' } },
      { type: 'login_failed', detail: { factor: 'password' } },
      { type: 'login_failed', detail: { factor: 'password' } },
      { type: 'backoff_engaged', detail: { factor: 'password', failures: 3 } },
    ]);
  });

  it('with 2FA on, 2 statements too, and no session, device sighting or event until the second factor', async () => {
    const { user } = await userWithTotp(server);
    const snapshot = async () => ({
      sessions: await server.deps.db('sessions').where({ user_id: user.id }).count<{ count: string }[]>({ count: '*' }),
      devices: await server.deps.db('known_devices').where({ user_id: user.id }).select('family', 'sightings', 'last_seen_at'),
      events: await server.deps.db('security_events').where({ user_id: user.id }).count<{ count: string }[]>({ count: '*' }),
    });
    const before = await snapshot();
    // The client of the setup's own sign-in: a device sighting would count it.
    expect(before.devices).toHaveLength(1);
    const statements = await statementsDuring(server.deps.db, async () => {
      const { error } = await sdk.login({ client: server.client, body: { username: user.email, password: user.password } });
      expect(error).toMatchObject({ message: '2FA_REQUIRED' });
    });
    expect(statements).toHaveLength(2);
    expect(await snapshot()).toEqual(before);
  });
});

// Last in this file: it switches this server's pool off prepared statements for good.
describe('POST /auth/login without prepared statements (DATABASE_PREPARED_STATEMENTS=false, PgBouncer)', () => {
  it('runs the same statements through knex: right and wrong passwords, a new device, 2FA', async () => {
    disablePreparedStatements(server.deps.db);
    const user = await server.createUser();
    const login = (password: string, userAgent = 'curl/8.5.0') =>
      sdk.login({ client: server.client, headers: { 'user-agent': userAgent }, body: { username: user.email, password } });
    const statements = await statementsDuring(server.deps.db, async () => expect((await login(user.password)).response.status).toBe(200));
    expect(statements).toHaveLength(2);
    expect(namesStatements(server.deps.db)).toBe(false);
    expect((await login(user.password, 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0')).response.status).toBe(200);
    expect((await login('Wrong-password-1')).error).toMatchObject({ message: 'PASSWORD_INCORRECT' });
    const { user: withTotp } = await userWithTotp(server);
    const partial = await sdk.login({ client: server.client, body: { username: withTotp.email, password: withTotp.password } });
    expect(partial.error).toMatchObject({ message: '2FA_REQUIRED', methods: ['totp', 'recoveryCode'] });
  });
});
