import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Router, type RequestHandler } from 'express';

/**
 * GET /docs: the API reference page, rendered in the browser by Scalar from GET /openapi.yaml.
 *
 * The Scalar bundle is served from the installed `@scalar/api-reference` package (no CDN) by a
 * static route mounted in app.ts BEFORE the OpenAPI validator. It is an asset of the page, not an
 * API operation: putting it in openapi.yaml would give the SDK, the mock and the contract tests a
 * 4 MB JavaScript "operation" and make the reference document its own asset.
 */
export const SCALAR_BUNDLE_ROUTE = '/docs/assets/scalar-api-reference.js';

/** dist/browser/standalone.js: self-contained (no chunks). Not in the package's `exports`, so found beside its entry point. */
export const SCALAR_BUNDLE_PATH = join(dirname(createRequire(import.meta.url).resolve('@scalar/api-reference')), 'browser', 'standalone.js');

/**
 * Scalar reads `data-url` and `data-configuration` from the (non-executing) #api-reference element,
 * so the page needs no inline script and the CSP can forbid them. URLs are relative, so the page
 * also works behind a reverse proxy that adds a path prefix.
 */
const SCALAR_CONFIGURATION = {
  // The default fonts come from fonts.scalar.com; the CSP would block them anyway.
  withDefaultFonts: false,
  // No "open in Scalar client / api.scalar.com proxy" round trips.
  hideClientButton: true,
  showDeveloperTools: 'never',
  telemetry: false,
  // The "Ask AI" and "Generate MCP" features talk to Scalar's servers.
  agent: { disabled: true },
  mcp: { disabled: true },
  // Every operation visible without clicking through the tags.
  defaultOpenAllTags: true,
};

const escapeAttribute = (value: string) => value.replace(/&/g, '&amp;').replace(/'/g, '&#39;').replace(/</g, '&lt;');

export const API_REFERENCE_HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>SmartgridOne authentication API reference</title>
    <link rel="icon" href="data:,">
  </head>
  <body>
    <script id="api-reference" type="application/json" data-url="openapi.yaml" data-configuration='${escapeAttribute(JSON.stringify(SCALAR_CONFIGURATION))}'></script>
    <script src="${SCALAR_BUNDLE_ROUTE.slice(1)}"></script>
  </body>
</html>
`;

/**
 * Only same-origin scripts (the bundle), no inline or eval'd script, no third-party fetches.
 * Scalar injects its stylesheet at run time, hence 'unsafe-inline' for styles only.
 */
export const API_REFERENCE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "worker-src 'self' blob:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const securityHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('Content-Security-Policy', API_REFERENCE_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  next();
};

/** Mounted before the validator: security headers for /docs and /docs/*, and the Scalar bundle. */
export function docsRoutes(): Router {
  const router = Router();
  router.use('/docs', securityHeaders);
  router.get(SCALAR_BUNDLE_ROUTE, (_req, res, next) => {
    res.sendFile(SCALAR_BUNDLE_PATH, { maxAge: '1d', headers: { 'Content-Type': 'text/javascript; charset=utf-8' } }, (err) => err && next(err));
  });
  return router;
}
