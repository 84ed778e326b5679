import { randomBytes } from 'node:crypto';
import type { Config } from '../../src/config/index.js';
import { generateSigningKey } from '../../src/tokens/keys.js';
import { DEFAULT_SESSION_MAX_AGE_MS } from '../../src/sessions/constants.js';

/** A complete test configuration with fresh keys; override what a test needs. */
export async function testConfig(overrides: Partial<Config> = {}): Promise<Config> {
  return {
    nodeEnv: 'test',
    port: 0,
    databaseUrl: undefined,
    databasePoolMax: 10,
    databasePreparedStatements: true,
    smtpUrl: undefined,
    publicUrl: 'http://auth.test',
    dataDir: '.data/test',
    logLevel: process.env.TEST_LOG_LEVEL ?? 'silent',
    totpIssuer: 'SmartgridOne',
    signingKeys: [await generateSigningKey()],
    totpEncryptionKeys: [{ id: 'k1', key: randomBytes(32) }],
    codeHashKey: randomBytes(32),
    blockedMailDomains: [],
    templatesDir: 'templates',
    mailWorkerIntervalMs: 5000,
    // Off: the suite sends many requests from 127.0.0.1 on a clock that stands still; the
    // address-limit tests set their own budgets.
    addressLimits: {},
    trustProxy: false,
    metricsToken: undefined,
    hashConcurrency: 2,
    hashQueue: 8,
    corsOrigins: [],
    // PUBLIC_URL's host, as loadConfig derives it.
    webauthnRpId: new URL(overrides.publicUrl ?? 'http://auth.test').hostname,
    webauthnRpName: 'SmartgridOne',
    shutdownDrainMs: 0,
    sessionMaxAgeMs: DEFAULT_SESSION_MAX_AGE_MS,
    securityEventRetentionDays: 400,
    ...overrides,
  };
}
