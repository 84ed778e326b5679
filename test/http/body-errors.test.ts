import { gzipSync } from 'node:zlib';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import createError from 'http-errors';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorHandler } from '../../src/http/error-handler.js';
import { createLogger } from '../../src/log.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let port: number;
beforeAll(async () => {
  server = await startTestServer();
  port = Number(new URL(server.directUrl!).port);
});
afterAll(() => server.close());

function post(path: string, headers: Record<string, string>, body: Buffer): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path, headers: { ...headers, 'content-length': String(body.length) }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString()) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const login = json({ username: 'x@example.com', password: 'Whatever-1' });

describe('malformed bodies get a 4xx in the error shape (issue 9: these were 500s)', () => {
  it.each([
    ['a JSON body in koi8-r', { 'content-type': 'application/json; charset=koi8-r' }, login, 415, 'Unsupported Media Type', 'UNSUPPORTED_CHARSET'],
    ['a nonsense charset', { 'content-type': 'application/json; charset=nonsense' }, login, 415, 'Unsupported Media Type', 'UNSUPPORTED_CHARSET'],
    ['Content-Encoding: compress', { 'content-type': 'application/json', 'content-encoding': 'compress' }, login, 415, 'Unsupported Media Type', 'UNSUPPORTED_CONTENT_ENCODING'],
    ['Content-Encoding: gzip on a body that is not gzip', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, login, 400, 'Bad Request', 'body cannot be read (does it match its Content-Encoding?)'],
    ['Content-Encoding: deflate on a body that is not deflate', { 'content-type': 'application/json', 'content-encoding': 'deflate' }, login, 400, 'Bad Request', 'body cannot be read (does it match its Content-Encoding?)'],
    ['invalid JSON', { 'content-type': 'application/json' }, Buffer.from('{"username":'), 400, 'Bad Request', 'body is not valid JSON'],
    ['a body over 16 kB', { 'content-type': 'application/json' }, json({ username: 'a'.repeat(20_000), password: 'x' }), 413, 'Payload Too Large', 'PAYLOAD_TOO_LARGE'],
    ['a gzip bomb-ish body over 16 kB once inflated', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, gzipSync(json({ username: 'a'.repeat(200_000), password: 'x' })), 413, 'Payload Too Large', 'PAYLOAD_TOO_LARGE'],
  ])('%s', async (_name, headers, body, status, error, message) => {
    expect(await post('/auth/login', headers, body)).toEqual({ status, body: { statusCode: status, error, message } });
  });

  it('a valid gzip body is read', async () => {
    const response = await post('/auth/login', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, gzipSync(login));
    expect(response.status).toBe(401);
  });
});

describe('body-parser error types that a client cannot easily send on purpose', () => {
  let app: http.Server;
  let appPort: number;
  beforeAll(async () => {
    const e = express();
    e.get('/raise/:type/:status', (req) => {
      const { type, status } = req.params as { type: string; status: string };
      throw createError(Number(status), 'raw body-parser text with "echoed input"', { type });
    });
    e.get('/raise-unexposed', () => {
      throw Object.assign(new Error('internal'), { status: 400, expose: false });
    });
    e.use(errorHandler(createLogger('silent')));
    app = await new Promise((resolve) => {
      const s = e.listen(0, '127.0.0.1', () => resolve(s));
    });
    appPort = (app.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((resolve) => app.close(resolve)));

  it.each([
    ['request.aborted', 400, 400],
    ['request.size.invalid', 400, 400],
    ['parameters.too.many', 413, 400],
    ['entity.verify.failed', 403, 400],
    ['charset.unsupported', 415, 415],
    ['encoding.unsupported', 415, 415],
    ['entity.too.large', 413, 413],
    ['some.future.type', 422, 422],
  ])('%s (raised as %i) → %i, own text, no echo of the request', async (type, raised, expected) => {
    const response = await fetch(`http://127.0.0.1:${appPort}/raise/${type}/${raised}`);
    const body = await response.json();
    expect(response.status).toBe(expected);
    expect(body).toMatchObject({ statusCode: expected });
    expect(Object.keys(body).sort()).toEqual(['error', 'message', 'statusCode']);
    expect(body.message).not.toContain('echoed input');
  });

  it('a 4xx-looking error that does not declare itself exposable stays a 500 (it is the server\'s fault)', async () => {
    const response = await fetch(`http://127.0.0.1:${appPort}/raise-unexposed`);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ statusCode: 500, error: 'Internal server error', message: 'INTERNAL_SERVER_ERROR' });
  });
});
