import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { generateSigningKey } from '../../src/tokens/keys.js';

/** Everything production requires, valid. */
async function productionEnv(): Promise<Record<string, string>> {
  const key = () => randomBytes(32).toString('base64');
  return {
    NODE_ENV: 'production',
    SMTP_URL: 'smtp://127.0.0.1:25',
    PUBLIC_URL: 'https://auth.example.com',
    JWT_SIGNING_KEYS: JSON.stringify([await generateSigningKey()]),
    TOTP_ENCRYPTION_KEYS: `k1:${key()}`,
    CODE_HASH_KEY: key(),
  };
}

describe('configuration', () => {
  it('in production, a missing key stops the start and names it', async () => {
    await expect(loadConfig({ NODE_ENV: 'production', CODE_HASH_KEY: Buffer.alloc(32).toString('base64') })).rejects.toThrow(
      /missing required configuration in production: JWT_SIGNING_KEYS, TOTP_ENCRYPTION_KEYS, SMTP_URL, PUBLIC_URL/,
    );
  });

  it('in production, PUBLIC_URL is required (its fallback, http://localhost:$PORT, would be every JWT\'s iss)', async () => {
    const complete = await productionEnv();
    const { PUBLIC_URL: _omitted, ...withoutPublicUrl } = complete;
    await expect(loadConfig(withoutPublicUrl)).rejects.toThrow(/missing required configuration in production: PUBLIC_URL \(/);
    expect((await loadConfig(complete)).publicUrl).toBe('https://auth.example.com');
  });

  it('DATABASE_POOL_MAX sizes the pool: default 10, a bad value names the variable', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sg1-config-'));
    try {
      expect((await loadConfig({ DATA_DIR: dataDir })).databasePoolMax).toBe(10);
      expect((await loadConfig({ DATA_DIR: dataDir, DATABASE_POOL_MAX: '3' })).databasePoolMax).toBe(3);
      await expect(loadConfig({ DATA_DIR: dataDir, DATABASE_POOL_MAX: '0' })).rejects.toThrow(/DATABASE_POOL_MAX/);
      await expect(loadConfig({ DATA_DIR: dataDir, DATABASE_POOL_MAX: 'ten' })).rejects.toThrow(/DATABASE_POOL_MAX/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('rejects malformed values with a message naming the variable', async () => {
    await expect(loadConfig({ PORT: 'abc' })).rejects.toThrow(ConfigError);
    await expect(loadConfig({ PORT: 'abc' })).rejects.toThrow(/PORT/);
    await expect(loadConfig({ NODE_ENV: 'production', SMTP_URL: 'smtp://127.0.0.1:25', PUBLIC_URL: 'https://auth.example.com', JWT_SIGNING_KEYS: '[]', TOTP_ENCRYPTION_KEYS: 'k:abc', CODE_HASH_KEY: 'x' })).rejects.toThrow(
      /JWT_SIGNING_KEYS/,
    );
    await expect(loadConfig({ DATABASE_URL: 'mysql://x' })).rejects.toThrow(/DATABASE_URL/);
  });

  it('in development, generates missing keys once and keeps them', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sg1-config-'));
    try {
      const first = await loadConfig({ DATA_DIR: dataDir });
      const second = await loadConfig({ DATA_DIR: dataDir });
      expect(first.signingKeys[0]!.kid).toBeTruthy();
      expect(second.signingKeys).toEqual(first.signingKeys);
      expect(second.codeHashKey.equals(first.codeHashKey)).toBe(true);
      expect(second.totpEncryptionKeys[0]!.key.equals(first.totpEncryptionKeys[0]!.key)).toBe(true);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
