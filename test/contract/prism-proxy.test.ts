import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../generated/client/index.js';
import * as sdk from '../../generated/sdk.gen.js';
import { startPrism, type PrismProcess } from '../support/prism.js';
import { failOnResponseViolation, proxyViolations } from '../support/server.js';

/**
 * The Prism proxy mode of the suite (npm run test:proxy) fails on a response that breaks the
 * spec: here Prism sits in front of a fake service whose GET /healthz answers `{"status": 1}`.
 * Also shows what Prism accepts as legitimate: text/plain tokens, `null` bodies, 204, Retry-After.
 */
let upstream: Server;
let prism: PrismProcess;
const bodies: Record<string, { status: number; type?: string; body: string; headers?: Record<string, string> }> = {
  '/healthz': { status: 200, type: 'application/json', body: '{"status":1}' },
  '/readyz': { status: 200, type: 'application/json', body: '{"status":"ready"}' },
  '/auth/accesstoken': { status: 200, type: 'text/plain; charset=utf-8', body: 'eyJhbGciOiJFZERTQSJ9.e30.c2ln' },
  '/user/2fa/totp': { status: 200, type: 'application/json', body: 'null' },
  '/auth/logout': { status: 204, body: '' },
  '/auth/login': { status: 429, type: 'application/json', body: '{"statusCode":429,"error":"Too many requests","message":"TOO_MANY_FAILED_PASSWORD_CHECKS","retryAfter":8}', headers: { 'Retry-After': '8' } },
};

beforeAll(async () => {
  upstream = createServer((req, res) => {
    const answer = bodies[req.url!.split('?')[0]!] ?? { status: 404, body: '' };
    res.writeHead(answer.status, { ...(answer.type ? { 'Content-Type': answer.type } : {}), ...answer.headers }).end(answer.body);
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  prism = await startPrism('proxy', { upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` });
}, 90_000);
afterAll(async () => {
  await prism?.stop();
  await new Promise((resolve) => upstream.close(resolve));
});

describe('prism proxy in front of the service (npm run test:proxy)', () => {
  it('a response that breaks the spec fails the SDK call and shows in the log check', async () => {
    const client = createClient({ baseUrl: prism.url });
    client.interceptors.response.use(failOnResponseViolation);
    await expect(sdk.getHealth({ client })).rejects.toThrow(/GET \/healthz answered 200, which breaks openapi.yaml: response\.body/);
    expect(proxyViolations(prism.output()).join('\n')).toMatch(/Violation: response\.body/);
  });

  it('lets legitimate traffic through: text/plain tokens, null bodies, 204 and 429 with Retry-After', async () => {
    const before = proxyViolations(prism.output()).length;
    const client = createClient({ baseUrl: prism.url });
    client.interceptors.response.use(failOnResponseViolation);
    const auth = { Authorization: 'Bearer x' };
    expect((await sdk.getReadiness({ client })).data).toEqual({ status: 'ready' });
    expect((await sdk.getAccessToken({ client, headers: auth })).data).toBe('eyJhbGciOiJFZERTQSJ9.e30.c2ln');
    const removed = await sdk.removeTotp({ client, headers: auth });
    expect(removed.response.status).toBe(200);
    expect(removed.data).toBeNull();
    expect((await sdk.logout({ client, headers: auth })).response.status).toBe(204);
    const tooMany = await sdk.login({ client, body: { username: 'jane@example.com', password: 'x' } });
    expect(tooMany.response.status).toBe(429);
    expect(proxyViolations(prism.output()).slice(before)).toEqual([]);
  });

  it('a Retry-After header that is missing on a 429 is a violation', async () => {
    bodies['/auth/login'] = { ...bodies['/auth/login']!, headers: {} };
    const client = createClient({ baseUrl: prism.url });
    client.interceptors.response.use(failOnResponseViolation);
    await expect(sdk.login({ client, body: { username: 'jane@example.com', password: 'x' } })).rejects.toThrow(/Retry-After|retry-after/i);
  });
});
