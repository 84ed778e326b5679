import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { bearer } from '../support/server.js';
import { startMailTestServer, type MailTestServer } from '../support/server-with-smtp.js';
import { enableTotpFor, loginPartial } from '../support/two-factor.js';
import { totpCode } from '../support/totp.js';
import { cachedUserAgentCount, networkOf, USER_AGENT_CACHE_MAX_LENGTH, USER_AGENT_CACHE_SIZE, userAgentFamily } from '../../src/sessions/device.js';
import { runSweeps } from '../../src/sweep/index.js';
import { withTx } from '../../src/db/tx.js';
import { startSession } from '../../src/sessions/service.js';
import { findUserById } from '../../src/users/queries.js';

/**
 * The sign-in-from-a-new-device notice: a device is a user-agent family and a network
 * (src/sessions/device.ts); a sign-in from one the account has not used for 90 days mails the owner.
 * Behind TRUST_PROXY=loopback the test speaks for its client addresses with X-Forwarded-For.
 */
let server: MailTestServer;
beforeAll(async () => {
  server = await startMailTestServer({ trustProxy: ['loopback'] });
});
afterAll(() => server.close());

const DAY = 24 * 60 * 60 * 1000;
const FIREFOX_LINUX_120 = 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0';
const FIREFOX_LINUX_121 = 'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0';
const CHROME_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const newDeviceNotices = (email: string) => server.smtp.mailsTo(email).filter((m) => /^New sign-in/.test(m.subject ?? ''));

async function signIn(user: { email: string; password: string }, userAgent: string, address: string) {
  const res = await sdk.login({
    client: server.client,
    headers: { 'user-agent': userAgent, 'X-Forwarded-For': address },
    body: { username: user.email, password: user.password },
  });
  expect(res.response.status, JSON.stringify(res.error)).toBe(200);
  const refreshToken = res.data as string;
  const access = await sdk.getAccessToken({ client: server.client, headers: bearer(refreshToken) });
  return { refreshToken, accessToken: access.data as string };
}

async function loginEvents(accessToken: string) {
  const res = await sdk.listSecurityEvents({ client: server.client, headers: bearer(accessToken) });
  return res.data!.events.filter((e) => e.type === 'login_succeeded');
}

describe('what counts as one device', () => {
  it('a browser family on an OS, without versions; an app by its product token', () => {
    expect(userAgentFamily(FIREFOX_LINUX_120)).toBe('Firefox on Linux');
    expect(userAgentFamily(FIREFOX_LINUX_121)).toBe(userAgentFamily(FIREFOX_LINUX_120));
    expect(userAgentFamily(CHROME_WINDOWS)).toBe('Chrome on Windows');
    expect(userAgentFamily('python-requests/2.31.0')).toBe('python-requests');
    expect(userAgentFamily(null)).toBe('unknown');
  });

  it(`remembers at most ${USER_AGENT_CACHE_SIZE} user agents' families, oldest out, none longer than ${USER_AGENT_CACHE_MAX_LENGTH} characters`, () => {
    // Asked again, a cached header gives the family a fresh parse gives.
    expect(userAgentFamily(CHROME_WINDOWS)).toBe('Chrome on Windows');
    expect(userAgentFamily(CHROME_WINDOWS)).toBe('Chrome on Windows');
    const before = cachedUserAgentCount();
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(USER_AGENT_CACHE_SIZE);
    // A header longer than a real one is parsed, not kept; a new one of a real length is kept.
    expect(userAgentFamily(`${FIREFOX_LINUX_120} ${'x'.repeat(USER_AGENT_CACHE_MAX_LENGTH)}`)).toBe('Firefox on Linux');
    expect(cachedUserAgentCount()).toBe(before);
    expect(userAgentFamily(`${FIREFOX_LINUX_120} first-seen`)).toBe('Firefox on Linux');
    expect(cachedUserAgentCount()).toBe(before + 1);
    // A flood of distinct headers fills it to its bound and no further.
    const distinct = Array.from({ length: USER_AGENT_CACHE_SIZE + 10 }, (_, i) => `${CHROME_WINDOWS} build/${i}`);
    for (const ua of distinct) expect(userAgentFamily(ua)).toBe('Chrome on Windows');
    expect(cachedUserAgentCount()).toBe(USER_AGENT_CACHE_SIZE);
    expect(userAgentFamily(FIREFOX_LINUX_121)).toBe('Firefox on Linux');
    expect(cachedUserAgentCount()).toBe(USER_AGENT_CACHE_SIZE);
  });

  it('an IPv4 /24 or an IPv6 /48 (from the /64 the limits key by)', () => {
    expect(networkOf('203.0.113.7')).toBe('203.0.113.0/24');
    expect(networkOf('203.0.113.250')).toBe(networkOf('203.0.113.7'));
    expect(networkOf('198.51.100.7')).not.toBe(networkOf('203.0.113.7'));
    expect(networkOf('2001:db8:aa:bb::/64')).toBe('2001:db8:aa::/48');
    expect(networkOf(null)).toBe('unknown');
  });
});

