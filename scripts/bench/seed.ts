import { createHmac } from 'node:crypto';
import { ScureBase32Plugin } from 'otplib';
import type { Config } from '../../src/config/index.js';
import { encryptSecret } from '../../src/crypto/aead.js';
import { hashPassword } from '../../src/crypto/password.js';
import type { Db } from '../../src/db/knex.js';
import { systemClock } from '../../src/deps.js';
import { signJwt } from '../../src/tokens/jwt.js';
import type { TokenKeys } from '../../src/tokens/keys.js';
import { generateTotpSecret } from '../../src/totp/otp.js';
import { TOTP_PERIOD_S } from '../../src/totp/constants.js';
import { createLogger } from '../../src/log.js';
import { createMailDeps } from '../../src/mail/index.js';
import { startSession } from '../../src/sessions/service.js';

/**
 * An access token of a live session of `user`, made by the service's own session and signing code
 * (a token without a live session is refused, as a client's would be).
 */
export async function sessionAccessToken(db: Db, config: Config, keys: TokenKeys, user: SeededUser): Promise<string> {
  const caller = { userId: user.id, passwordChangedAt: user.passwordChangedAt };
  const deps = { clock: systemClock, config, mail: createMailDeps(config), log: createLogger('silent') };
  const { sessionId } = await startSession(db, deps, caller, 'password');
  return signJwt(keys, systemClock, { ...caller, kind: 'access', sessionId });
}

export const BENCH_PASSWORD = 'Bench-Pass-2026';
const CHUNK = 1000;

export interface SeededUser {
  id: string;
  email: string;
  passwordChangedAt: number;
}

export interface TotpUser extends SeededUser {
  secret: Buffer;
  partialToken: string;
}

/** Plain accounts, all with one argon2id hash of BENCH_PASSWORD (one hash made, not thousands), inserted in bulk. */
export async function seedUsers(db: Db, label: string, count: number, passwordHash: string): Promise<SeededUser[]> {
  const now = new Date();
  const users: SeededUser[] = [];
  for (let start = 0; start < count; start += CHUNK) {
    const rows = Array.from({ length: Math.min(CHUNK, count - start) }, (_, i) => ({
      email: `bench-${label}-${start + i}@example.com`,
      password_hash: passwordHash,
      password_changed_at: now,
      created_at: now,
    }));
    const inserted = await db('users').insert(rows).returning(['id', 'email', 'password_changed_at']);
    for (const row of inserted) users.push({ id: row.id, email: row.email, passwordChangedAt: row.password_changed_at.getTime() });
  }
  return users;
}

export const sharedPasswordHash = () => hashPassword(BENCH_PASSWORD);

const base32 = new ScureBase32Plugin();

/**
 * Accounts with TOTP enabled: each secret sealed for its owner by the service's own code
 * (encryptSecret with the owner as associated data), rows inserted in bulk, and a partial token
 * per account signed with the service's own signing code and keys (a login's first step).
 */
export async function seedTotpUsers(db: Db, config: Config, keys: TokenKeys, count: number, passwordHash: string): Promise<TotpUser[]> {
  const users = await seedUsers(db, 'totp', count, passwordHash);
  const now = new Date();
  const withSecrets = users.map((user) => ({ user, secret: generateTotpSecret() }));
  for (let start = 0; start < withSecrets.length; start += CHUNK) {
    const rows = withSecrets.slice(start, start + CHUNK).map(({ user, secret }) => ({
      user_id: user.id,
      secret_enc: encryptSecret(config.totpEncryptionKeys, secret, `totp_factors:${user.id}`),
      completed_at: now,
    }));
    await db('totp_factors').insert(rows);
  }
  const result: TotpUser[] = [];
  for (let start = 0; start < withSecrets.length; start += CHUNK) {
    const chunk = withSecrets.slice(start, start + CHUNK);
    const tokens = await Promise.all(
      chunk.map(({ user }) => signJwt(keys, systemClock, { userId: user.id, kind: 'partial', passwordChangedAt: user.passwordChangedAt })),
    );
    chunk.forEach(({ user, secret }, i) => result.push({ ...user, secret: Buffer.from(base32.decode(secret)), partialToken: tokens[i]! }));
  }
  return result;
}

/** RFC 6238 code (SHA-1, 6 digits, 30 s) of `secret` for time step `step`, as an authenticator app computes it. */
export function totpCodeAt(secret: Buffer, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', secret).update(counter).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(value).padStart(6, '0');
}

export const currentStep = () => Math.floor(Date.now() / 1000 / TOTP_PERIOD_S);

/**
 * Hands out (account, step) pairs the service has not accepted yet: each account goes through
 * the steps now and now+1 (both still inside the ±1 window if the step turns while the request
 * travels), in increasing order, never one twice.
 * Undefined when every account has used its window (seed more with BENCH_TOTP_USERS).
 */
export function totpCodeSupply(users: TotpUser[]) {
  const lastStep = new Map<string, number>();
  let next = 0;
  return (): { user: TotpUser; code: string } | undefined => {
    for (let tried = 0; tried < users.length; tried++) {
      const user = users[next++ % users.length]!;
      const now = currentStep();
      const step = Math.max(now, (lastStep.get(user.id) ?? -Infinity) + 1);
      if (step > now + 1) continue;
      lastStep.set(user.id, step);
      return { user, code: totpCodeAt(user.secret, step) };
    }
    return undefined;
  };
}
