import { operationIdOf } from './operation-id.js';
import type { RequestHandler } from 'express';
import type { Deps } from '../deps.js';

/** Times every request by operationId and logs one line per request: no bodies, no query, no headers. */
export function requestMetrics(deps: Pick<Deps, 'metrics' | 'log'>): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const operation = operationIdOf(req) ?? 'unmatched';
      deps.metrics.httpDuration.observe({ operation, method: req.method, status: String(res.statusCode) }, seconds);
      deps.log.debug({ operation, method: req.method, path: req.path, status: res.statusCode, ms: Math.round(seconds * 1000) }, 'request');
    });
    next();
  };
}
