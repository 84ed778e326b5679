import { gzipSync } from 'node:zlib';
import http from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { findUserById } from '../../src/users/queries.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { deref, specOperations, tokenForScheme, sessionIdOf, type SpecOperation } from '../support/spec-requests.js';

/**
 * Thousands of hostile requests derived from openapi.yaml against the real app and database:
 * every operation × odd content types, charsets and encodings, truncated/invalid/deep/huge JSON,
 * wrong types, NUL bytes in strings and query parameters, bad tokens. None may get a 5xx; every
 * 4xx is the error shape. Bounded in count (RUNS) and time (TIME_LIMIT_MS).
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 2500);
const TIME_LIMIT_MS = 60_000;

let server: TestServer;
let port: number;
let validTokens: { refreshToken: string; jwt: string };

/** A fresh account's refresh token and access JWT (a request that logs out or changes the password spends them). */
async function renewTokens(): Promise<void> {
  const user = await server.createUser();
  const login = await sdk.login({ client: server.client, body: { username: user.email, password: user.password } });
  const row = await findUserById(server.deps.db, user.id);
  const caller = { id: user.id, passwordChangedAt: row!.passwordChangedAt.getTime(), sessionId: await sessionIdOf(server.deps, login.data as string) };
  validTokens = {
    refreshToken: login.data as string,
    jwt: (await tokenForScheme(server.deps, 'accessToken', caller, '')) as string,
  };
}

/** Operations whose success revokes the caller's tokens. */
const SPENDS_TOKENS = ['logout', 'getRefreshToken', 'updatePasswordViaSudo', 'updatePasswordViaOtp', 'putEmail'];

beforeAll(async () => {
  // Its answers are off-spec on purpose (413/415 everywhere): not counted in the spec coverage.
  server = await startTestServer({}, { recordStatuses: false });
  port = Number(new URL(server.directUrl!).port);
  await renewTokens();
});
afterAll(() => server.close());

interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

interface RawResponse {
  status: number;
  contentType: string | undefined;
  text: string;
}

function send(request: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: request.method, path: request.path, headers: request.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, contentType: res.headers['content-type'], text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(request.body);
  });
}

// ---- arbitraries, all derived from the spec's operations, schemas and examples

const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('\u0000', 'a\u0000b', '\u0000\u0000', '\ud800', '\uffff', '%00', '../../etc/passwd', "' or 1=1 --", '<script>', 'x'.repeat(300), ''),
);

/** A JSON value of any type (wrong types for every field). */
const anyJson = fc.oneof(hostileString, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.string(), { maxKeys: 3 }));

/** The operation's example body with fields replaced, removed or added. */
function mutatedBody(op: SpecOperation): fc.Arbitrary<unknown> {
  const example = (op.bodyExample ?? {}) as Record<string, unknown>;
  const fields = Object.keys(deref(op.bodySchema)?.properties ?? {});
  return fc
    .record({
      replace: fc.dictionary(fields.length ? fc.constantFrom(...fields) : fc.constant('x'), anyJson, { maxKeys: 3 }),
      drop: fc.subarray(Object.keys(example)),
      extra: fc.dictionary(fc.string({ maxLength: 8 }), anyJson, { maxKeys: 2 }),
    })
    .map(({ replace, drop, extra }) => {
      const body: Record<string, unknown> = { ...example, ...replace, ...extra };
      for (const key of drop) delete body[key];
      return body;
    });
}

const deepJson = fc.integer({ min: 50, max: 6000 }).chain((depth) => fc.constantFrom('[', '{"a":').map((open) => open.repeat(depth) + (open === '[' ? ']'.repeat(depth) : '1' + '}'.repeat(depth))));

