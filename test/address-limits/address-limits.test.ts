import { statementsDuring } from '../support/round-trips.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import type { AddressLimits } from '../../src/address-limits/constants.js';
import { deleteRefilledAddressLimits } from '../../src/address-limits/queries.js';
import { MailWorker } from '../../src/mail/worker.js';
import { startMailTestServer, type MailTestServer } from '../support/server-with-smtp.js';
import { codeFrom } from '../support/smtp.js';

/**
 * Per-address limits through a trusted proxy on loopback (TRUST_PROXY=loopback): each test
 * speaks for its own client addresses with X-Forwarded-For, so their budgets never meet.
 * The test clock stands still unless a test moves it, so every budget below is exact.
 */
const LIMITS: AddressLimits = {
  login: { limit: 3, periodSeconds: 60 }, // one request back every 20 s
  sendPasswordReset: { limit: 2, periodSeconds: 60 },
  postForgotPassword: { limit: 2, periodSeconds: 60 },
  validatePasswordReset: { limit: 3, periodSeconds: 60 },
  updatePasswordViaOtp: { limit: 3, periodSeconds: 60 },
};

let server: MailTestServer;
beforeAll(async () => {
  server = await startMailTestServer({ addressLimits: LIMITS, trustProxy: ['loopback'] });
});
afterAll(() => server.close());

let nextAddress = 0;
/** A client address no other test uses. */
const freshAddress = () => `203.0.113.${++nextAddress}`;
const from = (address: string) => ({ 'X-Forwarded-For': address });
let nextName = 0;
const unknownEmail = () => `nobody-${++nextName}-${Date.now()}@example.com`;

const tooManyRequests = (retryAfter: number) => ({ statusCode: 429, error: 'Too many requests', message: 'TOO_MANY_REQUESTS', retryAfter });

/** One request of each limited operation that gets past the limit without side effects worth noting. */
const call = {
  login: (address: string, username = unknownEmail(), password = 'Wrong-Pass-1') =>
    sdk.login({ client: server.client, headers: from(address), body: { username, password } }),
  sendPasswordReset: (address: string, email = unknownEmail()) => sdk.sendPasswordReset({ client: server.client, headers: from(address), body: { email } }),
  postForgotPassword: (address: string, email = unknownEmail()) => sdk.postForgotPassword({ client: server.client, headers: from(address), body: { email } }),
  validatePasswordReset: (address: string, email = unknownEmail(), otp = '000000') =>
    sdk.validatePasswordReset({ client: server.client, headers: from(address), body: { email, otp } }),
  updatePasswordViaOtp: (address: string, userEmail = unknownEmail(), otp = '000000', newPassword = 'Fresh-Start-2026') =>
    sdk.updatePasswordViaOtp({ client: server.client, headers: from(address), body: { userEmail, otp, newPassword } }),
};

async function exhaust(operation: keyof typeof call, address: string): Promise<void> {
  for (let i = 0; i < LIMITS[operation]!.limit; i++) {
    const { response } = await call[operation](address);
    if (response.status === 429) throw new Error(`${operation} refused request ${i + 1} of its budget`);
  }
}

