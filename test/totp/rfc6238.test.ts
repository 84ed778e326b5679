import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { currentTotpStep, generateTotpSecret, matchTotpStep, otpauthUrl, UnusableTotpSecretError } from '../../src/totp/otp.js';
import { createTestClock } from '../support/clock.js';
import { base32Decode, hotp, parseOtpauthUrl } from '../support/totp.js';

const vectors = JSON.parse(readFileSync(new URL('./vectors/rfc6238-sha1.json', import.meta.url), 'utf8'));
const { secretBase32, rows } = vectors.totp as { secretBase32: string; rows: { time: number; step: number; code: string }[] };
const clockAt = (seconds: number) => createTestClock(seconds * 1000);

describe('the service TOTP code path against RFC 6238 Appendix B (SHA1)', () => {
  it.each(rows)('at T=$time the 8-digit code $code matches step $step', async ({ time, step, code }) => {
    expect(currentTotpStep(clockAt(time))).toBe(step);
    expect(await matchTotpStep(secretBase32, code, clockAt(time), 8)).toBe(step);
  });

  it.each(rows)('at T=$time the 6-digit code (last six of $code) matches step $step', async ({ time, step, code }) => {
    expect(await matchTotpStep(secretBase32, code.slice(-6), clockAt(time))).toBe(step);
  });

  it.each(rows)('the code of T=$time is accepted one step either side and no further', async ({ step, code }) => {
    const six = code.slice(-6);
    const stepStart = step * 30;
    // Now in step+1: the code is from t-1, accepted; now in step+2: t-2, rejected (first and last second of each step).
    expect(await matchTotpStep(secretBase32, six, clockAt(stepStart + 30))).toBe(step);
    expect(await matchTotpStep(secretBase32, six, clockAt(stepStart + 59))).toBe(step);
    expect(await matchTotpStep(secretBase32, six, clockAt(stepStart + 60))).toBeUndefined();
    // Now in step-1: the code is from t+1, accepted; now in step-2: t+2, rejected.
    expect(await matchTotpStep(secretBase32, six, clockAt(stepStart - 1))).toBe(step);
    expect(await matchTotpStep(secretBase32, six, clockAt(stepStart - 30))).toBe(step);
    if (stepStart >= 31) expect(await matchTotpStep(secretBase32, six, clockAt(stepStart - 31))).toBeUndefined();
  });

  it('agrees with the RFC 4226 Appendix D HOTP values through the independent test implementation', () => {
    const key = Buffer.from(vectors.hotp.secretAscii);
    expect(base32Decode(secretBase32)).toEqual(key);
    expect(vectors.hotp.codes.map((_: string, i: number) => hotp(key, i))).toEqual(vectors.hotp.codes);
  });

  it('rejects codes of the wrong shape without evaluating them', async () => {
    expect(await matchTotpStep(secretBase32, '28708', clockAt(59))).toBeUndefined();
    expect(await matchTotpStep(secretBase32, '28708a', clockAt(59))).toBeUndefined();
    // With a secret no HOTP can be computed from, any evaluation throws: a wrong shape must come
    // back undefined without one, a right shape reaches it.
    const unusable = 'not base32!';
    for (const code of ['28708', '2870820', '28708a', ' 87082', '+87082', '８７０８２１']) {
      expect(await matchTotpStep(unusable, code, clockAt(59))).toBeUndefined();
    }
    await expect(matchTotpStep(unusable, '287082', clockAt(59))).rejects.toThrow(UnusableTotpSecretError);
  });
});

describe('secrets and the otpauth URL', () => {
  it('makes 160-bit secrets, different each time', () => {
    const a = generateTotpSecret();
    expect(a).toMatch(/^[A-Z2-7]{32}$/);
    expect(base32Decode(a)).toHaveLength(20);
    expect(generateTotpSecret()).not.toBe(a);
  });

  it('percent-encodes the issuer and the email in the label and the parameters', () => {
    const url = otpauthUrl('Smart Grid:One & Co', 'a+b@example.com', 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    expect(url).toBe(
      'otpauth://totp/Smart%20Grid%3AOne%20%26%20Co:a%2Bb%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ' +
        '&issuer=Smart%20Grid%3AOne%20%26%20Co&algorithm=SHA1&digits=6&period=30',
    );
    const parsed = parseOtpauthUrl(url);
    expect(parsed.issuerInLabel).toBe('Smart Grid:One & Co');
    expect(parsed.account).toBe('a+b@example.com');
    expect(parsed.params.get('issuer')).toBe('Smart Grid:One & Co');
  });
});
