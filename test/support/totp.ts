import { createHmac } from 'node:crypto';

/**
 * An independent TOTP (RFC 6238 over RFC 4226 HOTP, HMAC-SHA1) written with node:crypto only,
 * so the tests do not check the service's TOTP code (otplib) against itself.
 */

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Decode(text: string): Buffer {
  const clean = text.replace(/=+$/, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const char of clean) {
    const index = BASE32_ALPHABET.indexOf(char);
    if (index < 0) throw new Error(`not base32: ${char}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** RFC 4226 §5.3: HMAC-SHA1 over the 8-byte big-endian counter, dynamic truncation, mod 10^digits. */
export function hotp(key: Buffer, counter: number, digits = 6): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', key).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

export interface OtpauthUrl {
  issuerInLabel: string;
  account: string;
  secret: string;
  params: URLSearchParams;
}

/** Parses `otpauth://totp/<issuer>:<account>?…` the way an authenticator app does. */
export function parseOtpauthUrl(url: string): OtpauthUrl {
  const match = /^otpauth:\/\/totp\/([^?]*)\?(.*)$/.exec(url);
  if (!match) throw new Error(`not a TOTP otpauth URL: ${url}`);
  const [issuerInLabel, account] = match[1]!.split(':').map(decodeURIComponent) as [string, string];
  const params = new URLSearchParams(match[2]);
  return { issuerInLabel, account, secret: params.get('secret')!, params };
}

/** The 30 s step at `timeMs`. */
export const stepAt = (timeMs: number) => Math.floor(timeMs / 1000 / 30);

/** The 6-digit code of the secret in `url` for the step `offset` steps away from `timeMs`. */
export function totpCode(url: string, timeMs: number, offset = 0): string {
  return hotp(base32Decode(parseOtpauthUrl(url).secret), stepAt(timeMs) + offset);
}
