import { operationIdOf } from './operation-id.js';
import type { RequestHandler } from 'express';
import type * as sdk from '../../generated/sdk.gen.js';
import type { Deps } from '../deps.js';

/**
 * Operations whose duration tells a known address from an unknown one (a reset for a real
 * account stores a code and queues a mail, one for an unknown address does not). They are
 * counted like every operation, but never timed: a latency histogram would hand anyone who can
 * read /metrics exact server-side timings of each such request.
 */
const UNTIMED_OPERATIONS: ReadonlySet<string> = new Set([
  'sendPasswordReset',
  'postForgotPassword',
  'validatePasswordReset',
  'updatePasswordViaOtp',
] satisfies (keyof typeof sdk)[]);

/** Counts and times every request by operationId and logs one line per request: no bodies, no query, no headers. */
export function requestMetrics(deps: Pick<Deps, 'metrics' | 'log'>): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const operation = operationIdOf(req) ?? 'unmatched';
      const labels = { operation, method: req.method, status: String(res.statusCode) };
      deps.metrics.httpRequests.inc(labels);
      if (!UNTIMED_OPERATIONS.has(operation)) deps.metrics.httpDuration.observe(labels, seconds);
      deps.log.debug({ operation, method: req.method, path: req.path, status: res.statusCode, ms: Math.round(seconds * 1000) }, 'request');
    });
    next();
  };
}
