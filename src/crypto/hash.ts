import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** HMAC-SHA256 over the parts, NUL-separated so ("ab","c") and ("a","bc") differ. */
export function hmacSha256(key: Buffer, ...parts: (string | Buffer)[]): Buffer {
  const mac = createHmac('sha256', key);
  parts.forEach((part, i) => {
    if (i > 0) mac.update('\0');
    mac.update(part);
  });
  return mac.digest();
}

/** Constant-time equality for secrets of any length (lengths are not secret here). */
export function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