describe('sign-in from a new device (mailed through the outbox to a real SMTP peer)', () => {
  it('the first device is not news; a new browser version or address in the same /24 is not either; another family or network is, once each', async () => {
    const user = await server.createUser();
    await signIn(user, FIREFOX_LINUX_120, '203.0.113.7');
    await signIn(user, FIREFOX_LINUX_121, '203.0.113.99');
    await sleep(600);
    expect(newDeviceNotices(user.email)).toHaveLength(0);

    const { accessToken } = await signIn(user, CHROME_WINDOWS, '203.0.113.7');
    const mail = await server.smtp.waitForMail(user.email, { subject: /^New sign-in/ });
    expect(mail.subject).toBe('New sign-in to your SmartgridOne account');
    expect(mail.text).toContain('from a device or network not seen in the last 90 days');
    expect(mail.text).toContain('From: 203.0.113.7');
    expect(mail.text).toContain(`Device: ${CHROME_WINDOWS}`);
    expect(mail.text).toMatch(/If this wasn't you/);

    await signIn(user, FIREFOX_LINUX_120, '198.51.100.20');
    await server.smtp.waitForMail(user.email, { subject: /^New sign-in/ });
    await signIn(user, CHROME_WINDOWS, '203.0.113.8');
    await sleep(600);
    expect(newDeviceNotices(user.email).map((m) => m.text?.match(/From: (\S+)/)?.[1])).toEqual(['203.0.113.7', '198.51.100.20']);

    // The event log says the same: newDevice on exactly the two sign-ins that were mailed.
    const flags = (await loginEvents(accessToken)).map((e) => e.detail.newDevice ?? false);
    expect(flags.reverse()).toEqual([false, false, true, true, false]);
  });

  it('a device unused for 90 days is new again; one used within them is not; the sweep forgets the stale one', async () => {
    const user = await server.createUser();
    await signIn(user, FIREFOX_LINUX_120, '192.0.2.1');
    await signIn(user, CHROME_WINDOWS, '192.0.2.1');
    await server.smtp.waitForMail(user.email, { subject: /^New sign-in/ });

    server.clock.advance(89 * DAY);
    await signIn(user, CHROME_WINDOWS, '192.0.2.1');
    server.clock.advance(2 * DAY);
    await signIn(user, CHROME_WINDOWS, '192.0.2.1'); // 2 days after its last use
    await sleep(600);
    expect(newDeviceNotices(user.email)).toHaveLength(1);

    // Firefox, last seen 91 days ago, is swept (by the worker's hourly sweep too, whose clock jumped).
    await runSweeps(server.deps);
    expect(await server.deps.db('known_devices').where({ user_id: user.id }).pluck('family')).toEqual(['Chrome on Windows']);

    await signIn(user, FIREFOX_LINUX_120, '192.0.2.1'); // 91 days later
    await server.smtp.waitForMail(user.email, { subject: /^New sign-in/ });
  });

  it('racing sign-ins from one new device mail once: the ones that waited for the first see its row', async () => {
    const user = await server.createUser();
    await signIn(user, FIREFOX_LINUX_120, '192.0.2.50');
    const { db } = server.deps;
    const caller = { userId: user.id, passwordChangedAt: (await findUserById(db, user.id))!.passwordChangedAt.getTime() };
    const client = { address: '192.0.2.50', userAgent: CHROME_WINDOWS };
    // The first sign-in's transaction stays open after its session statement; four more start
    // meanwhile and must wait on its device row. Each of them began before that row committed.
    let commitFirst!: () => void;
    let firstInserted!: () => void;
    const inserted = new Promise<void>((resolve) => (firstInserted = resolve));
    const first = withTx(db, async (trx) => {
      await startSession(trx, { ...server.deps, client }, caller, 'password');
      firstInserted();
      await new Promise<void>((resolve) => (commitFirst = resolve));
    });
    await inserted;
    const others = [1, 2, 3, 4].map(() => startSession(db, { ...server.deps, client }, caller, 'password'));
    const waiting = async () => Number((await db.raw(`select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)).rows[0].n);
    for (let i = 0; i < 100 && (await waiting()) < 4; i++) await sleep(50);
    expect(await waiting()).toBe(4);
    commitFirst();
    await first;
    await Promise.all(others);
    await server.smtp.waitForMail(user.email, { subject: /^New sign-in/ });
    await sleep(1000);
    expect(newDeviceNotices(user.email)).toHaveLength(1);
    expect(await db('known_devices').where({ user_id: user.id, family: 'Chrome on Windows' }).first('sightings')).toEqual({ sightings: 5 });
  });

  it('a sign-in that rolls back leaves no device, no event and no notice behind', async () => {
    const user = await server.createUser();
    await signIn(user, FIREFOX_LINUX_120, '192.0.2.60');
    const { db } = server.deps;
    const caller = { userId: user.id, passwordChangedAt: (await findUserById(db, user.id))!.passwordChangedAt.getTime() };
    const failed = withTx(db, async (trx) => {
      await startSession(trx, { ...server.deps, client: { address: '192.0.2.60', userAgent: CHROME_WINDOWS } }, caller, 'password');
      expect(await trx('mail_outbox').where({ to_address: user.email, kind: 'security_notice' })).toHaveLength(1);
      throw new Error('the change this sign-in belonged to failed');
    });
    await expect(failed).rejects.toThrow('failed');
    expect(await db('known_devices').where({ user_id: user.id }).pluck('family')).toEqual(['Firefox on Linux']);
    expect(await db('mail_outbox').where({ to_address: user.email, kind: 'security_notice' })).toHaveLength(0);
    expect(await db('security_events').where({ user_id: user.id, type: 'login_succeeded' })).toHaveLength(1);
  });

  it('a sign-in finished with a second factor counts its device when the session starts, not at the password step', async () => {
    const user = await server.createUser();
    const { url } = await enableTotpFor(server, user); // signs in (first device: the test client's)
    const headers = { 'user-agent': CHROME_WINDOWS, 'X-Forwarded-For': '198.51.100.77' };
    const partial = await sdk.login({ client: server.client, headers, body: { username: user.email, password: user.password } });
    expect(partial.response.status).toBe(401); // 2FA_REQUIRED: no session yet
    await sleep(600);
    expect(newDeviceNotices(user.email)).toHaveLength(0);

    server.clock.advance(30_000); // the next time step: the setup's code is spent
    const { partialToken } = await loginPartial(server, user);
    const done = await sdk.verifyTotp({ client: server.client, headers: { ...headers, ...bearer(partialToken) }, body: { totp: totpCode(url, server.clock.now()) } });
    expect(done.response.status).toBe(200);
    const mail = await server.smtp.waitForMail(user.email, { subject: /^New sign-in/ });
    expect(mail.text).toContain('From: 198.51.100.77');
  });
});
