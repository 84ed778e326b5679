import { randomBytes } from 'node:crypto';
import { generateSigningKey } from '../src/tokens/keys.js';

/** npm run keys:generate: prints fresh production keys as environment lines (keep them secret). */
const signingKey = await generateSigningKey();
const keyId = `k${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`;
console.log(`JWT_SIGNING_KEYS='${JSON.stringify([signingKey])}'`);
console.log(`TOTP_ENCRYPTION_KEYS=${keyId}:${randomBytes(32).toString('base64')}`);
console.log(`CODE_HASH_KEY=${randomBytes(32).toString('base64')}`);
console.log(`METRICS_TOKEN=${randomBytes(32).toString('base64url')}`);
