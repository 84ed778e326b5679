import express, { type Express } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import type { Deps } from './deps.js';
import { cors } from './http/cors.js';
import { errorHandler } from './http/error-handler.js';
import { operationResolver } from './http/operations.js';
import { createAddressLimits } from './address-limits/guard.js';
import { requestMetrics } from './http/request-metrics.js';
import { hashAdmission, hashingRoutes } from './http/hash-admission.js';
import { apiResponseHeaders } from './http/response-headers.js';
import { parseSpec } from './http/spec.js';
import { docsRoutes } from './ops/docs.js';

/**
 * The HTTP app: express → request validation (schema) → token check → handler → reply.
 * Never listens: main.ts and the tests do that.
 */
export function createApp(deps: Deps): Express {
  const app = express();
  app.disable('x-powered-by');
  // An ETag of a token body would be a fingerprint of the token.
  app.set('etag', false);
  // req.ip: the socket's peer, or behind the proxies TRUST_PROXY names the first untrusted
  // X-Forwarded-For hop (the per-address limits count by it).
  app.set('trust proxy', deps.config.trustProxy);
  app.use(requestMetrics(deps));
  // Before the body parser and the validator: a preflight is answered here (it is no spec
  // operation and carries no token), and every answer, errors included, gets the CORS headers.
  app.use(cors(deps));
  const spec = parseSpec(deps.specText);
  // A client address over its limit is answered 429 before anything else reads its request.
  const addressLimits = createAddressLimits(deps);
  app.use(addressLimits.early(spec as never));
  // Password-hashing operations are admitted, or shed with 503, before their body is even read:
  // see hash-admission.ts.
  app.use(hashAdmission(deps, hashingRoutes(spec as never)));
  app.use(express.json({ limit: '16kb' }));
  // The API reference's security headers and its Scalar bundle, an asset rather than an API
  // operation, so it is served before the validator (which refuses paths the spec lacks).
  app.use(docsRoutes());
  app.use(apiResponseHeaders);
  app.use(
    OpenApiValidator.middleware({
      apiSpec: spec as never,
      validateRequests: { allowUnknownQueryParameters: false },
      // Off in production for speed; on everywhere else so a handler that breaks the spec fails loudly.
      validateResponses: deps.config.nodeEnv !== 'production',
      // Tokens are checked by the service's own policy (tokens/authenticate.ts), for the contract's codes.
      validateSecurity: false,
      validateFormats: true,
      // The spec has no multipart bodies: without this the validator runs its multer middleware
      // (one more promise hop) on every request (CPU profile of the validate path, issue 13).
      fileUploader: false,
      operationHandlers: { basePath: '', resolver: operationResolver(deps, addressLimits) as never },
    }),
  );
  app.use(errorHandler(deps.log));
  return app;
}
