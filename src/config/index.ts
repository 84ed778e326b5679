import { ConfigError, z, type TrustProxy } from './env-schema.js';
import { ADDRESS_LIMIT_DEFAULTS, addressLimitVariable, LIMITED_OPERATIONS, type AddressLimits } from '../address-limits/constants.js';
import type { EncryptionKey } from '../crypto/aead.js';
import { loadOrCreateDevKeys } from './dev-keys.js';
import { DEFAULT_WORKER_INTERVAL_MS } from '../mail/constants.js';
import { DEFAULT_SHUTDOWN_DRAIN_MS } from '../ops/lifecycle.js';
import { DEFAULT_SESSION_MAX_AGE } from '../sessions/constants.js';
import { DEFAULT_SECURITY_EVENT_RETENTION_DAYS } from '../security-events/constants.js';
import type { JWK } from 'jose';
import { availableParallelism } from 'node:os';

export type NodeEnv = 'production' | 'development' | 'test';

export interface Config {
  nodeEnv: NodeEnv;
  port: number;
  /** Unset: the service starts an embedded PostgreSQL under `dataDir`. */
  databaseUrl: string | undefined;
  /** Most connections the service opens to PostgreSQL (its knex pool). */
  databasePoolMax: number;
  /** The hottest statements as named prepared statements (off behind PgBouncer in transaction mode; src/db/prepared.ts). */
  databasePreparedStatements: boolean;
  /** Unset: mail is written to `<dataDir>/mail/*.eml` instead of sent. */
  smtpUrl: string | undefined;
  publicUrl: string;
  dataDir: string;
  logLevel: string;
  totpIssuer: string;
  /** Private JWKs (Ed25519, with kid); the first signs, all verify and are published. */
  signingKeys: JWK[];
  /** AES-256 keys for TOTP secrets; the first encrypts, all decrypt. */
  totpEncryptionKeys: EncryptionKey[];
  /** HMAC key for emailed codes and recovery codes. */
  codeHashKey: Buffer;
  /** Extra disposable-mail domains on top of the bundled list. */
  blockedMailDomains: string[];
  /** Mail configurations (brands) and their templates, one folder each. */
  templatesDir: string;
  /** How often the outbox worker looks for due mail (it is also woken right after a commit). */
  mailWorkerIntervalMs: number;
  /** Per-client-address budgets of the limited operations; an operation left out is not limited. */
  addressLimits: AddressLimits;
  /** Which peers may set the client address with X-Forwarded-For (Express's `trust proxy`). */
  trustProxy: TrustProxy;
  /** Bearer token GET /metrics requires; unset (development only): /metrics is open. */
  metricsToken: string | undefined;
  /** Password hashes that may run at once (src/crypto/hash-limiter.ts). */
  hashConcurrency: number;
  /** Hashing requests that may wait for a slot; past it, 503 SERVER_BUSY. */
  hashQueue: number;
  /** Browser origins allowed by CORS (and for the refresh cookie) besides the mail configurations' origins. */
  corsOrigins: string[];
  /** WebAuthn relying party ID (passkeys are bound to it): a domain, by default PUBLIC_URL's host. */
  webauthnRpId: string;
  /** The relying party name authenticators show next to a passkey. */
  webauthnRpName: string;
  /** After SIGTERM, how long /readyz answers 503 while requests are still served, before the listener closes. */
  shutdownDrainMs: number;
  /** A session's absolute lifetime (ms), beyond which its sliding refresh tokens stop: log in again. */
  sessionMaxAgeMs: number;
  /** How long security events are kept (days); the hourly sweep deletes older ones. */
  securityEventRetentionDays: number;
}

export { ConfigError, type TrustProxy };

/** `ADDRESS_LIMIT_<OPERATION>` for each limited operation, else its default. */
function loadAddressLimits(env: Env): AddressLimits {
  const limits: AddressLimits = {};
  for (const operation of LIMITED_OPERATIONS) {
    const name = addressLimitVariable(operation);
    const budget = env[name] ? z.addressLimit(name, env[name]) : ADDRESS_LIMIT_DEFAULTS[operation];
    if (budget) limits[operation] = budget;
  }
  return limits;
}

type Env = Record<string, string | undefined>;

