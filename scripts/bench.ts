/**
 * npm run bench: measures the service's hot paths with autocannon against a real PostgreSQL
 * (DATABASE_URL, or an embedded one) and prints the numbers. Not a test: nothing is asserted.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { createApp } from '../src/app.js';
import { buildDeps } from '../src/bootstrap.js';
import { loadConfig } from '../src/config/index.js';
import { startEmbeddedPostgres } from '../src/db/embedded.js';
import { createDb, migrateLatest } from '../src/db/knex.js';
import { createUser } from '../src/users/service.js';
import { printFloodReport, runFloodBench } from './bench/flood.js';

const DURATION_S = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);

const dataDir = await mkdtemp(join(tmpdir(), 'sg1-bench-'));
let adminUrl = process.env.DATABASE_URL;
const embedded = adminUrl ? undefined : await startEmbeddedPostgres({ dataDir, persistent: false, unsafeFast: true });
adminUrl ??= embedded!.url;
const dbName = `sg1_bench_${process.pid}`;
const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`create database ${dbName}`);
const url = new URL(adminUrl);
url.pathname = `/${dbName}`;
const db = createDb(url.toString(), 20);
await migrateLatest(db);

// Production mode: response validation off, as deployed.
// The login scenario floods from one address on purpose: its per-address limit is off.
const config = await loadConfig({ NODE_ENV: 'development', DATA_DIR: dataDir, LOG_LEVEL: 'silent', ADDRESS_LIMIT_LOGIN: 'off' });
const deps = await buildDeps({ ...config, nodeEnv: 'production' }, db);
const server = createApp(deps).listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

// Logins of one account queue on its guess counter (by design), so spread them over many accounts.
const PASSWORD = 'Bench-Pass-2026';
const users = await Promise.all(Array.from({ length: 50 }, (_, i) => createUser(db, deps.clock, `bench${i}@example.com`, PASSWORD)));
const user = users[0]!;
const login = JSON.stringify({ username: user.email, password: PASSWORD });
let nextUser = 0;
const rotatingLogin = () => JSON.stringify({ username: users[nextUser++ % users.length]!.email, password: PASSWORD });
const refreshToken = await (await fetch(`${base}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: login })).text();
const accessToken = await (await fetch(`${base}/auth/accesstoken`, { headers: { authorization: `Bearer ${refreshToken}` } })).text();

const scenarios: { name: string; opts: autocannon.Options }[] = [
  { name: 'GET /healthz (framework + validator)', opts: { url: `${base}/healthz` } },
  { name: 'GET /auth/accesstoken/validate (EdDSA verify + user row)', opts: { url: `${base}/auth/accesstoken/validate`, headers: { authorization: `Bearer ${accessToken}` } } },
  { name: 'GET /auth/accesstoken (refresh lookup + sign)', opts: { url: `${base}/auth/accesstoken`, headers: { authorization: `Bearer ${refreshToken}` } } },
  {
    name: 'POST /auth/login, 50 accounts (argon2id m=19 MiB t=2)',
    opts: { url: `${base}/auth/login`, requests: [{ method: 'POST', headers: { 'content-type': 'application/json' }, setupRequest: (req) => ({ ...req, body: rotatingLogin() }) }] },
  },
  {
    // Past its budget after the first 30 requests: every answer is the per-address 429 (one upsert).
    name: 'POST /user/password/reset/validate over the address limit',
    opts: { url: `${base}/user/password/reset/validate`, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'nobody@example.com', otp: '000000' }) },
  },
];

console.log(`autocannon: ${CONNECTIONS} connections, ${DURATION_S} s each, ${embedded ? 'embedded PostgreSQL' : 'DATABASE_URL'}\n`);
console.log('scenario'.padEnd(58), 'req/s'.padStart(8), 'p50 ms'.padStart(8), 'p99 ms'.padStart(8), 'non-2xx'.padStart(8), 'CPU µs/req'.padStart(10));
for (const { name, opts } of scenarios) {
  const cpuBefore = process.cpuUsage();
  const result = await autocannon({ ...opts, connections: CONNECTIONS, duration: DURATION_S });
  const cpu = process.cpuUsage(cpuBefore);
  console.log(
    name.padEnd(58),
    result.requests.average.toFixed(0).padStart(8),
    result.latency.p50.toFixed(1).padStart(8),
    result.latency.p99.toFixed(1).padStart(8),
    String(result.non2xx).padStart(8),
    // This process's CPU (the service and autocannon together) per request: an upper bound for the service's.
    ((cpu.user + cpu.system) / Math.max(1, result.requests.total)).toFixed(0).padStart(10),
  );
}

// autocannon drops its sockets at the end; let requests still inside the service finish first.
await new Promise((resolve) => setTimeout(resolve, 1000));
server.close();
await db.destroy();
// The mixed scenario (issue 9) brings its own database and service process.
printFloodReport(await runFloodBench(adminUrl));
await admin.query(`drop database ${dbName} with (force)`);
await admin.end();
await embedded?.stop();
await rm(dataDir, { recursive: true, force: true });
