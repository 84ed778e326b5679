import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ADDRESS_LIMIT_DEFAULTS } from '../../src/address-limits/constants.js';
import { ConfigError, loadConfig } from '../../src/config/index.js';

describe('configuration', () => {
  it('in production, a missing key stops the start and names it', async () => {
    await expect(loadConfig({ NODE_ENV: 'production', CODE_HASH_KEY: Buffer.alloc(32).toString('base64') })).rejects.toThrow(
      /missing required configuration in production: JWT_SIGNING_KEYS, TOTP_ENCRYPTION_KEYS, SMTP_URL/,
    );
  });

  it('rejects malformed values with a message naming the variable', async () => {
    await expect(loadConfig({ PORT: 'abc' })).rejects.toThrow(ConfigError);
    await expect(loadConfig({ PORT: 'abc' })).rejects.toThrow(/PORT/);
    await expect(loadConfig({ NODE_ENV: 'production', SMTP_URL: 'smtp://127.0.0.1:25', JWT_SIGNING_KEYS: '[]', TOTP_ENCRYPTION_KEYS: 'k:abc', CODE_HASH_KEY: 'x' })).rejects.toThrow(
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
