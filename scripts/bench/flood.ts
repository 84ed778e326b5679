/**
 * The mixed scenario of `npm run bench` (issue 9): a login flood of unknown names while a second
 * client measures the cheap token paths, beside the same figures without the flood, and login
 * throughput beside raw argon2id hashes/s measured in the same run.
 *
 * The service runs as its compiled production build (node dist/src/main.js, as `npm start`) in a
 * process of its own, so the load generators do not share its event loop. Every flood request
 * comes from 127.0.0.1, and the scenario runs in two modes: `limits: 'off'`
 * (ADDRESS_LIMIT_LOGIN=off: a flood spread over more addresses than any limit sees, which only
 * the hash bound sheds) and `limits: 'on'` (the default per-address limits: one address's flood,
 * refused 429 after its first 60).
 *
 * Callable (`runFloodBench`, `printFloodReport`) or on its own: `npm run bench:flood`
 * (DATABASE_URL, or an embedded PostgreSQL). Not a test: nothing is asserted.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { hashPassword, verifyPassword } from '../../src/crypto/password.js';
import { generateProductionSecrets } from '../../src/config/production-secrets.js';
import { freePort, startEmbeddedPostgres } from '../../src/db/embedded.js';
import { cpuSecondsAtNice, machineBusyCpuSeconds, postgresCpuSeconds } from './cpu.js';
import { HASH_THREAD_NICE } from '../../src/crypto/hash-threads.js';
import { startCommand, startServer, type ServerProcess } from './processes.js';
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
  /** 'off': the flood's address has no login limit (a flood spread over addresses); 'on': the defaults. */
  limits?: 'on' | 'off';
  /** Extra environment for the service. */
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
  /** Logins alone, as many connections as the default hash capacity admits on 2 cores (no shedding); with limits off only. */
  loginAlone?: { connections: number; hashedPerSecond: number; non401: number; cpuPerLogin: LoginCpu };
}

/** Where a login's CPU went while logins ran alone, µs per hashed login. */
export interface LoginCpu {
  /** The service's hashing threads (the ones at HASH_THREAD_NICE). */
  hashing: number;
  /** The service's other threads but its main one: V8's helpers (the collector's, the compiler's), libuv's pool. */
  helpers: number;
  eventLoop: number;
  postgres: number;
  client: number;
  /** Every core's busy time, whoever used it (the kernel's network work included). */
  machine: number;
}

const PROBE_CONNECTIONS = 4;
/** HASH_CONCURRENCY + HASH_QUEUE by default on 2 cores is 10: stay within it, so nothing is shed. */
const LOGIN_ALONE_CONNECTIONS = 8;
const LOGIN_ALONE_WARMUP_SECONDS = 2;

function defaults(options: FloodOptions): Required<Omit<FloodOptions, 'serverEnv'>> {
  return {
    limits: options.limits ?? 'off',
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

/** The compiled service in production mode on a database of its own, as `npm start` runs it. */
async function startService(databaseUrl: string, dataDir: string, env: Record<string, string>): Promise<ServerProcess> {
  const port = await freePort();
  const start = startCommand();
  return startServer(
    'service (flood)',
    'dist/src/main.js',
    port,
    {
      ...start.env,
      NODE_ENV: 'production',
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      ...(await generateProductionSecrets('flood1')),
      SMTP_URL: 'smtp://127.0.0.1:1', // no flood request sends mail
      LOG_LEVEL: 'warn',
      ...env,
      DATABASE_URL: databaseUrl,
      DATA_DIR: dataDir,
    },
    '/readyz',
    start.nodeOptions,
  );
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

/**
 * Logins of random unknown names from a process of its own (flood-client.mjs), at a lower CPU
 * priority (nice FLOOD_CLIENT_NICE, default 10): the flood stands for clients on other machines.
 * On a 2-core box a generator at full priority takes a core from the service it attacks, and the
 * probes would measure the generator's CPU rather than what the service does with the flood
 * (FLOOD_CLIENT_NICE=0 shows that). Resolves with autocannon's result.
 */
function flood(base: string, connections: number, seconds: number): Promise<autocannon.Result> {
  const script = fileURLToPath(new URL('./flood-client.mjs', import.meta.url));
  const child = spawn(process.execPath, [script, base, String(connections), String(seconds)], { stdio: ['ignore', 'pipe', 'inherit'] });
  setPriority(child.pid!, Number(process.env.FLOOD_CLIENT_NICE ?? 10));
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(output) as autocannon.Result) : reject(new Error(`flood client exited (${code})`))));
  });
}

const cpuNow = (service: ServerProcess) => ({
  service: service.cpuSeconds(),
  hashing: cpuSecondsAtNice(service.child.pid!, HASH_THREAD_NICE),
  eventLoop: service.eventLoopCpuSeconds(),
  postgres: postgresCpuSeconds(),
  machine: machineBusyCpuSeconds(),
});

