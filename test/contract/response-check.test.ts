import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { checkTransaction, type DreddTransaction } from '../../contract-tests/lib/response-check.cjs';
import { createAjv, deref, loadSpec } from '../../contract-tests/lib/spec.cjs';

/**
 * The hook that makes Dredd check response schemas (contract-tests/lib/response-check.cjs), on
 * transaction objects shaped like Dredd's, validated afterwards by Gavel exactly as Dredd does.
 */
const gavel = createRequire(import.meta.url)('gavel') as {
  validate(expected: object, real: object): { valid: boolean; fields: Record<string, { errors: { message: string }[] }> };
};
const context = { spec: deref(loadSpec()), ajv: createAjv() };

function transaction(method: string, uri: string, status: number, real: { status?: number; type?: string; body: string; headers?: Record<string, string> }, example?: string): DreddTransaction {
  return {
    request: { method, uri, headers: {}, body: '' },
    expected: { statusCode: String(status), headers: real.type ? { 'Content-Type': real.type.split(';')[0]! } : {}, ...(example === undefined ? {} : { body: example }) },
    real: { statusCode: real.status ?? status, headers: { ...(real.type ? { 'content-type': real.type } : {}), ...real.headers }, body: real.body },
  };
}

/** The hook, then Gavel: the problems the transaction would fail with. */
function verdict(t: DreddTransaction): string[] {
  const problems = checkTransaction(t, context);
  const result = gavel.validate(t.expected, t.real);
  return [...problems, ...Object.values(result.fields).flatMap((field) => field.errors.map((e) => e.message))];
}

const JSON_UTF8 = 'application/json; charset=utf-8';

describe('response-check: Dredd made to check openapi.yaml schemas', () => {
  it('Dredd alone passes a body with the right keys and wrong types; with the hook it fails', () => {
    const wrong = transaction('GET', '/healthz', 200, { type: 'application/json', body: '{"status":1}' }, '{"status":"ok"}');
    expect(gavel.validate(wrong.expected, wrong.real).valid).toBe(true); // what Dredd does by itself
    const problems = verdict(wrong);
    expect(problems.join('\n')).toMatch(/status/);
    expect(problems).not.toEqual([]);
    expect(verdict(transaction('GET', '/healthz', 200, { type: JSON_UTF8, body: '{"status":"ok"}' }, '{"status":"ok"}'))).toEqual([]);
  });

  it('refuses extra properties, missing ones, bad formats and codes the status does not document', () => {
    const userId = (body: string) => verdict(transaction('GET', '/auth/accesstoken/validate', 200, { type: JSON_UTF8, body }));
    expect(userId('{"userId":"3f1c6a2e-8b4d-4c1e-9a7f-2d5b6c8e9f01"}')).toEqual([]);
    expect(userId('{"userId":"not-a-uuid"}')).not.toEqual([]);
    expect(userId('{"userId":"3f1c6a2e-8b4d-4c1e-9a7f-2d5b6c8e9f01","admin":true}')).not.toEqual([]);
    expect(userId('{}')).not.toEqual([]);
    const tokenError = (message: string) =>
      verdict(transaction('GET', '/auth/accesstoken', 401, { type: JSON_UTF8, body: JSON.stringify({ statusCode: 401, error: 'Unauthorized', message }) }));
    expect(tokenError('INVALID_TOKEN')).toEqual([]);
    expect(tokenError('TOTP_INVALID')).not.toEqual([]);
  });

  it('treats nullable fields and the JSON body null as OpenAPI 3.0 means them', () => {
    const status = { enabled: false, emailOtp: null, totp: { completedAt: null }, webauthn: null, recoveryCodes: null };
    expect(verdict(transaction('GET', '/user/2fa', 200, { type: JSON_UTF8, body: JSON.stringify(status) }))).toEqual([]);
    expect(verdict(transaction('GET', '/user/2fa', 200, { type: JSON_UTF8, body: JSON.stringify({ ...status, totp: { completedAt: 'yesterday' } }) }))).not.toEqual([]);
    expect(verdict(transaction('DELETE', '/user/2fa/totp', 200, { type: JSON_UTF8, body: 'null' }, 'null'))).toEqual([]);
    expect(verdict(transaction('DELETE', '/user/2fa/totp', 200, { type: JSON_UTF8, body: '{}' }, 'null'))).not.toEqual([]);
  });

  it('checks text bodies against their schema instead of comparing them with the example', () => {
    const token = transaction('GET', '/auth/accesstoken', 200, { type: 'text/plain; charset=utf-8', body: 'eyJhbGciOi.x.y' });
    expect(verdict(token)).toEqual([]);
    expect(token.expected.body).toBeUndefined();
    const metrics = transaction('GET', '/metrics', 200, { type: 'text/plain; version=0.0.4; charset=utf-8', body: 'up 1\n' }, '# HELP …');
    expect(verdict(metrics)).toEqual([]);
    expect(verdict(transaction('GET', '/metrics', 200, { type: 'text/html', body: '<html>' }))).not.toEqual([]);
  });

  it('refuses a body on a response documented without one (logout 204)', () => {
    expect(verdict(transaction('POST', '/auth/logout', 204, { body: '' }))).toEqual([]);
    expect(verdict(transaction('POST', '/auth/logout', 204, { type: JSON_UTF8, body: 'null' }))).not.toEqual([]);
  });

  it('checks documented headers: Retry-After present, a whole number ≥ 1', () => {
    const body = JSON.stringify({ statusCode: 429, error: 'Too many requests', message: 'TOO_MANY_FAILED_PASSWORD_CHECKS', retryAfter: 8 });
    const tooMany = (headers: Record<string, string>) => verdict(transaction('POST', '/auth/login', 429, { type: JSON_UTF8, body, headers }));
    expect(tooMany({ 'retry-after': '8' })).toEqual([]);
    expect(tooMany({})).not.toEqual([]);
    expect(tooMany({ 'retry-after': 'soon' })).not.toEqual([]);
    expect(tooMany({ 'retry-after': '0' })).not.toEqual([]);
  });

  it('fails a response with a status the transaction did not expect', () => {
    expect(verdict(transaction('GET', '/healthz', 200, { status: 501, type: JSON_UTF8, body: '{"statusCode":501,"error":"Not Implemented","message":"NOT_IMPLEMENTED"}' }))).not.toEqual([]);
  });
});
