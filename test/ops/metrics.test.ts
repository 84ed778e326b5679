import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { bearer } from '../support/server.js';
import { startMailTestServer, type MailTestServer } from '../support/server-with-smtp.js';

const METRICS_TOKEN = 'metrics-test-token-0123456789abcdef';
const unauthorized = (message: string) => ({ statusCode: 401, error: 'Unauthorized', message });

/** The whole /metrics text, minus the process-wide resource gauges (CPU, memory, GC, event loop), which move on their own between two scrapes. */
async function scrape(server: MailTestServer): Promise<string> {
  const { data, response } = await sdk.getMetrics({ client: server.client, headers: bearer(METRICS_TOKEN), parseAs: 'text' });
  expect(response.status).toBe(200);
  return (data as string)
    .split('\n')
    .filter((line) => !/^(# (HELP|TYPE) )?(process|nodejs)_/.test(line))
    .join('\n');
}

describe('GET /metrics with METRICS_TOKEN set', () => {
  let server: MailTestServer;
  beforeAll(async () => {
    server = await startMailTestServer({ metricsToken: METRICS_TOKEN });
  });
  afterAll(() => server.close());

  it('answers only the bearer of METRICS_TOKEN: 401 NO_TOKEN_PROVIDED without one, INVALID_TOKEN for any other', async () => {
    const none = await sdk.getMetrics({ client: server.client });
    expect(none.response.status).toBe(401);
    expect(none.error).toEqual(unauthorized('NO_TOKEN_PROVIDED'));
    for (const token of [`${METRICS_TOKEN}x`, METRICS_TOKEN.slice(0, -1), 'short']) {
      const wrong = await sdk.getMetrics({ client: server.client, headers: bearer(token) });
      expect(wrong.response.status).toBe(401);
      expect(wrong.error).toEqual(unauthorized('INVALID_TOKEN'));
    }
    expect(await scrape(server)).toMatch(/http_requests_total\{operation="getMetrics",method="GET",status="401"\} 4/);
  });
});

describe('no metric tells a reset for a known address from one for an unknown address', () => {
  // Two fresh services with the same history except for the one fact an attacker wants.
  let known: MailTestServer;
  let unknown: MailTestServer;
  beforeAll(async () => {
    [known, unknown] = await Promise.all([startMailTestServer({ metricsToken: METRICS_TOKEN }), startMailTestServer({ metricsToken: METRICS_TOKEN })]);
  });
  afterAll(async () => {
    await Promise.all([known.close(), unknown.close()]);
  });

  /** What an attacker does: a reset mail, a code guess, a reset attempt (code and link forms). */
  async function probe(server: MailTestServer, email: string): Promise<void> {
    const client = server.client;
    expect((await sdk.sendPasswordReset({ client, body: { email } })).response.status).toBe(200);
    server.clock.advance(60_000);
    expect((await sdk.postForgotPassword({ client, body: { email } })).response.status).toBe(200);
    expect((await sdk.validatePasswordReset({ client, body: { email, otp: '000000' } })).response.status).toBe(401);
    expect((await sdk.updatePasswordViaOtp({ client, body: { userEmail: email, otp: '000000', newPassword: 'Never-Set-2026' } })).response.status).toBe(401);
    expect((await sdk.updatePasswordViaOtp({ client, body: { userEmail: email, otp: 'x'.repeat(43), newPassword: 'Never-Set-2026' } })).response.status).toBe(401);
  }

  it('every metric line is identical after the same requests for a real account and for an address without one', async () => {
    const user = await known.createUser('target@example.com');
    await probe(known, user.email);
    await probe(unknown, 'target@example.com');
    // The real account's two mails are delivered (and the other service's worker has had its passes).
    await known.smtp.waitForMail(user.email, { subject: /reset code/ });
    await known.smtp.waitForMail(user.email, { subject: /Reset your/ });
    await Promise.all([known.worker.drain(), unknown.worker.drain()]);

    const [afterKnown, afterUnknown] = [await scrape(known), await scrape(unknown)];
    expect(afterKnown).toMatch(/http_requests_total\{operation="sendPasswordReset",method="POST",status="200"\} 1/);
    expect(afterKnown.split('\n')).toEqual(afterUnknown.split('\n'));
  });
});
