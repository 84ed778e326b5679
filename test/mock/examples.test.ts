import { describe, expect, it } from 'vitest';
import { collectExamples, createAjv, deref, loadSpec } from '../../contract-tests/lib/spec.cjs';

/**
 * The Prism mock serves the spec's examples, so an example that breaks its own schema is a lie
 * told to every frontend team. Each example is checked against its schema with Ajv (OpenAPI 3.0
 * `nullable` honoured, formats checked).
 */
const raw = loadSpec();
const examples = collectExamples(raw);
const ajv = createAjv();

const problemsOf = (schema: object, value: unknown) => {
  const validate = ajv.compile(schema);
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message}`);
};

describe('examples in openapi.yaml', () => {
  it('finds every kind of example (media types, named examples, parameters, headers)', () => {
    expect(examples.length).toBeGreaterThan(50);
    expect(examples.some((e) => e.where.includes('/examples/twoFactorRequired'))).toBe(true);
    expect(examples.some((e) => e.where.startsWith('#/components/parameters/'))).toBe(true);
    expect(examples.some((e) => e.where.startsWith('#/components/headers/'))).toBe(true);
    expect(examples.some((e) => e.where.includes('/requestBody/'))).toBe(true);
  });

  it.each(examples.map((e) => [e.where, e] as const))('%s is valid against its schema', (_where, example) => {
    expect(problemsOf(example.schema, example.value)).toEqual([]);
  });

  it('the check can fail: a wrong type, a missing field, a non-null for JsonNull and a bad format are refused', () => {
    const resolve = (name: string) => deref(raw, { $ref: `#/components/schemas/${name}` });
    expect(problemsOf(resolve('WaitDuration'), { duration: '3' })).not.toEqual([]);
    expect(problemsOf(resolve('TokenSet'), { accessToken: 'a', refreshToken: 'b' })).not.toEqual([]);
    expect(problemsOf(resolve('JsonNull'), {})).not.toEqual([]);
    expect(problemsOf(resolve('JsonNull'), null)).toEqual([]);
    expect(problemsOf(resolve('UserIdResponse'), { userId: 'not-a-uuid' })).not.toEqual([]);
    expect(problemsOf(resolve('TwoFaStatus'), { enabled: true, emailOtp: null, totp: { completedAt: null }, webauthn: null, recoveryCodes: null })).toEqual([]);
  });
});
