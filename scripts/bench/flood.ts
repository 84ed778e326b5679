/**
 * The mixed scenario of `npm run bench` (issue 9): a login flood of unknown names while a second
 * client measures the cheap token paths, beside the same figures without the flood, and login
 * throughput beside raw argon2id hashes/s measured in the same run.
 *
 * The service runs in a child process (scripts/bench/flood-server.ts) so the load generators do
 * not share its event loop. Every flood request comes from 127.0.0.1: a per-address limit would
 * refuse most of it, so switch that limit off for the run through the child's environment
 * (`runFloodBench(url, { serverEnv: { … } })`, or set the variable when calling
 * `npm run bench:flood`: the child inherits the environment).
 *
 * Callable (`runFloodBench`, `printFloodReport`) or on its own: `npm run bench:flood`
 * (DATABASE_URL, or an embedded PostgreSQL). Not a test: nothing is asserted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { hashPassword, verifyPassword } from '../../src/crypto/password.js';
import { startEmbeddedPostgres } from '../../src/db/embedded.js';
import { createDb, migrateLatest } from '../../src/db/knex.js';
import { systemClock } from '../../src/deps.js';
import { createUser } from '../../src/users/service.js';

export interface FloodOptions {
  /** Concurrent login connections of the flood (issue 9: 200). */
  floodConnections?: number;
  /** How long the flood runs; the probes run inside it, after one second of flood. */
  floodSeconds?: number;
  /** How long each probe measures (quiet and flooded alike). */
  probeSeconds?: number;
  /** Requests per second each probe sends (open loop: latency includes any queueing). */
  probeRate?: number;
  rawSeconds?: number;
  /** Extra environment for the service (e.g. the switch that turns the per-address limits off). */
  serverEnv?: Record<string, string>;
}

export interface ProbeFigures {
  name: string;
  requests: number;
  p50: number;
  p99: number;
  /** Non-2xx answers, socket errors and timeouts. */
  errors: number;
}

export interface FloodReport {
  options: Required<Omit<FloodOptions, 'serverEnv'>>;
  raw: { concurrency: number; hashesPerSecond: number };
  quiet: ProbeFigures[];
  flooded: ProbeFigures[];
  login: { hashedPerSecond: number; statusCounts: Record<string, number>; errors: number; p50: number; p99: number };
  /** Logins alone, as many connections as the default hash capacity admits on 2 cores (no shedding). */
  loginAlone: { connections: number; hashedPerSecond: number; non401: number };
}

const PROBE_CONNECTIONS = 4;
/** HASH_CONCURRENCY + HASH_QUEUE by default on 2 cores is 10: stay within it, so nothing is shed. */
const LOGIN_ALONE_CONNECTIONS = 8;

function defaults(options: FloodOptions): Required<Omit<FloodOptions, 'serverEnv'>> {
  return {
    floodConnections: options.floodConnections ?? Number(process.env.FLOOD_CONNECTIONS ?? 200),
    floodSeconds: options.floodSeconds ?? Number(process.env.FLOOD_SECONDS ?? 10),
    probeSeconds: options.probeSeconds ?? Number(process.env.FLOOD_PROBE_SECONDS ?? 6),
    probeRate: options.probeRate ?? Number(process.env.FLOOD_PROBE_RATE ?? 100),
    rawSeconds: options.rawSeconds ?? 3,
  };
}

/** argon2id verifications per second with one in flight per core, in this process, nothing else running. */
async function measureRawArgon2(seconds: number): Promise<{ concurrency: number; hashesPerSecond: number }> {
  const concurrency = availableParallelism();
  const stored = await hashPassword('Raw-Bench-Pass-1');
  const until = performance.now() + seconds * 1000;
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        await verifyPassword(stored, 'Wrong-Bench-Pass-1');
        done++;
      }
    }),
  );
  return { concurrency, hashesPerSecond: done / ((performance.now() - started) / 1000) };
}

async function startService(databaseUrl: string, dataDir: string, env: Record<string, string>): Promise<{ base: string; child: ChildProcess }> {
  const script = fileURLToPath(new URL('./flood-server.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, ...env, DATABASE_URL: databaseUrl, DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`flood server exited (${code}) before listening`)));
    lines.on('line', (line) => {
      try {
        const parsed = JSON.parse(line) as { port?: number };
        if (parsed.port) resolve(parsed.port);
      } catch {
        // not our line
      }
    });
  });
  return { base: `http://127.0.0.1:${port}`, child };
}

const figures = (name: string, result: autocannon.Result): ProbeFigures => ({
  name,
  requests: result.requests.total,
  p50: result.latency.p50,
  p99: result.latency.p99,
  errors: result.non2xx + result.errors + result.timeouts,
});

function probe(base: string, accessToken: string, seconds: number, rate: number) {
  const common = { connections: PROBE_CONNECTIONS, duration: seconds, overallRate: rate, headers: { authorization: `Bearer ${accessToken}` } };
  return Promise.all([
    autocannon({ ...common, url: `${base}/auth/accesstoken/validate` }).then((r) => figures('GET /auth/accesstoken/validate', r)),
    autocannon({ ...common, url: `${base}/user/2fa` }).then((r) => figures('GET /user/2fa', r)),
  ]);
}

/** Logins of random unknown names: each is one argon2id verification, then 401. */
function floodOptions(base: string, connections: number, duration: number): autocannon.Options {
  return {
    url: `${base}/auth/login`,
    connections,
    duration,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => ({ ...req, body: JSON.stringify({ username: `flood-${randomBytes(6).toString('hex')}@example.com`, password: 'Wrong-Flood-Pass-1' }) }),
      },
    ],
  };
}

