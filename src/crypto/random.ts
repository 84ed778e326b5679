import { randomBytes, randomInt } from 'node:crypto';

/** 256-bit opaque token, URL-safe. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** A code of `length` decimal digits from the CSPRNG (leading zeros kept). */
export function numericCode(length = 6): string {
  let code = '';
  for (let i = 0; i < length; i++) code += randomInt(10).toString();
  return code;
}

/** Crockford-like alphabet without the look-alikes 0/O, 1/I/L. */
export const UNAMBIGUOUS_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

export function unambiguousCode(length: number): string {
  let code = '';
  for (let i = 0; i < length; i++) code += UNAMBIGUOUS_ALPHABET[randomInt(UNAMBIGUOUS_ALPHABET.length)];
  return code;
}
