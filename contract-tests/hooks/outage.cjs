'use strict';
// 503 SERVICE_UNAVAILABLE on every operation that documents it (all that use the database;
// getReadiness has its own NOT_READY, set up in ops.cjs): the request carries a token its scheme
// accepts up to the caller lookup (any string for a refresh token, a signed sudo JWT otherwise),
// then the service's database refuses connections for this one transaction.
const { contract } = require('../lib/kit.cjs');
const { loadSpec } = require('../lib/spec.cjs');

const c = contract(require('hooks'));
const spec = loadSpec();

for (const item of Object.values(spec.paths)) {
  for (const operation of Object.values(item)) {
    if (!operation.responses || !operation.responses['503'] || operation.operationId === 'getReadiness') continue;
    const scheme = operation.security && operation.security[0] && Object.keys(operation.security[0])[0];
    c.setup(operation.operationId, 503, async (t, fx) => {
      if (scheme === 'refreshToken') t.bearer('a-refresh-token-the-service-must-look-up');
      else if (scheme) t.bearer(await fx.jwt(await fx.user(), 'sudo'));
      const bringBack = await fx.takeDatabaseAway();
      t.after(bringBack);
    });
  }
}