/** Body bytes: valid, mutated, wrong type, truncated, invalid, deep, huge, NUL-laden, non-UTF-8. */
function bodyBytes(op: SpecOperation): fc.Arbitrary<Buffer | undefined> {
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));
  const valid = JSON.stringify(op.bodyExample ?? {});
  return fc.oneof(
    { arbitrary: fc.constant(json(op.bodyExample ?? {})), weight: 3 },
    { arbitrary: mutatedBody(op).map(json), weight: 6 },
    { arbitrary: mutatedBody(op).map((b) => Buffer.from(JSON.stringify(b).replace(/"([^"]*)"/g, '"$1\\u0000"'))), weight: 3 },
    anyJson.map(json),
    fc.integer({ min: 0, max: Math.max(0, valid.length - 1) }).map((cut) => Buffer.from(valid.slice(0, cut))),
    fc.constantFrom('{', '{"a":', '{"email":"x@y.z",}', "{'a':1}", 'nul\u0000l', '\u0000', 'undefined', '[1,2', '"unterminated', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}').map((s) => Buffer.from(s)),
    deepJson.map((s) => Buffer.from(s)),
    fc.integer({ min: 16 * 1024, max: 64 * 1024 }).map((n) => Buffer.from(JSON.stringify({ email: 'a'.repeat(n) }))),
    fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
    fc.constant(Buffer.from([0xff, 0xfe, 0x7b, 0x00])),
    fc.constant(undefined),
  );
}

const contentType = fc.oneof(
  { arbitrary: fc.constant('application/json'), weight: 6 },
  { arbitrary: fc.constantFrom(
  undefined,
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=koi8-r',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/json; charset=nonsense-42',
  'application/json; charset=""',
  'application/json;;;',
  'application/JSON',
  'application/merge-patch+json',
  'text/plain',
  'text/html; charset=utf-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/xml',
  '*/*',
  'garbage',
  ), weight: 4 },
);

type Encoding = 'none' | 'gzip-valid' | 'gzip-invalid' | 'deflate-invalid' | 'br-invalid' | 'compress' | 'identity' | 'x-unknown' | 'gzip, gzip';
const contentEncoding = fc.constantFrom<Encoding>('none', 'none', 'none', 'none', 'none', 'none', 'gzip-valid', 'gzip-invalid', 'deflate-invalid', 'br-invalid', 'compress', 'identity', 'x-unknown', 'gzip, gzip');

function authorization(op: SpecOperation): fc.Arbitrary<string | undefined> {
  const valid = op.scheme === 'refreshToken' ? validTokens.refreshToken : validTokens.jwt;
  return fc.oneof(
    fc.constant(undefined),
    { arbitrary: fc.constant(`Bearer ${valid}`), weight: 6 },
    fc.constant(`Bearer ${validTokens.refreshToken}`),
    fc.constant(`Bearer ${validTokens.jwt}`),
    fc.constant(`Bearer ${validTokens.jwt.slice(0, -3)}abc`),
    fc.constantFrom('Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', `Bearer${valid}`, 'Bearer a.b.c', 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', `Bearer ${'x'.repeat(4000)}`),
    fc.string({ unit: 'grapheme-ascii', maxLength: 60 }).map((s) => `Bearer ${s}`),
  );
}

/** Query strings: the operation's parameters and unknown ones, with NULs, bad escapes, arrays and objects. */
function queryString(op: SpecOperation): fc.Arbitrary<string> {
  const names = [...op.queryParameters.map((p) => p.name), 'unknown', 'origin'];
  const rawValue = fc.oneof(
    hostileString.map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, ''))),
    fc.constantFrom('%00', '%00%00', '%', '%zz', '%E0%A4%A', '%C0%80', 'https%3A%2F%2Fapp.gridwise.eu%00', '%FF%FE', 'en', 'de', 'x'.repeat(300)),
  );
  const pair = fc.tuple(fc.constantFrom(...names), fc.constantFrom('', '[]', '[a]', '[0][1]'), rawValue).map(([name, suffix, value]) => `${name}${suffix}=${value}`);
  return fc.array(pair, { maxLength: 4 }).map((pairs) => (pairs.length ? `?${pairs.join('&')}` : ''));
}

