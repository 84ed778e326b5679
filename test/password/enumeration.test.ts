import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAIL_INTERVAL_MS, startServerWithMail, type MailTestServer } from './support.js';

/**
 * The reset endpoints must not tell whether an address has an account: same status, same bytes,
 * about the same time. Raw fetch, so the exact bytes and headers are compared.
 */
let server: MailTestServer;
let known: { email: string };
const unknownEmail = 'no-account-here@example.com';

beforeAll(async () => {
  server = await startServerWithMail();
  known = await server.createUser();
});
afterAll(() => server.close());

interface Raw {
  status: number;
  contentType: string | null;
  retryAfter: string | null;
  body: string;
}

async function call(method: string, path: string, body: unknown): Promise<Raw> {
  const response = await fetch(`${server.baseUrl}${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, contentType: response.headers.get('content-type'), retryAfter: response.headers.get('retry-after'), body: await response.text() };
}

const endpoints = {
  'POST /user/password/reset/send': (email: string) => call('POST', '/user/password/reset/send', { email }),
  'POST /v1/auth/forgot-password': (email: string) => call('POST', '/v1/auth/forgot-password', { email }),
  'POST /user/password/reset/validate': (email: string) => call('POST', '/user/password/reset/validate', { email, otp: '000000' }),
  'PUT /user/password/otp': (email: string) => call('PUT', '/user/password/otp', { userEmail: email, otp: '000000', newPassword: 'Unguessable-Pass-5' }),
};
type Endpoint = keyof typeof endpoints;
const sendsMail = (name: Endpoint) => name.includes('send') || name.includes('forgot');

describe('known and unknown emails get byte-identical answers', () => {
  it.each(Object.keys(endpoints) as Endpoint[])('%s', async (name) => {
    server.clock.advance(MAIL_INTERVAL_MS);
    const forKnown = await endpoints[name](known.email);
    const forUnknown = await endpoints[name](unknownEmail);
    expect(forUnknown).toEqual(forKnown);
    expect(forKnown.status).toBe(sendsMail(name) ? 200 : 401);
    expect(forKnown.body).toBe(sendsMail(name) ? 'null' : '{"statusCode":401,"error":"Unauthorized","message":"OTP_INVALID_EXPIRED"}');
    if (sendsMail(name)) {
      // And the 60 s limit answers the same way for both.
      server.clock.advance(1000);
      const againKnown = await endpoints[name](known.email);
      const againUnknown = await endpoints[name](unknownEmail);
      expect(againKnown.status).toBe(429);
      expect(againUnknown).toEqual(againKnown);
    }
  });
});

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

describe('known and unknown emails take about the same time', () => {
  it.each(Object.keys(endpoints) as Endpoint[])('%s: medians of 50 alternating requests within 50 % + 15 ms', async (name) => {
    const send = endpoints[name];
    const times = { known: [] as number[], unknown: [] as number[] };
    // Warm-up (JIT, connection pool, SMTP pool), not measured.
    for (let i = 0; i < 3; i++) {
      server.clock.advance(MAIL_INTERVAL_MS);
      await send(known.email);
      await send(unknownEmail);
    }
    for (let i = 0; i < 50; i++) {
      server.clock.advance(MAIL_INTERVAL_MS);
      // Alternate which goes first, so neither always follows the other's background work.
      const order = i % 2 ? (['known', 'unknown'] as const) : (['unknown', 'known'] as const);
      for (const who of order) {
        const started = performance.now();
        const answer = await send(who === 'known' ? known.email : unknownEmail);
        times[who].push(performance.now() - started);
        expect(answer.status).toBe(sendsMail(name) ? 200 : 401);
      }
    }
    const knownMedian = median(times.known);
    const unknownMedian = median(times.unknown);
    expect(Math.abs(knownMedian - unknownMedian), `medians: known ${knownMedian.toFixed(2)} ms, unknown ${unknownMedian.toFixed(2)} ms`).toBeLessThanOrEqual(
      0.5 * Math.max(knownMedian, unknownMedian) + 15,
    );
  });
});
