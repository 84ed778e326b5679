import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { addressLimitKey } from '../../src/address-limits/client-address.js';
import pg from 'pg';
import { loadConfig } from '../../src/config/index.js';
import { createDb, type Db } from '../../src/db/knex.js';
import { systemClock } from '../../src/deps.js';
import type { JwtKind } from '../../src/tokens/constants.js';
import { signJwt } from '../../src/tokens/jwt.js';
import { loadTokenKeys, type TokenKeys } from '../../src/tokens/keys.js';
import { findUserById } from '../../src/users/queries.js';
import { startSession } from '../../src/sessions/service.js';
import { createMailDeps } from '../../src/mail/index.js';
import { createLogger } from '../../src/log.js';
import { createUser } from '../../src/users/service.js';
import { wrongCode } from '../../test/support/codes.js';
import { codeFrom, recipientsOf } from '../../test/support/smtp.js';
import { totpCode } from '../../test/support/totp.js';
import { SoftAuthenticator } from '../../test/support/webauthn.js';

/**
 * What the Dredd hooks build their requests from: users created directly in the service's
 * database, tokens obtained through HTTP as a client would, mails read from the files the service
 * writes without SMTP_URL (`<DATA_DIR>/mail/*.eml`). Loaded by kit.cjs with tsx; configured by
 * the runner (run.ts) through CONTRACT_BASE_URL, CONTRACT_DATABASE_URL and CONTRACT_DATA_DIR.
 */
export interface User {
  id: string;
  email: string;
  password: string;
}

export interface Session {
  user: User;
  refreshToken: string;
  accessToken: string;
}

export interface TokenSet {
  accessToken: string;
  refreshToken: string;
  sudoToken: string;
}

/** A user with TOTP enabled, and the tokens of the login that enabled it. */
export interface TotpUser extends Session {
  otpauthUrl: string;
  recoveryCodes: string[];
}

/** A user with email OTP set up (and, if asked, enabled) at their own address. */
export interface EmailOtpUser extends Session {
  recoveryCodes: string[];
}

/** A user whose only 2FA method is one passkey held by a software authenticator. */
export interface PasskeyUser extends Session {
  authenticator: SoftAuthenticator;
  recoveryCodes: string[];
}

export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
  json: <T = any>() => T;
}

const PASSWORD = 'Correct-Horse-9';