/** Reads and checks the environment; in development generates missing keys under DATA_DIR. */
export async function loadConfig(env: Env = process.env): Promise<Config> {
  const nodeEnv = z.oneOf('NODE_ENV', env.NODE_ENV ?? 'development', ['production', 'development', 'test'] as const);
  const port = z.port('PORT', env.PORT ?? '3000');
  const dataDir = env.DATA_DIR ?? '.data';
  const missing = ['JWT_SIGNING_KEYS', 'TOTP_ENCRYPTION_KEYS', 'CODE_HASH_KEY'].filter((name) => !env[name]);
  // Production also needs a real mail server (without it codes would sit in .eml files on disk)
  // its public URL (the fallback http://localhost:$PORT would become every JWT's `iss`) and a
  // metrics token (metrics describe every user's traffic).
  const missingInProduction = [...missing, ...['SMTP_URL', 'PUBLIC_URL', 'METRICS_TOKEN'].filter((name) => !env[name])];
  if (missingInProduction.length && nodeEnv === 'production') {
    throw new ConfigError(`missing required configuration in production: ${missingInProduction.join(', ')} (see .env.example)`);
  }
  const devKeys = missing.length ? await loadOrCreateDevKeys(dataDir) : undefined;
  const hashing = hashLimits(env);
  const publicUrl = z.optionalUrl('PUBLIC_URL', env.PUBLIC_URL, ['http:', 'https:']) ?? `http://localhost:${port}`;
  return {
    nodeEnv,
    port,
    databaseUrl: z.optionalUrl('DATABASE_URL', env.DATABASE_URL, ['postgres:', 'postgresql:']),
    databasePoolMax: z.int('DATABASE_POOL_MAX', env.DATABASE_POOL_MAX ?? '10', 1, 1000),
    databasePreparedStatements: z.oneOf('DATABASE_PREPARED_STATEMENTS', env.DATABASE_PREPARED_STATEMENTS ?? 'true', ['true', 'false']) === 'true',
    smtpUrl: z.optionalUrl('SMTP_URL', env.SMTP_URL, ['smtp:', 'smtps:']),
    publicUrl,
    dataDir,
    logLevel: env.LOG_LEVEL ?? (nodeEnv === 'test' ? 'silent' : 'info'),
    totpIssuer: env.TOTP_ISSUER ?? 'SmartgridOne',
    signingKeys: env.JWT_SIGNING_KEYS ? z.signingKeys('JWT_SIGNING_KEYS', env.JWT_SIGNING_KEYS) : devKeys!.signingKeys,
    totpEncryptionKeys: env.TOTP_ENCRYPTION_KEYS
      ? z.encryptionKeys('TOTP_ENCRYPTION_KEYS', env.TOTP_ENCRYPTION_KEYS)
      : devKeys!.totpEncryptionKeys,
    codeHashKey: env.CODE_HASH_KEY ? z.key32('CODE_HASH_KEY', env.CODE_HASH_KEY) : devKeys!.codeHashKey,
    blockedMailDomains: (env.BLOCKED_MAIL_DOMAINS ?? '').split(',').map((d) => d.trim().toLowerCase()).filter(Boolean),
    templatesDir: env.TEMPLATES_DIR || 'templates',
    mailWorkerIntervalMs: z.int('MAIL_WORKER_INTERVAL_MS', env.MAIL_WORKER_INTERVAL_MS ?? String(DEFAULT_WORKER_INTERVAL_MS), 100, 3_600_000),
    addressLimits: loadAddressLimits(env),
    trustProxy: z.trustProxy('TRUST_PROXY', env.TRUST_PROXY),
    metricsToken: env.METRICS_TOKEN ? z.secretToken('METRICS_TOKEN', env.METRICS_TOKEN) : undefined,
    ...hashing,
    corsOrigins: z.origins('CORS_ORIGINS', env.CORS_ORIGINS),
    webauthnRpId: env.WEBAUTHN_RP_ID ? z.rpId('WEBAUTHN_RP_ID', env.WEBAUTHN_RP_ID) : new URL(publicUrl).hostname,
    webauthnRpName: env.WEBAUTHN_RP_NAME?.trim() || 'SmartgridOne',
    shutdownDrainMs: z.int('SHUTDOWN_DRAIN_MS', env.SHUTDOWN_DRAIN_MS ?? String(DEFAULT_SHUTDOWN_DRAIN_MS), 0, 600_000),
    sessionMaxAgeMs: z.duration('SESSION_MAX_AGE', env.SESSION_MAX_AGE ?? DEFAULT_SESSION_MAX_AGE, 60, 10 * 366 * 86_400),
    securityEventRetentionDays: z.int('SECURITY_EVENT_RETENTION_DAYS', env.SECURITY_EVENT_RETENTION_DAYS ?? String(DEFAULT_SECURITY_EVENT_RETENTION_DAYS), 1, 36_600),
  };
}

/**
 * Hashes run on threads of their own at a lower CPU priority (src/crypto/hash-threads.ts), one per
 * allowed hash. Default: one per core: the hashes may fill every core, since the scheduler hands
 * the event loop and PostgreSQL the CPU first.
 * The queue defaults to 4 per slot: it drains in about four hash times (≈ 60–160 ms), short enough
 * that a flood is shed instead of piling up latency, long enough that a burst of real logins
 * (everyone at 9:00) waits a little instead of getting 503s.
 */
function hashLimits(env: Env): { hashConcurrency: number; hashQueue: number } {
  const hashConcurrency = z.int('HASH_CONCURRENCY', env.HASH_CONCURRENCY ?? String(availableParallelism()), 1, 1024);
  const hashQueue = z.int('HASH_QUEUE', env.HASH_QUEUE ?? String(4 * hashConcurrency), 0, 100_000);
  return { hashConcurrency, hashQueue };
}
