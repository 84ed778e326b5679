import express, { type Express } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import type { Deps } from './deps.js';
import { errorHandler } from './http/error-handler.js';
import { operationResolver } from './http/operations.js';
import { requestMetrics } from './http/request-metrics.js';
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
  app.use(requestMetrics(deps));
  app.use(express.json({ limit: '16kb' }));
  // The API reference's security headers and its Scalar bundle, an asset rather than an API
  // operation, so it is served before the validator (which refuses paths the spec lacks).
  app.use(docsRoutes());
  app.use(apiResponseHeaders);
  app.use(
    OpenApiValidator.middleware({
      apiSpec: parseSpec(deps.specText) as never,
      validateRequests: { allowUnknownQueryParameters: false },
      // Off in production for speed; on everywhere else so a handler that breaks the spec fails loudly.
      validateResponses: deps.config.nodeEnv !== 'production',
      // Tokens are checked by the service's own policy (tokens/authenticate.ts), for the contract's codes.
      validateSecurity: false,
      validateFormats: true,
      // The spec has no multipart bodies: without this the validator runs its multer middleware
      // (one more promise hop) on every request (CPU profile of the validate path, issue 13).
      fileUploader: false,
      operationHandlers: { basePath: '', resolver: operationResolver(deps) as never },
    }),
  );
  app.use(errorHandler(deps.log));
  return app;
}
