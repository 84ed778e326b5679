import express, { type RequestHandler } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareTimings, type TimingComparison } from '../support/stats.js';
import { MAIL_INTERVAL_MS, startServerWithMail, type MailTestServer } from './support.js';

/**
 * The reset endpoints must not tell whether an address has an account: same status, same bytes,
 * and times that a rank test on interleaved pairs cannot tell apart (test/support/stats.ts). Raw fetch, so the exact bytes and headers are
 * compared. A second server, slowed by a few milliseconds on the known-email path only, shows
 * the timing check does catch a difference of that size.
 */
const PLANTED_DELAY_MS = 3;
/** Pairs per look (see compareEndpoint). */
const PAIRS = 150;
const ALPHA = 0.001;
const unknownEmail = 'no-account-here@example.com';

let server: MailTestServer;
let known: { email: string };
let slowed: MailTestServer;
let slowedKnown: { email: string };

/** Delays requests that name the slowed server's known account (body `email` or `userEmail`). */
const plantedDelay: RequestHandler = (req, _res, next) => {
  const body = (req.body ?? {}) as { email?: string; userEmail?: string };
  if (slowedKnown && (body.email ?? body.userEmail) === slowedKnown.email) setTimeout(next, PLANTED_DELAY_MS);
  else next();
};

beforeAll(async () => {
  server = await startServerWithMail();
  known = await server.createUser();
  slowed = await startServerWithMail({}, { inFront: [express.json(), plantedDelay] });
  slowedKnown = await slowed.createUser();
});
afterAll(async () => {
  await server.close();
  await slowed.close();
});

interface Raw {
  status: number;
  contentType: string | null;
  retryAfter: string | null;
  body: string;
}

async function call(target: MailTestServer, method: string, path: string, body: unknown): Promise<Raw> {
  const response = await fetch(`${target.baseUrl}${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, contentType: response.headers.get('content-type'), retryAfter: response.headers.get('retry-after'), body: await response.text() };
}

const endpoints = {
  'POST /user/password/reset/send': (t: MailTestServer, email: string) => call(t, 'POST', '/user/password/reset/send', { email }),
  'POST /v1/auth/forgot-password': (t: MailTestServer, email: string) => call(t, 'POST', '/v1/auth/forgot-password', { email }),
  'POST /user/password/reset/validate': (t: MailTestServer, email: string) => call(t, 'POST', '/user/password/reset/validate', { email, otp: '000000' }),
  'PUT /user/password/otp': (t: MailTestServer, email: string) =>
    call(t, 'PUT', '/user/password/otp', { userEmail: email, otp: '000000', newPassword: 'Unguessable-Pass-5' }),
};
type Endpoint = keyof typeof endpoints;
const names = Object.keys(endpoints) as Endpoint[];
const sendsMail = (name: Endpoint) => name.includes('send') || name.includes('forgot');

describe('known and unknown emails get byte-identical answers', () => {
  it.each(names)('%s', async (name) => {
    server.clock.advance(MAIL_INTERVAL_MS);
    const forKnown = await endpoints[name](server, known.email);
    const forUnknown = await endpoints[name](server, unknownEmail);
    expect(forUnknown).toEqual(forKnown);
    expect(forKnown.status).toBe(sendsMail(name) ? 200 : 401);
    expect(forKnown.body).toBe(sendsMail(name) ? 'null' : '{"statusCode":401,"error":"Unauthorized","message":"OTP_INVALID_EXPIRED"}');
    if (sendsMail(name)) {
      // And the 60 s limit answers the same way for both.
      server.clock.advance(1000);
      const againKnown = await endpoints[name](server, known.email);
      const againUnknown = await endpoints[name](server, unknownEmail);
      expect(againKnown.status).toBe(429);
      expect(againUnknown).toEqual(againKnown);
    }
  });
});

/**
 * Back-to-back (known, unknown) pairs, the order alternating each round so neither side always
 * goes first; compared pair by pair (compareTimings), so the machine's changing load cancels out.
 * Two looks: a difference found after PAIRS pairs stands; otherwise PAIRS more are taken and all
 * are compared again (a busy machine needs them to see a few milliseconds). Each look uses
 * alpha/2, so the chance of flagging equal paths stays below ALPHA overall (Bonferroni).
 */
async function compareEndpoint(target: MailTestServer, knownEmail: string, name: Endpoint) {
  const send = endpoints[name];
  const times = { known: [] as number[], unknown: [] as number[] };
  // Warm-up (JIT, connection pool), not measured.
  for (let i = 0; i < 5; i++) {
    target.clock.advance(MAIL_INTERVAL_MS);
    await send(target, knownEmail);
    await send(target, unknownEmail);
  }
  let comparison: TimingComparison | undefined;
  for (let look = 0; look < 2; look++) {
    for (let i = 0; i < PAIRS; i++) {
      target.clock.advance(MAIL_INTERVAL_MS);
      const order = i % 2 ? (['known', 'unknown'] as const) : (['unknown', 'known'] as const);
      for (const who of order) {
        const started = performance.now();
        const answer = await send(target, who === 'known' ? knownEmail : unknownEmail);
        times[who].push(performance.now() - started);
        expect(answer.status).toBe(sendsMail(name) ? 200 : 401);
      }
    }
    comparison = compareTimings(times.known, times.unknown, { alpha: ALPHA / 2 });
    if (comparison.differ) break;
  }
  return comparison!;
}

describe('known and unknown emails take times a rank test cannot tell apart', () => {
  // The endpoints' own answer times: the worker's SMTP deliveries (after the known path's commit)
  // would land as noise on whichever request came next, so they are stopped here.
  beforeAll(async () => {
    await server.worker.stop();
    await slowed.worker.stop();
  });

  it.each(names)(`%s: ${PAIRS} (or ${2 * PAIRS}) interleaved pairs, Wilcoxon signed-rank`, async (name) => {
    const comparison = await compareEndpoint(server, known.email, name);
    expect(comparison.differ, comparison.summary).toBe(false);
  }, 120_000);

  it.each(names)(`%s: the same check flags a ${PLANTED_DELAY_MS} ms delay planted on the known-email path`, async (name) => {
    const comparison = await compareEndpoint(slowed, slowedKnown.email, name);
    expect(comparison.differ, comparison.summary).toBe(true);
    expect(comparison.shift, comparison.summary).toBeGreaterThan(0);
  }, 120_000);
});
