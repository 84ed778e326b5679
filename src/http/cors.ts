import type { RequestHandler } from 'express';
import type { Deps } from '../deps.js';

/** Preflight answers: what a browser app may send. Cached by the browser for this long (Chromium caps it at 2 h). */
export const CORS_ALLOW_METHODS = 'GET, POST, PUT, DELETE';
export const CORS_ALLOW_HEADERS = 'authorization, content-type';
export const CORS_EXPOSE_HEADERS = 'retry-after';
export const CORS_MAX_AGE_S = 7200;

type OriginDeps = Pick<Deps, 'config' | 'mail'>;

const cache = new WeakMap<OriginDeps['config'], ReadonlySet<string>>();

/**
 * The browser origins the service answers: every mail configuration's `origins` plus
 * CORS_ORIGINS. Both are normalised origins (scheme://host[:port]), fixed at start.
 */
export function browserOrigins(deps: OriginDeps): ReadonlySet<string> {
  let origins = cache.get(deps.config);
  if (!origins) {
    origins = new Set([...deps.mail.configurations.all.flatMap((c) => c.origins), ...deps.config.corsOrigins]);
    cache.set(deps.config, origins);
  }
  return origins;
}

/** An exact, case-sensitive match of the serialised `Origin` header (browsers write it lower case). */
export function isAllowedOrigin(deps: OriginDeps, origin: string | undefined): origin is string {
  return origin !== undefined && browserOrigins(deps).has(origin);
}

/**
 * CORS for the allowed origins only, mounted before the OpenAPI validator so a preflight never
 * reaches it (an OPTIONS is no spec operation) and needs no token. Any other origin gets no CORS
 * header at all: the browser then withholds the answer, and the request is served as without CORS.
 */
export function cors(deps: OriginDeps): RequestHandler {
  return (req, res, next) => {
    // The answer depends on Origin: caches (and the browser's own) must key on it.
    res.vary('Origin');
    const origin = req.headers.origin;
    if (!isAllowedOrigin(deps, origin)) return next();
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
      res.setHeader('Access-Control-Allow-Methods', CORS_ALLOW_METHODS);
      res.setHeader('Access-Control-Allow-Headers', CORS_ALLOW_HEADERS);
      res.setHeader('Access-Control-Max-Age', String(CORS_MAX_AGE_S));
      res.status(204).end();
      return;
    }
    res.setHeader('Access-Control-Expose-Headers', CORS_EXPOSE_HEADERS);
    next();
  };
}
