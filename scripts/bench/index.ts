/**
 * npm run bench: the service's hot paths beside a bare-stack reference ("D") and raw argon2id,
 * in one run, as ratios. The service runs as its compiled production build (node dist/src/main.js,
 * NODE_ENV=production: response validation off), D as a tiny server of its own
 * (reference-server.mjs), both on one fresh database (DATABASE_URL's server, or an embedded
 * PostgreSQL). Every row gets the same load profile (BENCH_CONNECTIONS connections, a warm-up,
 * then BENCH_ROUNDS interleaved rounds of BENCH_SECONDS); see options.ts. Not a test: nothing is
 * asserted, the goals of issue 13 are only printed as met or not.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { freePort } from '../../src/db/embedded.js';
import { systemClock } from '../../src/deps.js';
import { PROJECT_ROOT } from '../../src/project-root.js';
import { signJwt } from '../../src/tokens/jwt.js';
import { loadTokenKeys } from '../../src/tokens/keys.js';
import { createBenchDatabase } from './database.js';
import { printFloodReport, runFloodBench } from './flood.js';
import { benchOptions } from './options.js';
import { settle, startCommand, startServer, type ServerProcess } from './processes.js';
import { median, medianRatio, printReport, type Goal, type MemoryReading, type Round } from './report.js';
import { argon2Scenario, httpScenario, type Scenario } from './scenarios.js';
import { machineBusyCpuSeconds, ownCpuSeconds, postgresCpuSeconds } from './cpu.js';
import { BENCH_PASSWORD, seedTotpUsers, sessionAccessToken, seedUsers, sharedPasswordHash, totpCodeSupply, type TotpUser } from './seed.js';
import { generateProductionSecrets } from '../../src/config/production-secrets.js';

/**
 * Better Auth 1.7's verify-totp at sign-in, from issue 13 (not run here): 119/s in a run where D
 * made 1,564/s. The machine's speed changes from day to day (D has run from ~900 to ~5,300/s
 * here), so the peer is compared as its share of D, scaled by this run's D, not as a fixed rate.
 */
const PEER_TOTP_LOGIN_RPS = 119;
const PEER_RUN_D_RPS = 1564;
const PEAK_RSS_GOAL_MIB = 200;

const options = benchOptions();
const log = (line: string) => console.error(`bench: ${line}`);

// The server under test is the compiled build, as `npm start` runs it.
const build = spawnSync(process.execPath, [join(PROJECT_ROOT, 'scripts/build.mjs'), '--if-stale'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const cleanups: (() => Promise<unknown>)[] = [];
const cleanup = async () => {
  while (cleanups.length) await cleanups.pop()!().catch((err) => console.error('bench cleanup:', err));
};
process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));