/** Runs the scenario against a fresh database on the server at `adminUrl` (dropped afterwards). */
export async function runFloodBench(adminUrl: string, options: FloodOptions = {}): Promise<FloodReport> {
  const opts = defaults(options);
  const dbName = `sg1_flood_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  const dataDir = await mkdtemp(join(tmpdir(), 'sg1-flood-'));
  const db = createDb(url.toString(), 2);
  let child: ChildProcess | undefined;
  try {
    await migrateLatest(db);
    const password = 'Flood-Bench-Pass-1';
    const user = await createUser(db, systemClock, 'flood-probe@example.com', password);
    const service = await startService(url.toString(), dataDir, options.serverEnv ?? {});
    child = service.child;
    const { base } = service;
    const loggedIn = await fetch(`${base}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: user.email, password }) });
    if (loggedIn.status !== 200) throw new Error(`probe login answered ${loggedIn.status}`);
    const access = await fetch(`${base}/auth/accesstoken`, { headers: { authorization: `Bearer ${await loggedIn.text()}` } });
    const accessToken = await access.text();

    const rawBefore = await measureRawArgon2(opts.rawSeconds);
    const alone = await autocannon(floodOptions(base, LOGIN_ALONE_CONNECTIONS, opts.rawSeconds + 2));
    const loginAlone = {
      connections: LOGIN_ALONE_CONNECTIONS,
      hashedPerSecond: Number(alone.statusCodeStats?.['401']?.count ?? 0) / alone.duration,
      non401: alone.requests.total - Number(alone.statusCodeStats?.['401']?.count ?? 0),
    };
    await probe(base, accessToken, 1, opts.probeRate); // warm-up
    const quiet = await probe(base, accessToken, opts.probeSeconds, opts.probeRate);

    const flood = autocannon(floodOptions(base, opts.floodConnections, opts.floodSeconds));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const flooded = await probe(base, accessToken, opts.probeSeconds, opts.probeRate);
    const floodResult = await flood;
    // Measured before and after the flood (the mean): on a shared machine one sample can mislead.
    const rawAfter = await measureRawArgon2(opts.rawSeconds);
    const raw = { concurrency: rawBefore.concurrency, hashesPerSecond: (rawBefore.hashesPerSecond + rawAfter.hashesPerSecond) / 2 };
    const statusCounts = Object.fromEntries(Object.entries(floodResult.statusCodeStats ?? {}).map(([code, { count }]) => [code, Number(count)]));
    // Unknown names answer 401 PASSWORD_INCORRECT after one argon2id verification each.
    const hashed = statusCounts['401'] ?? 0;
    return {
      options: opts,
      raw,
      loginAlone,
      quiet,
      flooded,
      login: {
        hashedPerSecond: hashed / floodResult.duration,
        statusCounts,
        errors: floodResult.errors + floodResult.timeouts,
        p50: floodResult.latency.p50,
        p99: floodResult.latency.p99,
      },
    };
  } finally {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child!.once('exit', resolve));
    }
    await db.destroy();
    await admin.query(`drop database if exists ${dbName} with (force)`);
    await admin.end();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export function printFloodReport(report: FloodReport): void {
  const { options: o, raw, login } = report;
  console.log(
    `\nmixed scenario: ${o.floodConnections} connections of POST /auth/login (unknown names) for ${o.floodSeconds} s;` +
      ` probes at ${o.probeRate} req/s each (${PROBE_CONNECTIONS} connections), ${o.probeSeconds} s quiet and ${o.probeSeconds} s flooded`,
  );
  console.log('probe'.padEnd(34), 'quiet p50'.padStart(10), 'p99'.padStart(8), 'errors'.padStart(7), '| flood p50'.padStart(12), 'p99'.padStart(8), 'errors'.padStart(7));
  report.quiet.forEach((quiet, i) => {
    const flooded = report.flooded[i]!;
    console.log(
      quiet.name.padEnd(34),
      quiet.p50.toFixed(1).padStart(10),
      quiet.p99.toFixed(1).padStart(8),
      String(quiet.errors).padStart(7),
      `| ${flooded.p50.toFixed(1)}`.padStart(12),
      flooded.p99.toFixed(1).padStart(8),
      String(flooded.errors).padStart(7),
    );
  });
  const statuses = Object.entries(login.statusCounts).map(([code, n]) => `${code}×${n}`).join(' ');
  console.log(
    `login flood: ${login.hashedPerSecond.toFixed(1)} hashed logins/s (answers ${statuses}; socket errors/timeouts ${login.errors};` +
      ` p50 ${login.p50.toFixed(0)} ms, p99 ${login.p99.toFixed(0)} ms)`,
  );
  console.log(
    `raw argon2id: ${raw.hashesPerSecond.toFixed(1)} verifications/s (${raw.concurrency} at once, this process, mean of before and after the flood);` +
      ` flood logins ÷ raw = ${(login.hashedPerSecond / raw.hashesPerSecond).toFixed(2)}`,
  );
  const { loginAlone } = report;
  console.log(
    `logins alone (${loginAlone.connections} connections, no flood): ${loginAlone.hashedPerSecond.toFixed(1)} hashed/s` +
      ` (${loginAlone.non401} other answers); ÷ raw = ${(loginAlone.hashedPerSecond / raw.hashesPerSecond).toFixed(2)} (goal ≥ 0.8)`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  let adminUrl = process.env.DATABASE_URL;
  const dataDir = adminUrl ? undefined : await mkdtemp(join(tmpdir(), 'sg1-flood-pg-'));
  const embedded = dataDir ? await startEmbeddedPostgres({ dataDir, persistent: false, unsafeFast: true }) : undefined;
  adminUrl ??= embedded!.url;
  try {
    printFloodReport(await runFloodBench(adminUrl));
  } finally {
    await embedded?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }
}
