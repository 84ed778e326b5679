import { randomBytes } from 'node:crypto';
import { generateSigningKey } from '../tokens/keys.js';

/**
 * A fresh set of the secrets production requires (besides SMTP_URL and PUBLIC_URL), as
 * environment values: what `npm run keys:generate` prints, and what every production start of
 * the tests and benchmarks uses, so a new required secret is added in one place.
 */
export async function generateProductionSecrets(keyId = 'k1') {
  return {
    JWT_SIGNING_KEYS: JSON.stringify([await generateSigningKey()]),
    TOTP_ENCRYPTION_KEYS: `${keyId}:${randomBytes(32).toString('base64')}`,
    CODE_HASH_KEY: randomBytes(32).toString('base64'),
    METRICS_TOKEN: randomBytes(32).toString('base64url'),
  };
}