function cpuPerLogin(before: ReturnType<typeof cpuNow>, after: ReturnType<typeof cpuNow>, client: NodeJS.CpuUsage, logins: number): LoginCpu {
  const us = (seconds: number) => (seconds * 1e6) / Math.max(1, logins);
  const eventLoop = after.eventLoop - before.eventLoop;
  return {
    hashing: us(after.hashing - before.hashing),
    helpers: us(after.service - before.service - eventLoop - (after.hashing - before.hashing)),
    eventLoop: us(eventLoop),
    postgres: us(after.postgres - before.postgres),
    client: (client.user + client.system) / Math.max(1, logins),
    machine: us(after.machine - before.machine),
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
  let service: ServerProcess | undefined;
  try {
    await migrateLatest(db);
    const password = 'Flood-Bench-Pass-1';
    const user = await createUser(db, systemClock, 'flood-probe@example.com', password);
    service = await startService(url.toString(), dataDir, { ...(opts.limits === 'off' ? { ADDRESS_LIMIT_LOGIN: 'off' } : {}), ...options.serverEnv });
    const { base } = service;
    const loggedIn = await fetch(`${base}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: user.email, password }) });
    if (loggedIn.status !== 200) throw new Error(`probe login answered ${loggedIn.status}`);
    const access = await fetch(`${base}/auth/accesstoken`, { headers: { authorization: `Bearer ${await loggedIn.text()}` } });
    const accessToken = await access.text();

    const rawBefore = await measureRawArgon2(opts.rawSeconds);
    // Only without limits: from one address the login budget, not hashing, would be measured.
    let alone: autocannon.Result | undefined;
    let cpuBefore: ReturnType<typeof cpuNow> | undefined;
    if (opts.limits === 'off') {
      // A warm-up first, as every row of the main table has (the JIT, the pool's connections).
      await flood(base, LOGIN_ALONE_CONNECTIONS, LOGIN_ALONE_WARMUP_SECONDS);
      cpuBefore = cpuNow(service);
      alone = await flood(base, LOGIN_ALONE_CONNECTIONS, opts.rawSeconds + 3);
    }
    const hashedAlone = Number(alone?.statusCodeStats?.['401']?.count ?? 0);
    const loginAlone = alone && {
      connections: LOGIN_ALONE_CONNECTIONS,
      hashedPerSecond: hashedAlone / alone.duration,
      non401: alone.requests.total - hashedAlone,
      cpuPerLogin: cpuPerLogin(cpuBefore!, cpuNow(service), (alone as autocannon.Result & { clientCpu: NodeJS.CpuUsage }).clientCpu, hashedAlone),
    };
    await probe(base, accessToken, 3, opts.probeRate); // warm-up (the JIT: the first requests of a path are slower)
    const quiet = await probe(base, accessToken, opts.probeSeconds, opts.probeRate);

    const flooding = flood(base, opts.floodConnections, opts.floodSeconds);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const flooded = await probe(base, accessToken, opts.probeSeconds, opts.probeRate);
    const floodResult = await flooding;
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
    await service?.stop();
    await db.destroy();
    await admin.query(`drop database if exists ${dbName} with (force)`);
    await admin.end();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export function printFloodReport(report: FloodReport): void {
  const { options: o, raw, login } = report;
  console.log(
    `\nmixed scenario, per-address limits ${o.limits === 'off' ? 'off for the flood (a flood spread over addresses: the hash bound sheds it)' : 'on (one address: refused 429 past its budget)'}:\n` +
      `${o.floodConnections} connections of POST /auth/login (unknown names) for ${o.floodSeconds} s;` +
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
  if (!loginAlone) return;
  console.log(
    `logins alone (${loginAlone.connections} connections, no flood): ${loginAlone.hashedPerSecond.toFixed(1)} hashed/s` +
      ` (${loginAlone.non401} other answers); ÷ raw = ${(loginAlone.hashedPerSecond / raw.hashesPerSecond).toFixed(2)} (goal ≥ 0.8)`,
  );
  const cpu = loginAlone.cpuPerLogin;
  const us = (n: number) => `${Math.round(n).toLocaleString('en')} µs`;
  console.log(
    `  CPU per login alone: hashing threads ${us(cpu.hashing)}, other service threads (V8's, libuv's) ${us(cpu.helpers)}, event loop ${us(cpu.eventLoop)},` +
      ` PostgreSQL ${us(cpu.postgres)}, client ${us(cpu.client)}; the machine ${us(cpu.machine)} (one raw verification: ${us((availableParallelism() * 1e6) / raw.hashesPerSecond)} of a core)`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  let adminUrl = process.env.DATABASE_URL;
  const dataDir = adminUrl ? undefined : await mkdtemp(join(tmpdir(), 'sg1-flood-pg-'));
  const embedded = dataDir ? await startEmbeddedPostgres({ dataDir, persistent: false, unsafeFast: true }) : undefined;
  adminUrl ??= embedded!.url;
  try {
    // FLOOD_MODES=off or =on runs one of the two modes.
    const modes = (process.env.FLOOD_MODES ?? 'off,on').split(',').map((mode) => mode.trim());
    const unknown = modes.filter((mode) => mode !== 'off' && mode !== 'on');
    if (unknown.length) throw new Error(`FLOOD_MODES takes off and on, got ${unknown.join(', ')}`);
    for (const limits of modes as ('on' | 'off')[]) printFloodReport(await runFloodBench(adminUrl, { limits }));
  } finally {
    await embedded?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }
}
