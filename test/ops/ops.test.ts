import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import * as sdk from '../../generated/sdk.gen.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe('operations endpoints', () => {
  it('GET /healthz', async () => {
    const { data, response } = await sdk.getHealth({ client: server.client });
    expect(response.status).toBe(200);
    expect(data).toEqual({ status: 'ok' });
  });

  it('GET /readyz: ready when the database is reachable and migrated', async () => {
    const { data } = await sdk.getReadiness({ client: server.client });
    expect(data).toEqual({ status: 'ready' });
  });

  it('GET /readyz: 503 NOT_READY when a migration is missing', async () => {
    const last = await server.deps.db('knex_migrations').orderBy('id', 'desc').first();
    await server.deps.db('knex_migrations').where({ id: last.id }).delete();
    try {
      const { response, error } = await sdk.getReadiness({ client: server.client });
      expect(response.status).toBe(503);
      expect(error).toMatchObject({ statusCode: 503, message: 'NOT_READY' });
    } finally {
      await server.deps.db('knex_migrations').insert(last);
    }
  });

  it('GET /openapi.yaml serves the spec', async () => {
    const response = await fetch(`${server.baseUrl}/openapi.yaml`);
    expect(response.headers.get('content-type')).toMatch(/yaml/);
    expect(parse(await response.text()).openapi).toBe('3.0.3');
  });

  it('GET /metrics exposes request durations by operationId', async () => {
    await sdk.getHealth({ client: server.client });
    const response = await fetch(`${server.baseUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/http_request_duration_seconds_count\{operation="getHealth",method="GET",status="200"\} \d+/);
  });

  it('answers are not cacheable and carry no ETag (a token body must not be fingerprinted or stored)', async () => {
    const user = await server.createUser();
    // The service's own headers, not a proxy's (VIA_PRISM_PROXY).
    const response = await fetch(`${server.directUrl ?? server.baseUrl}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: user.email, password: user.password }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('etag')).toBeNull();
  });

  it('unknown paths and methods get the error shape', async () => {
    const notFound = await fetch(`${server.baseUrl}/nope`);
    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toEqual({ statusCode: 404, error: 'Not Found', message: 'NOT_FOUND' });
    const wrongMethod = await fetch(`${server.baseUrl}/auth/login`, { method: 'GET' });
    expect(wrongMethod.status).toBe(405);
    expect(await wrongMethod.json()).toMatchObject({ statusCode: 405, message: 'METHOD_NOT_ALLOWED' });
  });

  it('malformed JSON is a 400 in the error shape', async () => {
    // Straight to the service: a Prism proxy in front (VIA_PRISM_PROXY) answers unparsable JSON itself.
    const response = await fetch(`${server.directUrl ?? server.baseUrl}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":' });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ statusCode: 400, error: 'Bad Request', message: 'body is not valid JSON' });
  });

  it('a database failure is a bare 500: no SQL, no stack', async () => {
    const user = await server.createUser();
    await server.deps.db.raw('alter table refresh_tokens rename to refresh_tokens_gone');
    try {
      const response = await fetch(`${server.baseUrl}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: user.email, password: user.password }),
      });
      expect(response.status).toBe(500);
      expect(await response.text()).toBe(JSON.stringify({ statusCode: 500, error: 'Internal server error', message: 'INTERNAL_SERVER_ERROR' }));
    } finally {
      await server.deps.db.raw('alter table refresh_tokens_gone rename to refresh_tokens');
    }
  });
});
