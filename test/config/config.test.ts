import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ADDRESS_LIMIT_DEFAULTS } from '../../src/address-limits/constants.js';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { generateSigningKey } from '../../src/tokens/keys.js';

/** Everything production requires, valid. */
async function productionEnv(): Promise<Record<string, string>> {
  const key = () => randomBytes(32).toString('base64');
  return {
    NODE_ENV: 'production',
    SMTP_URL: 'smtp://127.0.0.1:25',
    PUBLIC_URL: 'https://auth.example.com',
    METRICS_TOKEN: 'm'.repeat(32),
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

  it('DATABASE_POOL_MAX sizes the pool: default 10, a bad value names the variable; DATABASE_PREPARED_STATEMENTS', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sg1-config-'));
    try {
      expect((await loadConfig({ DATA_DIR: dataDir })).databasePoolMax).toBe(10);
      expect((await loadConfig({ DATA_DIR: dataDir, DATABASE_POOL_MAX: '3' })).databasePoolMax).toBe(3);
      await expect(loadConfig({ DATA_DIR: dataDir, DATABASE_POOL_MAX: '0' })).rejects.toThrow(/DATABASE_POOL_MAX/);
      await expect(loadConfig({ DATA_DIR: dataDir, DATABASE_POOL_MAX: 'ten' })).rejects.toThrow(/DATABASE_POOL_MAX/);
      // Prepared statements: on unless turned off (PgBouncer in transaction mode).
      expect((await loadConfig({ DATA_DIR: dataDir })).databasePreparedStatements).toBe(true);
      expect((await loadConfig({ DATA_DIR: dataDir, DATABASE_PREPARED_STATEMENTS: 'false' })).databasePreparedStatements).toBe(false);
      await expect(loadConfig({ DATA_DIR: dataDir, DATABASE_PREPARED_STATEMENTS: 'no' })).rejects.toThrow(/DATABASE_PREPARED_STATEMENTS/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('SHUTDOWN_DRAIN_MS: default 5000, 0 allowed (no drain), a bad value names the variable', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sg1-config-'));
    try {
      expect((await loadConfig({ DATA_DIR: dataDir })).shutdownDrainMs).toBe(5000);
      expect((await loadConfig({ DATA_DIR: dataDir, SHUTDOWN_DRAIN_MS: '0' })).shutdownDrainMs).toBe(0);
      await expect(loadConfig({ DATA_DIR: dataDir, SHUTDOWN_DRAIN_MS: '-1' })).rejects.toThrow(/SHUTDOWN_DRAIN_MS/);
      await expect(loadConfig({ DATA_DIR: dataDir, SHUTDOWN_DRAIN_MS: '5s' })).rejects.toThrow(/SHUTDOWN_DRAIN_MS/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('rejects malformed values with a message naming the variable', async () => {
    await expect(loadConfig({ PORT: 'abc' })).rejects.toThrow(ConfigError);
    await expect(loadConfig({ PORT: 'abc' })).rejects.toThrow(/PORT/);
    await expect(loadConfig({ NODE_ENV: 'production', SMTP_URL: 'smtp://127.0.0.1:25', PUBLIC_URL: 'https://auth.example.com', METRICS_TOKEN: 'm'.repeat(32), JWT_SIGNING_KEYS: '[]', TOTP_ENCRYPTION_KEYS: 'k:abc', CODE_HASH_KEY: 'x' })).rejects.toThrow(
      /JWT_SIGNING_KEYS/,
    );
    await expect(loadConfig({ DATABASE_URL: 'mysql://x' })).rejects.toThrow(/DATABASE_URL/);
  });

  it('per-address limits: defaults, `<requests>/<seconds>` overrides, `off`, and a bad value names its variable', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sg1-config-'));
    try {
      const defaults = await loadConfig({ DATA_DIR: dataDir });
      expect(defaults.addressLimits).toEqual(ADDRESS_LIMIT_DEFAULTS);
      expect(defaults.trustProxy).toBe(false);
      const tuned = await loadConfig({ DATA_DIR: dataDir, ADDRESS_LIMIT_LOGIN: '100/60', ADDRESS_LIMIT_SEND_PASSWORD_RESET: 'off', ADDRESS_LIMIT_UPDATE_PASSWORD_VIA_OTP: ' 5 / 30 ' });
      expect(tuned.addressLimits.login).toEqual({ limit: 100, periodSeconds: 60 });
      expect(tuned.addressLimits.updatePasswordViaOtp).toEqual({ limit: 5, periodSeconds: 30 });
      expect(tuned.addressLimits).not.toHaveProperty('sendPasswordReset');
      expect(tuned.addressLimits.postForgotPassword).toEqual(ADDRESS_LIMIT_DEFAULTS.postForgotPassword);
      for (const bad of ['100', '0/60', '10/0', '10/86401', 'ten/60', '-1/60']) {
        await expect(loadConfig({ DATA_DIR: dataDir, ADDRESS_LIMIT_VALIDATE_PASSWORD_RESET: bad })).rejects.toThrow(/^ADDRESS_LIMIT_VALIDATE_PASSWORD_RESET must be/);
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('TRUST_PROXY takes Express\'s forms (a hop count, addresses, CIDRs, names) and refuses `true` and nonsense', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sg1-config-'));
    try {
      const load = (TRUST_PROXY: string) => loadConfig({ DATA_DIR: dataDir, TRUST_PROXY });
      expect((await load('loopback, 10.0.0.0/8, 2001:db8::1')).trustProxy).toEqual(['loopback', '10.0.0.0/8', '2001:db8::1']);
      expect((await load('2')).trustProxy).toBe(2);
      expect((await load('0')).trustProxy).toBe(false);
      expect((await load('false')).trustProxy).toBe(false);
      await expect(load('true')).rejects.toThrow(/^TRUST_PROXY=true would let any client choose its address/);
      await expect(load('loopback, not-an-address')).rejects.toThrow(/^TRUST_PROXY must be/);
      await expect(load('10.0.0.0/99')).rejects.toThrow(/^TRUST_PROXY must be/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('production refuses to start without METRICS_TOKEN; a short or spaced one is refused anywhere, by name', async () => {
    await expect(loadConfig({ NODE_ENV: 'production', SMTP_URL: 'smtp://127.0.0.1:25', CODE_HASH_KEY: Buffer.alloc(32).toString('base64') })).rejects.toThrow(
      /missing required configuration in production: .*METRICS_TOKEN/,
    );
    const dataDir = await mkdtemp(join(tmpdir(), 'sg1-config-'));
    try {
      for (const token of ['too-short', `${'x'.repeat(32)} y`]) {
        await expect(loadConfig({ METRICS_TOKEN: token, DATA_DIR: dataDir })).rejects.toThrow(/METRICS_TOKEN must be at least 32 printable characters/);
      }
      expect((await loadConfig({ METRICS_TOKEN: 'm'.repeat(32), DATA_DIR: dataDir })).metricsToken).toBe('m'.repeat(32));
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('WEBAUTHN_RP_ID defaults to the host of PUBLIC_URL; a value with a scheme, port or path names the variable', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sg1-config-'));
    try {
      const defaults = await loadConfig({ DATA_DIR: dataDir, PUBLIC_URL: 'https://auth.smartgridone.com:8443/base' });
      expect(defaults.webauthnRpId).toBe('auth.smartgridone.com');
      expect(defaults.webauthnRpName).toBe('SmartgridOne');
      expect((await loadConfig({ DATA_DIR: dataDir, PORT: '3001' })).webauthnRpId).toBe('localhost');
      const set = await loadConfig({ DATA_DIR: dataDir, WEBAUTHN_RP_ID: 'SmartgridOne.com', WEBAUTHN_RP_NAME: 'GridWise' });
      expect([set.webauthnRpId, set.webauthnRpName]).toEqual(['smartgridone.com', 'GridWise']);
      for (const bad of ['https://smartgridone.com', 'smartgridone.com:443', 'smartgridone.com/x', '-bad.com', 'a..b']) {
        await expect(loadConfig({ DATA_DIR: dataDir, WEBAUTHN_RP_ID: bad })).rejects.toThrow(/^WEBAUTHN_RP_ID must be a domain/);
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('SESSION_MAX_AGE takes seconds or s/m/h/d (default 90 days); SECURITY_EVENT_RETENTION_DAYS days (default 400); bad values are refused by name', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sg1-config-'));
    try {
      const defaults = await loadConfig({ DATA_DIR: dataDir });
      expect([defaults.sessionMaxAgeMs, defaults.securityEventRetentionDays]).toEqual([90 * 86_400_000, 400]);
      expect((await loadConfig({ DATA_DIR: dataDir, SESSION_MAX_AGE: '12h' })).sessionMaxAgeMs).toBe(12 * 3_600_000);
      expect((await loadConfig({ DATA_DIR: dataDir, SESSION_MAX_AGE: '3600' })).sessionMaxAgeMs).toBe(3_600_000);
      for (const value of ['90 days', '-1d', '10s', '1.5d', '']) {
        await expect(loadConfig({ DATA_DIR: dataDir, SESSION_MAX_AGE: value })).rejects.toThrow(/^SESSION_MAX_AGE must be a duration/);
      }
      expect((await loadConfig({ DATA_DIR: dataDir, SECURITY_EVENT_RETENTION_DAYS: '30' })).securityEventRetentionDays).toBe(30);
      await expect(loadConfig({ DATA_DIR: dataDir, SECURITY_EVENT_RETENTION_DAYS: '0' })).rejects.toThrow(/^SECURITY_EVENT_RETENTION_DAYS must be a whole number/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
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