describe('per-address limits', () => {
  for (const operation of Object.keys(call) as (keyof typeof call)[]) {
    it(`${operation}: the request after the budget gets 429 TOO_MANY_REQUESTS with Retry-After`, async () => {
      const address = freshAddress();
      await exhaust(operation, address);
      const refused = await call[operation](address);
      const { limit, periodSeconds } = LIMITS[operation]!;
      const wait = periodSeconds / limit; // one request back per period/limit
      expect(refused.response.status).toBe(429);
      expect(refused.error).toEqual(tooManyRequests(wait));
      expect(refused.response.headers.get('retry-after')).toBe(String(wait));
      // Another address is not affected.
      expect((await call[operation](freshAddress())).response.status).not.toBe(429);
    });
  }

  it('login: refused before the password is checked: a right password gets 429 and a wrong one is not counted', async () => {
    const user = await server.createUser();
    const address = freshAddress();
    await exhaust('login', address);
    const right = await call.login(address, user.email, user.password);
    expect(right.response.status).toBe(429);
    expect(right.error).toMatchObject({ message: 'TOO_MANY_REQUESTS' });
    const wrong = await call.login(address, user.email, 'Wrong-Pass-1');
    expect(wrong.error).toMatchObject({ message: 'TOO_MANY_REQUESTS' });
    const counter = await server.deps.db('guess_counters').where({ user_id: user.id, factor: 'password' }).first('failures');
    expect(counter?.failures ?? 0).toBe(0);
    // The same login from another address goes through.
    expect((await call.login(freshAddress(), user.email, user.password)).response.status).toBe(200);
  });

  for (const operation of ['sendPasswordReset', 'postForgotPassword'] as const) {
    it(`${operation}: refused before any mail: no outbox row, no per-email throttle`, async () => {
      const user = await server.createUser();
      const address = freshAddress();
      await exhaust(operation, address);
      const throttles = Number((await server.deps.db('mail_throttle').count({ n: '*' }))[0]!.n);
      const refused = await call[operation](address, user.email);
      expect(refused.error).toMatchObject({ message: 'TOO_MANY_REQUESTS' });
      expect(await server.deps.db('mail_outbox').where({ to_address: user.email })).toHaveLength(0);
      expect(Number((await server.deps.db('mail_throttle').count({ n: '*' }))[0]!.n)).toBe(throttles);
      // From another address the mail is written at once (not throttled by the refused call).
      expect((await call[operation](freshAddress(), user.email)).response.status).toBe(200);
      expect(await server.deps.db('mail_outbox').where({ to_address: user.email })).toHaveLength(1);
    });
  }

  it('validatePasswordReset and updatePasswordViaOtp: refused before the code is checked: a right code gets 429, a wrong one is not counted', async () => {
    const user = await server.createUser();
    expect((await call.sendPasswordReset(freshAddress(), user.email)).response.status).toBe(200);
    const code = codeFrom(await server.smtp.waitForMail(user.email, { subject: /reset code/ }));
    const wrongCode = code === '000000' ? '000001' : '000000';

    const checker = freshAddress();
    await exhaust('validatePasswordReset', checker);
    expect((await call.validatePasswordReset(checker, user.email, code)).error).toMatchObject({ message: 'TOO_MANY_REQUESTS' });
    expect((await call.validatePasswordReset(checker, user.email, wrongCode)).error).toMatchObject({ message: 'TOO_MANY_REQUESTS' });

    const resetter = freshAddress();
    await exhaust('updatePasswordViaOtp', resetter);
    expect((await call.updatePasswordViaOtp(resetter, user.email, code)).error).toMatchObject({ message: 'TOO_MANY_REQUESTS' });
    expect((await call.updatePasswordViaOtp(resetter, user.email, wrongCode)).error).toMatchObject({ message: 'TOO_MANY_REQUESTS' });

    const row = await server.deps.db('one_time_codes').where({ user_id: user.id, purpose: 'password_reset' }).first('failed_attempts');
    expect(row.failed_attempts).toBe(0);
    // The password is unchanged and the code still works from an address with budget left.
    expect((await call.login(freshAddress(), user.email, user.password)).response.status).toBe(200);
    expect((await call.validatePasswordReset(freshAddress(), user.email, code)).response.status).toBe(200);
  });

  it('TRUST_PROXY=loopback: distinct X-Forwarded-For clients have distinct budgets; a forged left-most hop changes nothing', async () => {
    const a = freshAddress();
    const b = freshAddress();
    await exhaust('login', a);
    expect((await call.login(a)).response.status).toBe(429);
    expect((await call.login(b)).response.status).toBe(401);

    // The client writes any X-Forwarded-For it likes; the proxy appends the address it saw.
    const client = freshAddress();
    for (let i = 0; i < 3; i++) expect((await call.login(`198.51.100.${i + 1}, ${client}`)).response.status).toBe(401);
    expect((await call.login(`198.51.100.99, ${client}`)).response.status).toBe(429);
    expect((await call.login(`${freshAddress()}, ${client}, 127.0.0.1`)).response.status).toBe(429); // a second trusted hop
    expect((await call.login(client)).response.status).toBe(429);
  });

  it('counts IPv6 clients per /64 (and an IPv4-mapped address as its IPv4 address)', async () => {
    for (const address of ['2001:db8:aa:1::1', '2001:db8:aa:1::2', '2001:db8:aa:1:ffff:ffff:ffff:ffff']) {
      expect((await call.login(address)).response.status).toBe(401);
    }
    expect((await call.login('2001:db8:aa:1::42')).response.status).toBe(429);
    expect((await call.login('2001:db8:aa:2::1')).response.status).toBe(401);

    const v4 = freshAddress();
    await exhaust('login', v4);
    expect((await call.login(`::ffff:${v4}`)).response.status).toBe(429);
  });

  it('refills: after Retry-After one more request, after a whole period a whole burst and no more', async () => {
    const address = freshAddress();
    await exhaust('login', address);
    expect((await call.login(address)).error).toEqual(tooManyRequests(20));
    server.clock.advance(19_000);
    expect((await call.login(address)).error).toEqual(tooManyRequests(1));
    server.clock.advance(1_000);
    expect((await call.login(address)).response.status).toBe(401);
    expect((await call.login(address)).error).toEqual(tooManyRequests(20));

    server.clock.advance(10 * 60_000); // a long pause refills to the burst, not beyond
    await exhaust('login', address);
    expect((await call.login(address)).response.status).toBe(429);
  });

  it('a refused address is remembered: until its Retry-After its requests cost no query (a flood over the limit takes no pooled connection)', async () => {
    const address = freshAddress();
    await exhaust('login', address);
    const first = await statementsDuring(server.deps.db, async () => expect((await call.login(address)).error).toEqual(tooManyRequests(20)));
    expect(first.filter((sql) => /address_limits/.test(sql))).toHaveLength(1); // the shared budget said no
    server.clock.advance(5_000);
    const remembered = await statementsDuring(server.deps.db, async () => {
      for (let i = 0; i < 5; i++) {
        const refused = await call.login(address);
        expect(refused.error).toEqual(tooManyRequests(15));
        expect(refused.response.headers.get('retry-after')).toBe('15');
        // Answered before the body is read, and the connection closed: a client that resends at
        // once must reconnect first. (Connection is hop-by-hop: a proxy in front answers its own.)
        if (server.baseUrl === server.directUrl) expect(refused.response.headers.get('connection')).toBe('close');
      }
    });
    expect(remembered).toEqual([]);
    // Another address, and this address at another operation, are not affected.
    expect((await call.login(freshAddress())).response.status).toBe(401);
    expect((await call.validatePasswordReset(address)).response.status).toBe(401);
    server.clock.advance(15_000); // the bucket has one token again: the database is asked, and grants it
    expect((await call.login(address)).response.status).toBe(401);
  });

  it('a clock that jumps back locks an address out for one refill step, not for the jump', async () => {
    const address = freshAddress();
    await exhaust('login', address);
    const before = server.clock.now();
    try {
      server.clock.set(before - 3_600_000);
      expect((await call.login(address)).error).toEqual(tooManyRequests(20));
      server.clock.advance(20_000);
      expect((await call.login(address)).response.status).toBe(401);
    } finally {
      server.clock.set(before);
    }
  });

  it('the mail worker sweep deletes budgets that have refilled and keeps those still in use', async () => {
    const address = freshAddress();
    await exhaust('login', address);
    const rows = () => server.deps.db('address_limits').where({ operation: 'login', address });
    expect(await rows()).toHaveLength(1);
    await deleteRefilledAddressLimits(server.deps.db, new Date(server.clock.now()));
    expect(await rows()).toHaveLength(1); // still empty: the row is what refuses the next request

    server.clock.advance(61_000); // the whole budget is back: the row means what no row means
    const worker = new MailWorker(server.deps); // a new worker sweeps on its first pass
    await worker.runPass();
    await worker.stop();
    expect(await rows()).toHaveLength(0);
    expect(await server.deps.db('address_limits').where('tat', '<=', new Date(server.clock.now()))).toHaveLength(0);
  });
});