export async function createFixtures(env: NodeJS.ProcessEnv = process.env) {
  const baseUrl = required(env, 'CONTRACT_BASE_URL');
  const runId = randomBytes(4).toString('hex');
  let seq = 0;
  let db: Db | undefined;
  const database = () => (db ??= createDb(required(env, 'CONTRACT_DATABASE_URL'), 2));
  const seenMails = new Set<string>();
  let keys: TokenKeys | undefined;

  /** A client on the server's maintenance database (never the service's own, which it switches off). */
  async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
    const url = new URL(required(env, 'CONTRACT_DATABASE_URL'));
    url.pathname = '/postgres';
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  }
  const serviceDatabase = () => new URL(required(env, 'CONTRACT_DATABASE_URL')).pathname.slice(1);

  async function http(method: string, path: string, options: { token?: string; body?: unknown } = {}): Promise<HttpResult> {
    const headers: Record<string, string> = {};
    if (options.token) headers.Authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(baseUrl + path, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) };
  }

  /** `http`, insisting on the status: a fixture that silently fails makes a confusing Dredd failure. */
  async function expectStatus(status: number, method: string, path: string, options: { token?: string; body?: unknown } = {}) {
    const result = await http(method, path, options);
    if (result.status !== status) throw new Error(`fixture: ${method} ${path} answered ${result.status}, expected ${status}: ${result.text}`);
    return result;
  }

  const fx = {
    baseUrl,
    http,
    expectStatus,
    db: database,

    /** An address no account uses yet. */
    email(): string {
      return `contract-${runId}-${++seq}@example.com`;
    },

    /** A fresh account (no 2FA), created directly in the database like `npm run user:create`. */
    async user(options: { password?: string; email?: string } = {}): Promise<User> {
      const email = options.email ?? fx.email();
      const password = options.password ?? PASSWORD;
      const row = await createUser(database(), systemClock, email, password);
      return { id: row.id, email: row.email, password };
    },

    /** A refresh token for `user` (who must not have 2FA on). */
    async login(user: User): Promise<string> {
      return (await expectStatus(200, 'POST', '/auth/login', { body: { username: user.email, password: user.password } })).text;
    },

    async accessToken(refreshToken: string): Promise<string> {
      return (await expectStatus(200, 'GET', '/auth/accesstoken', { token: refreshToken })).text;
    },

    /** A new user, logged in: a refresh and an access token. */
    async session(user?: User): Promise<Session> {
      const u = user ?? (await fx.user());
      const refreshToken = await fx.login(u);
      return { user: u, refreshToken, accessToken: await fx.accessToken(refreshToken) };
    },

    /** The partial token and methods of a login that answers 401 2FA_REQUIRED. */
    async partialLogin(user: User): Promise<{ partialToken: string; methods: string[] }> {
      return (await expectStatus(401, 'POST', '/auth/login', { body: { username: user.email, password: user.password } })).json();
    },

    /** Puts the account's guess counter for `factor` deep into backoff: the next guess gets 429. */
    async blockGuesses(userId: string, factor: 'password' | 'totp' | 'webauthn' | 'recovery_code'): Promise<void> {
      await database()('guess_counters')
        .insert({ user_id: userId, factor, failures: 10, last_failure_at: new Date() })
        .onConflict(['user_id', 'factor'])
        .merge(['failures', 'last_failure_at']);
    },

    /**
     * Uses up the per-address budget of `operation` for the Dredd client (127.0.0.1, which the
     * service also counts when it sees ::ffff:127.0.0.1): its next request there gets 429
     * TOO_MANY_REQUESTS. Pair with releaseAddressLimit in `t.after`.
     */
    async exhaustAddressLimit(operation: string): Promise<void> {
      await database()('address_limits')
        .insert({ operation, address: addressLimitKey('127.0.0.1'), tat: new Date(Date.now() + 86_400_000), allowed: false })
        .onConflict(['operation', 'address'])
        .merge();
    },

    /**
     * Gives the Dredd client its whole budget of `operation` back. (The service also remembers a
     * refusal until its Retry-After; with the run's budgets of 1,000,000 a minute that is 60 µs.)
     */
    async releaseAddressLimit(operation: string): Promise<void> {
      await database()('address_limits').where({ operation, address: addressLimitKey('127.0.0.1') }).delete();
    },

    /**
     * A JWT of any kind for `user`, signed with the service's own development key (the service
     * runs without JWT_SIGNING_KEYS, so its keys are in CONTRACT_DATA_DIR/dev-keys.json).
     */
    async jwt(user: User, kind: JwtKind): Promise<string> {
      const config = await loadConfig({ DATA_DIR: required(env, 'CONTRACT_DATA_DIR'), PORT: new URL(baseUrl).port, PUBLIC_URL: env.PUBLIC_URL });
      if (!keys) keys = await loadTokenKeys(config.signingKeys, config.publicUrl);
      const row = await findUserById(database(), user.id);
      const caller = { userId: user.id, passwordChangedAt: row!.passwordChangedAt.getTime() };
      // An access or sudo token belongs to a session: a new one, made here like a login would.
      const sessionId = kind === 'partial' ? undefined : (await startSession(database(), { clock: systemClock, config, mail: createMailDeps(config), log: createLogger('silent') }, caller, 'password')).sessionId;
      return signJwt(keys, systemClock, { ...caller, kind, sessionId });
    },

    /**
     * The service's database goes away: no new sessions (ALLOW_CONNECTIONS false) and every open
     * one terminated, the service's pooled connections included. Returns the undo.
     */
    async takeDatabaseAway(): Promise<() => Promise<void>> {
      const name = serviceDatabase();
      await admin(async (client) => {
        await client.query(`alter database "${name}" allow_connections false`);
        await client.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name]);
      });
      return () => admin(async (client) => void (await client.query(`alter database "${name}" allow_connections true`)));
    },

    /** The 6-digit TOTP code for the secret in an otpauth:// URL, `offset` steps from now. */
    totp(otpauthUrl: string, offset = 0): string {
      return totpCode(otpauthUrl, Date.now(), offset);
    },

    /** A 6-digit code that is none of the codes the secret's ±1-step window accepts now (the suite's wrongCode). */
    wrongTotp(otpauthUrl: string): string {
      return wrongCode(otpauthUrl, Date.now());
    },

    /** A TOTP secret set up (not enabled) for a logged-in user: its otpauth:// URL. */
    async setupTotp(accessToken: string): Promise<string> {
      return (await expectStatus(200, 'POST', '/user/2fa/totp/setup', { token: accessToken, body: {} })).json().url;
    },

    /**
     * A user with TOTP enabled through the API (setup, then enable with the current code). The
     * enabling code's step is used up: the next accepted code is `fx.totp(url, 1)`.
     */
    async totpUser(): Promise<TotpUser> {
      const session = await fx.session();
      const otpauthUrl = await fx.setupTotp(session.accessToken);
      const enabled = await expectStatus(200, 'POST', '/user/2fa/totp/enable', { token: session.accessToken, body: { totp: fx.totp(otpauthUrl) } });
      return { ...session, otpauthUrl, recoveryCodes: enabled.json().recoveryCodes };
    },

    /** A user with email OTP set up at their own address and, with `enable`, enabled with the mailed code. */
    async emailOtpUser(options: { enable: boolean }): Promise<EmailOtpUser> {
      const session = await fx.session();
      await expectStatus(200, 'POST', '/user/2fa/email-otp/setup', { token: session.accessToken, body: { email: session.user.email } });
      let recoveryCodes: string[] = [];
      if (options.enable) {
        const otp = fx.codeFrom(await fx.nextMail(session.user.email));
        recoveryCodes = (await expectStatus(200, 'POST', '/user/2fa/email-otp/enable', { token: session.accessToken, body: { otp } })).json().recoveryCodes;
      }
      return { ...session, recoveryCodes };
    },

    /** 2FA passed with a recovery code (consumed): a new access, refresh and sudo token. */
    async passWithRecoveryCode(token: string, recoveryCode: string): Promise<TokenSet> {
      return (await expectStatus(200, 'POST', '/user/2fa/recovery-code/authenticate', { token, body: { recoveryCode } })).json();
    },

    /**
     * A software authenticator on the service's own origin: PUBLIC_URL is unset in the run, so
     * the relying party is `localhost` and the accepted origin http://localhost:<port>.
     */
    softAuthenticator(origin = `http://localhost:${new URL(baseUrl).port}`): SoftAuthenticator {
      return new SoftAuthenticator(origin);
    },

    /** Creation options of a passkey registration for the token's user. */
    async passkeySetup(token: string) {
      return (await expectStatus(200, 'POST', '/user/2fa/webauthn/setup', { token, body: {} })).json().options;
    },

    /** A user with one passkey registered through the API (setup, software authenticator, enable). */
    async passkeyUser(): Promise<PasskeyUser> {
      const session = await fx.session();
      const authenticator = fx.softAuthenticator();
      const credential = authenticator.register(await fx.passkeySetup(session.accessToken));
      const enabled = await expectStatus(200, 'POST', '/user/2fa/webauthn/enable', { token: session.accessToken, body: { credential } });
      return { ...session, authenticator, recoveryCodes: enabled.json().recoveryCodes };
    },

    /** Request options of a passkey check for the token's user. */
    async passkeyChallenge(token: string) {
      return (await expectStatus(200, 'POST', '/user/2fa/webauthn/challenge', { token, body: {} })).json().options;
    },

    /** Request options of a passwordless sign-in. */
    async passkeyLoginOptions() {
      return (await expectStatus(200, 'POST', '/auth/passkey/options', { body: {} })).json().options;
    },

    /** 2FA passed with the user's passkey: a new access, refresh and sudo token. */
    async passWithPasskey(token: string, authenticator: SoftAuthenticator): Promise<TokenSet> {
      const credential = authenticator.assert(await fx.passkeyChallenge(token));
      return (await expectStatus(200, 'POST', '/user/2fa/webauthn/authenticate', { token, body: { credential } })).json();
    },

    /** Lets every mail purpose and recipient receive a mail again now (the 60 s throttle forgets the past). */
    async releaseMailThrottle(): Promise<void> {
      await database()('mail_throttle').update({ last_sent_at: new Date(Date.now() - 3_600_000) });
    },

    /**
     * The next mail to `to` that no earlier call returned, as written by the service's file
     * transport (no SMTP_URL), security notices left out; waits for the mail worker up to `timeoutMs`.
     */
    async nextMail(to: string, timeoutMs = 10_000): Promise<ParsedMail> {
      const dir = join(required(env, 'CONTRACT_DATA_DIR'), 'mail');
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        // Security notices (`<id>-security_notice.eml`) interleave with the code mails the hooks wait for.
        const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.eml') && !f.endsWith('-security_notice.eml') && !seenMails.has(f)).sort();
        for (const file of files) {
          const mail = await simpleParser(await readFile(join(dir, file)));
          if (recipientsOf(mail).includes(to.toLowerCase())) {
            seenMails.add(file);
            return mail;
          }
        }
        if (Date.now() > deadline) throw new Error(`fixture: no mail to ${to} in ${dir} within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },

    /** The first 6-digit number in a mail's text: the code, read as a user would (the suite's codeFrom). */
    codeFrom,

    async close(): Promise<void> {
      await db?.destroy();
    },
  };
  return fx;
}

export type Fixtures = Awaited<ReturnType<typeof createFixtures>>;

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set: run the contract tests with npm run test:contract`);
  return value;
}