try {
  const servicePort = await freePort();
  const referencePort = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), 'sg1-bench-service-'));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  // Production configuration: fresh keys, shared with this process so it can mint the tokens the rows need.
  const serviceEnv: Record<string, string> = {
    NODE_ENV: 'production',
    PUBLIC_URL: `http://127.0.0.1:${servicePort}`,
    ...(await generateProductionSecrets('bench1')),
    SMTP_URL: 'smtp://127.0.0.1:1', // no row sends mail
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    // One client address drives every row: the per-address login budget would refuse the login row.
    ADDRESS_LIMIT_LOGIN: 'off',
    // The login row keeps 50 logins in flight: a queue that holds them measures hashing, not shedding.
    HASH_QUEUE: '64',
    // Sized for the load's 50 connections, the same for D (below): a TOTP login holds a connection
    // for two statements and a commit, and at the default 10 it queued for one (options.ts).
    DATABASE_POOL_MAX: String(options.databasePoolMax),
  };
  const config = await loadConfig(serviceEnv);
  const keys = await loadTokenKeys(config.signingKeys, config.publicUrl);

  const database = await createBenchDatabase();
  cleanups.push(() => database.drop());
  log(`seeding ${options.loginUsers} login accounts and ${options.totpUsers} TOTP accounts (one shared argon2id hash)`);
  const passwordHash = await sharedPasswordHash();
  const loginUsers = await seedUsers(database.db, 'login', options.loginUsers, passwordHash);
  let totpUsers: TotpUser[] = await seedTotpUsers(database.db, config, keys, options.totpUsers, passwordHash);
  let partialTokensMintedAt = Date.now();

  // BENCH_SERVICE_DIR / BENCH_SERVICE_COMMAND run another checkout the same way, for a before/after
  // (e.g. BENCH_SERVICE_COMMAND='--import tsx src/main.ts' for a version without a build).
  // Default: the options and script `npm start` runs (package.json), so the bench measures the deployed command.
  // Either way the service gets the start script's environment (MALLOC_ARENA_MAX).
  const start = startCommand();
  const [serviceScript, ...serviceArgs] = (process.env.BENCH_SERVICE_COMMAND ?? [...start.nodeOptions, 'dist/src/main.js'].join(' ')).split(' ').filter(Boolean).reverse();
  const service = await startServer(
    'service',
    serviceScript!,
    servicePort,
    { ...start.env, ...serviceEnv, DATABASE_URL: database.url },
    '/readyz',
    serviceArgs.reverse(),
    process.env.BENCH_SERVICE_DIR ?? PROJECT_ROOT,
  );
  cleanups.push(() => service.stop());
  const reference = await startServer(
    'D (reference)',
    'scripts/bench/reference-server.mjs',
    referencePort,
    { DATABASE_URL: database.url, DATABASE_POOL_MAX: String(config.databasePoolMax), JWT_PUBLIC_JWKS: JSON.stringify(keys.publicJwks), JWT_ISSUER: config.publicUrl },
    '/ready',
  );
  cleanups.push(() => reference.stop());
  const servers: ServerProcess[] = [service, reference];

  // Tokens as clients get them: a login, then an access token from the refresh token.
  const firstLogin = loginUsers[0]!;
  const loginResponse = await fetch(`${service.base}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: firstLogin.email, password: BENCH_PASSWORD }),
  });
  if (!loginResponse.ok) throw new Error(`login for the bench failed: ${loginResponse.status} ${await loginResponse.text()}`);
  const refreshToken = await loginResponse.text();
  const accessToken = await (await fetch(`${service.base}/auth/accesstoken`, { headers: { authorization: `Bearer ${refreshToken}` } })).text();
  // GET /user/2fa of an account with TOTP on (its overview has something to show).
  const totpOwner = totpUsers[totpUsers.length - 1]!;
  const totpOwnerAccess = await sessionAccessToken(database.db, config, keys, totpOwner);

  const nextTotp = totpCodeSupply(totpUsers);
  let nextLogin = 0;
  const json = { 'content-type': 'application/json' };
  const scenarios: Scenario[] = [
    httpScenario('reference', 'D: validator + EdDSA JWT + 1 SELECT', options.connections, () => ({
      url: `${reference.base}/ref`,
      headers: { authorization: `Bearer ${accessToken}` },
    })),
    httpScenario('validate', 'GET /auth/accesstoken/validate', options.connections, () => ({
      url: `${service.base}/auth/accesstoken/validate`,
      headers: { authorization: `Bearer ${accessToken}` },
    })),
    httpScenario('accesstoken', 'GET /auth/accesstoken (refresh → JWT)', options.connections, () => ({
      url: `${service.base}/auth/accesstoken`,
      headers: { authorization: `Bearer ${refreshToken}` },
    })),
    httpScenario('twoFa', 'GET /user/2fa', options.connections, () => ({
      url: `${service.base}/user/2fa`,
      headers: { authorization: `Bearer ${totpOwnerAccess}` },
    })),
    httpScenario(
      'totpLogin',
      'POST /user/2fa/totp/authenticate at login',
      options.connections,
      () => ({
        url: `${service.base}/user/2fa/totp/authenticate`,
        requests: [
          {
            method: 'POST',
            setupRequest: (req) => {
              const next = nextTotp();
              if (!next) throw new Error('every TOTP account used its window: raise BENCH_TOTP_USERS');
              return { ...req, headers: { ...json, authorization: `Bearer ${next.user.partialToken}` }, body: JSON.stringify({ totp: next.code }) };
            },
          },
        ],
      }),
      // Partial tokens live 5 minutes: mint fresh ones (the service's signing code) before they could expire.
      async () => {
        if (Date.now() - partialTokensMintedAt < 120_000) return;
        for (const user of totpUsers) user.partialToken = await signJwt(keys, systemClock, { userId: user.id, kind: 'partial', passwordChangedAt: user.passwordChangedAt });
        partialTokensMintedAt = Date.now();
      },
    ),
    httpScenario('login', 'POST /auth/login (argon2id)', options.connections, () => ({
      url: `${service.base}/auth/login`,
      requests: [
        {
          method: 'POST',
          setupRequest: (req) => ({
            ...req,
            headers: json,
            body: JSON.stringify({ username: loginUsers[nextLogin++ % loginUsers.length]!.email, password: BENCH_PASSWORD }),
          }),
        },
      ],
    })),
    argon2Scenario(passwordHash, BENCH_PASSWORD),
  ];

  // BENCH_ROWS=validate,login,… measures only those rows (and D, which every ratio needs).
  const onlyRows = process.env.BENCH_ROWS?.split(',').map((key) => key.trim()).filter(Boolean);
  if (onlyRows?.length) {
    const unknown = onlyRows.filter((key) => !scenarios.some((s) => s.key === key));
    if (unknown.length) throw new Error(`BENCH_ROWS names no row: ${unknown.join(', ')} (rows: ${scenarios.map((s) => s.key).join(', ')})`);
    const keep = new Set([...onlyRows, 'reference', ...(onlyRows.includes('login') ? ['argon2'] : [])]);
    scenarios.splice(0, scenarios.length, ...scenarios.filter((s) => keep.has(s.key)));
  }

  const goals: Goal[] = [
    { row: 'validate', text: '≥ 1.1 × D', threshold: 1.1, value: (r) => medianRatio(r, 'validate', 'reference') },
    { row: 'accesstoken', text: '≥ 1.0 × D', threshold: 1.0, value: (r) => medianRatio(r, 'accesstoken', 'reference') },
    { row: 'twoFa', text: '≥ 0.9 × D', threshold: 0.9, value: (r) => medianRatio(r, 'twoFa', 'reference') },
    {
      row: 'totpLogin',
      text: `÷ peer (${PEER_TOTP_LOGIN_RPS}/${PEER_RUN_D_RPS} of D) ≥ 5`,
      threshold: 5,
      value: (r) => medianRatio(r, 'totpLogin', 'reference') / (PEER_TOTP_LOGIN_RPS / PEER_RUN_D_RPS),
    },
    { row: 'login', text: '÷ raw argon2id ≥ 0.9', threshold: 0.9, value: (r) => medianRatio(r, 'login', 'argon2') },
  ];

  // The CPU a row's requests cost its server and PostgreSQL: on a shared, noisy machine a steadier
  // figure than the rate (it does not count time spent waiting for a core).
  const measureWithCpu = async (scenario: Scenario, seconds: number) => {
    const server = scenario.key === 'reference' ? reference : scenario.key === 'argon2' ? undefined : service;
    const before = {
      server: server?.cpuSeconds() ?? 0,
      eventLoop: server?.eventLoopCpuSeconds() ?? 0,
      postgres: postgresCpuSeconds(),
      client: ownCpuSeconds(),
      machine: machineBusyCpuSeconds(),
    };
    const result = await scenario.measure(seconds);
    if (!server || !result.load) return result;
    const requests = result.perSecond * seconds;
    const perRequestUs = (s: number) => (s * 1e6) / requests;
    return {
      ...result,
      cpu: {
        serverUs: perRequestUs(server.cpuSeconds() - before.server),
        eventLoopUs: perRequestUs(server.eventLoopCpuSeconds() - before.eventLoop),
        postgresUs: perRequestUs(postgresCpuSeconds() - before.postgres),
        clientUs: perRequestUs(ownCpuSeconds() - before.client),
        machineUs: perRequestUs(machineBusyCpuSeconds() - before.machine),
      },
    };
  };

  const idle = new Map(servers.map((s) => [s.name, s.rssMiB().now]));
  log(`warm-up: ${options.warmupSeconds} s per row`);
  for (const scenario of scenarios) {
    await scenario.measure(options.warmupSeconds);
    await settle(servers);
  }
  const rounds: Round[] = [];
  for (let i = 0; i < options.rounds; i++) {
    const round: Round = new Map();
    for (const scenario of scenarios) {
      const result = await measureWithCpu(scenario, options.seconds);
      await settle(servers);
      round.set(scenario.key, result);
      log(`round ${i + 1}/${options.rounds} ${scenario.label}: ${result.perSecond.toFixed(0)}/s (service peak RSS so far ${service.rssMiB().peak.toFixed(0)} MiB)`);
    }
    rounds.push(round);
  }
  const memory: MemoryReading[] = servers.map((s) => ({ name: s.name, idle: idle.get(s.name)!, peak: s.rssMiB().peak }));
  printReport(options, database.where, scenarios, rounds, goals, memory, PEAK_RSS_GOAL_MIB);
  // autocannon drops its sockets at the end; let requests still inside the service finish first.
  await new Promise((resolve) => setTimeout(resolve, 500));
  // The login flood (issue 9) brings its own database and service process.
  if (process.env.BENCH_FLOOD !== '0') {
    for (const limits of ['off', 'on'] as const) printFloodReport(await runFloodBench(database.adminUrl, { limits }));
  }
} finally {
  await cleanup();
}

