import type { Deps } from '../deps.js';
import { hmacSha256 } from '../crypto/hash.js';
import { randomToken } from '../crypto/random.js';

/**
 * The long reset secret. Every reset mail carries one in its link (`otp=<secret>`), beside the
 * 6-digit code. Guessing 256 random bits is hopeless, so unlike the code it is neither burned by
 * wrong tries nor held back by the daily cap of wrong codes: whatever anyone else sends or
 * guesses, the owner's newest mail still works. Each mail's secret is its own row, so a later
 * mail (which anyone can trigger) does not void it either. Valid 10 minutes, single use, bound to
 * the address it was mailed to; a password change voids them all.
 */
export const RESET_SECRET_FORM = /^[A-Za-z0-9_-]{43}$/;

/** 256 bits from the CSPRNG, base64url (43 characters). */
export function newResetSecret(): string {
  return randomToken();
}

/** `otp` in the long form (else it is a 6-digit code; the spec allows nothing else). */
export function isResetSecret(otp: string): boolean {
  return RESET_SECRET_FORM.test(otp);
}

/** Keyed hash, like the codes: a database dump alone does not open an account. */
export function hashResetSecret(deps: Pick<Deps, 'config'>, userId: string, secret: string): Buffer {
  return hmacSha256(deps.config.codeHashKey, 'password-reset-secret', userId, secret);
}
