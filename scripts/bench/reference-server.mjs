/**
 * Row "D" of npm run bench: the bare stack this service is built on and nothing else, as the
 * floor any service on it pays. Express 5 + express-openapi-validator (request validation,
 * responses unchecked as in production) + an EdDSA JWT check with jose (signature, alg, kid,
 * iss, exp, typ) + one primary-key SELECT through Knex/pg. Plain JavaScript: node runs it as it
 * is, like the project's compiled build. Configured by the bench: PORT, DATABASE_URL,
 * DATABASE_POOL_MAX, JWT_PUBLIC_JWKS (JSON array), JWT_ISSUER.
 */
import express from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import { importJWK, jwtVerify, decodeProtectedHeader } from 'jose';
import knex from 'knex';

// The pool's size is the service's (DATABASE_POOL_MAX, default 10 as there): both rows queue alike.
const db = knex({ client: 'pg', connection: process.env.DATABASE_URL, pool: { min: 0, max: Number(process.env.DATABASE_POOL_MAX ?? 10) } });
const keys = new Map();
for (const jwk of JSON.parse(process.env.JWT_PUBLIC_JWKS)) keys.set(jwk.kid, await importJWK(jwk, 'EdDSA'));
const issuer = process.env.JWT_ISSUER;

const spec = {
  openapi: '3.0.3',
  info: { title: 'bench reference', version: '1' },
  paths: {
    '/ref': {
      get: {
        operationId: 'reference',
        parameters: [{ name: 'authorization', in: 'header', required: true, schema: { type: 'string', pattern: '^Bearer ' } }],
        responses: {
          200: { description: 'the token owner', content: { 'application/json': { schema: { type: 'object', required: ['userId'], properties: { userId: { type: 'string', format: 'uuid' } } } } } },
          401: { description: 'no valid token' },
        },
      },
    },
  },
};

const app = express();
app.disable('x-powered-by');
app.get('/ready', (_req, res) => res.json({ ok: true }));
app.use(OpenApiValidator.middleware({ apiSpec: spec, validateRequests: true, validateResponses: false, validateSecurity: false }));
app.get('/ref', async (req, res) => {
  const token = req.headers.authorization.slice('Bearer '.length);
  let payload;
  try {
    const key = keys.get(decodeProtectedHeader(token).kid);
    if (!key) throw new Error('kid');
    ({ payload } = await jwtVerify(token, key, { algorithms: ['EdDSA'], issuer, requiredClaims: ['sub', 'exp'] }));
    if (payload.typ !== 'access' && payload.typ !== 'sudo') throw new Error('typ');
  } catch {
    return res.status(401).json({ statusCode: 401, error: 'Unauthorized', message: 'INVALID_TOKEN' });
  }
  const user = await db('users').where({ id: payload.sub }).first('id', 'password_changed_at');
  if (!user || user.password_changed_at.getTime() !== payload.pwc) return res.status(401).json({ statusCode: 401, error: 'Unauthorized', message: 'INVALID_TOKEN' });
  res.json({ userId: user.id });
});
app.use((err, _req, res, _next) => res.status(err.status ?? 500).json({ statusCode: err.status ?? 500, error: err.name, message: err.message }));

const server = app.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => {
  server.close(() => db.destroy().then(() => process.exit(0)));
  server.closeAllConnections();
});
