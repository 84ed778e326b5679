/** The load profile, the same for every row; environment variables override the defaults. */
export interface BenchOptions {
  /** Interleaved rounds: every row runs once per round, ratios are taken within a round. */
  rounds: number;
  /** Seconds each row is loaded per round. */
  seconds: number;
  /** Seconds each row is loaded once before the first round (JIT, pools, caches). */
  warmupSeconds: number;
  connections: number;
  /** Accounts with TOTP on: a time step is accepted once per account, so the TOTP row needs many. */
  totpUsers: number;
  /** Accounts for the login row: logins of one account queue on its guess counter, so spread them. */
  loginUsers: number;
  /**
   * DATABASE_POOL_MAX of the service and of D alike (the service's default is 10). 20 for the
   * bench's 50 connections: at 10 the TOTP login row (two statements and a commit per request)
   * waited for connections, ÷ peer 4.74 against 5.09 at 20 on 2026-12-04, while D did not move.
   */
  databasePoolMax: number;
}

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return value;
}

export function benchOptions(): BenchOptions {
  return {
    rounds: positiveInt('BENCH_ROUNDS', 3),
    seconds: positiveInt('BENCH_SECONDS', 4),
    warmupSeconds: positiveInt('BENCH_WARMUP_SECONDS', 1),
    connections: positiveInt('BENCH_CONNECTIONS', 50),
    totpUsers: positiveInt('BENCH_TOTP_USERS', 10_000),
    loginUsers: positiveInt('BENCH_LOGIN_USERS', 200),
    databasePoolMax: positiveInt('BENCH_DATABASE_POOL_MAX', 20),
  };
}