const hostileRequest = fc.constantFrom(...specOperations).chain((op) =>
  fc
    .record({
      body: bodyBytes(op),
      contentType,
      encoding: contentEncoding,
      authorization: authorization(op),
      query: queryString(op),
      otherMethod: fc.oneof({ arbitrary: fc.constant(undefined), weight: 12 }, { arbitrary: fc.constantFrom('PATCH', 'DELETE', 'OPTIONS', 'GET', 'POST', 'PUT'), weight: 1 }),
    })
    .map(({ body, contentType, encoding, authorization, query, otherMethod }): RawRequest & { operationId: string } => {
      const headers: Record<string, string> = {};
      if (contentType) headers['content-type'] = contentType;
      if (authorization) headers.authorization = authorization;
      let bytes = body;
      if (bytes !== undefined) {
        if (encoding === 'gzip-valid') bytes = gzipSync(bytes);
        if (encoding !== 'none') headers['content-encoding'] = encoding.replace(/-(valid|invalid)$/, '');
      }
      // Framed explicitly: Node sends a GET/DELETE/OPTIONS body unframed otherwise (garbage on the wire).
      if (bytes !== undefined) headers['content-length'] = String(bytes.length);
      return { operationId: op.operationId, method: otherMethod ?? op.method, path: op.path + query, headers, body: bytes };
    }),
);

const ERROR_KEYS = ['statusCode', 'error', 'message', 'retryAfter', 'partialToken', 'methods'];

describe('malformed and hostile requests', () => {
  it(`${RUNS} spec-derived hostile requests: never a 5xx, every 4xx in the error shape`, { timeout: TIME_LIMIT_MS + 30_000 }, async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(hostileRequest, async (request) => {
        const response = await send(request);
        if (response.status < 300 && SPENDS_TOKENS.includes(request.operationId)) await renewTokens();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        const where = `${request.method} ${request.path} (${request.operationId}) headers=${JSON.stringify(request.headers)}`;
        expect(response.status, `${where}: ${response.text.slice(0, 300)}`).toBeLessThan(500);
        if (response.status >= 400) {
          expect(response.contentType, where).toMatch(/^application\/json/);
          const body = JSON.parse(response.text);
          expect(body.statusCode, where).toBe(response.status);
          expect(typeof body.error, where).toBe('string');
          expect(typeof body.message, where).toBe('string');
          expect(body.message.length, where).toBeGreaterThan(0);
          expect(Object.keys(body).filter((key) => !ERROR_KEYS.includes(key)), where).toEqual([]);
        }
      }),
      { numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false, endOnFailure: true },
    );
    const total = [...statuses.values()].reduce((a, b) => a + b, 0);
    console.log(`fuzz: ${total} requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
    // It really exercised the body parser's and the validator's refusals.
    for (const status of [400, 401, 413, 415]) expect(statuses.get(status) ?? 0, `status ${status}`).toBeGreaterThan(0);
    expect(total).toBeGreaterThanOrEqual(Math.min(RUNS, 1000));
  });

  it('a NUL in each body field and each query parameter of every operation, with a valid token: never a 5xx', { timeout: 120_000 }, async () => {
    const failures: string[] = [];
    for (const op of specOperations) {
      await renewTokens();
      const token = op.scheme === 'refreshToken' ? validTokens.refreshToken : validTokens.jwt;
      const headers: Record<string, string> = { 'content-type': 'application/json', ...(op.scheme ? { authorization: `Bearer ${token}` } : {}) };
      const example = (op.bodyExample ?? {}) as Record<string, unknown>;
      const variants: { path: string; body?: Buffer }[] = [];
      for (const field of Object.keys(deref(op.bodySchema)?.properties ?? {})) {
        for (const value of ['\u0000', `${String(example[field] ?? 'x')}\u0000`, `\u0000${String(example[field] ?? 'x')}`]) {
          variants.push({ path: op.path, body: Buffer.from(JSON.stringify({ ...example, [field]: value })) });
        }
      }
      for (const { name } of op.queryParameters) {
        for (const value of ['%00', '%00%00', 'a%00', '%00https%3A%2F%2Fapp.gridwise.eu']) variants.push({ path: `${op.path}?${name}=${value}`, body: op.bodySchema ? Buffer.from(JSON.stringify(example)) : undefined });
      }
      for (const variant of variants) {
        const requestHeaders = variant.body ? { ...headers, 'content-length': String(variant.body.length) } : headers;
        const response = await send({ method: op.method, path: variant.path, headers: requestHeaders, body: variant.body });
        if (response.status >= 500) failures.push(`${op.operationId} ${variant.path} ${variant.body?.toString() ?? ''} → ${response.status} ${response.text}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
