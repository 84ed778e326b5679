/**
 * npm run bench:profile [-- <path>]: a CPU profile of one hot path of the compiled service in
 * production mode (node --cpu-prof), under the bench's load for PROFILE_SECONDS (default 10).
 * Path: validate (default), accesstoken, twofa, totp (the TOTP login step), login (argon2id: the
 * hashing threads' profiles are written beside it; the summary is the event loop's) or unknown (logins
 * of unknown names, the flood's request). Writes the .cpuprofile (open it in Chrome
 * DevTools) and prints the functions with the most self time, grouped by package, as shares of the
 * profile and as µs per request served. PROFILE_CONNECTIONS (50) sets the load's connections.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { freePort } from '../../src/db/embedded.js';
import { PROJECT_ROOT } from '../../src/project-root.js';
import { loadTokenKeys } from '../../src/tokens/keys.js';
import { createBenchDatabase } from './database.js';
import { load } from './load.js';
import { startCommand, startServer } from './processes.js';
import { BENCH_PASSWORD, seedTotpUsers, seedUsers, sessionAccessToken, sharedPasswordHash, totpCodeSupply } from './seed.js';
import { generateProductionSecrets } from '../../src/config/production-secrets.js';

const path = process.argv[2] ?? 'validate';
const seconds = Number(process.env.PROFILE_SECONDS ?? 10);
const connections = Number(process.env.PROFILE_CONNECTIONS ?? 50);
const build = spawnSync(process.execPath, [join(PROJECT_ROOT, 'scripts/build.mjs'), '--if-stale'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const port = await freePort();
const dataDir = await mkdtemp(join(tmpdir(), 'sg1-profile-'));
const profileDir = join(PROJECT_ROOT, '.data/profiles');
const env: Record<string, string> = {
  NODE_ENV: 'production',
  PUBLIC_URL: `http://127.0.0.1:${port}`,
  ...(await generateProductionSecrets('p1')),
  SMTP_URL: 'smtp://127.0.0.1:1',
  DATA_DIR: dataDir,
  LOG_LEVEL: 'info',
  // The login path: one client address, and 50 logins in flight that must wait, not be shed.
  ADDRESS_LIMIT_LOGIN: 'off',
  HASH_QUEUE: '64',
};
const config = await loadConfig(env);
const keys = await loadTokenKeys(config.signingKeys, config.publicUrl);
const database = await createBenchDatabase();
try {
  const passwordHash = await sharedPasswordHash();
  // As many accounts as the bench's login row: logins of one account in flight beyond the free
  // failures would be refused 429 (a guess still hashing counts as a failure until it settles).
  const users = await seedUsers(database.db, 'profile', path === 'login' ? 200 : 1, passwordHash);
  const user = users[0];
  let nextLogin = 0;
  const nextTotp = totpCodeSupply(path === 'totp' ? await seedTotpUsers(database.db, config, keys, 10_000, passwordHash) : []);
  const start = startCommand();
  const service = await startServer('service', 'dist/src/main.js', port, { ...start.env, ...env, DATABASE_URL: database.url }, '/readyz', [
    ...start.nodeOptions,
    '--cpu-prof',
    `--cpu-prof-dir=${profileDir}`,
  ]);
  const accessToken = await sessionAccessToken(database.db, config, keys, user!);
  const login = await fetch(`${service.base}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: user!.email, password: BENCH_PASSWORD }),
  });
  const refreshToken = await login.text();
  const targets: Record<string, { url: string; token: string }> = {
    validate: { url: '/auth/accesstoken/validate', token: accessToken },
    accesstoken: { url: '/auth/accesstoken', token: refreshToken },
    twofa: { url: '/user/2fa', token: accessToken },
    totp: { url: '/user/2fa/totp/authenticate', token: '' },
    login: { url: '/auth/login', token: '' },
    unknown: { url: '/auth/login', token: '' },
  };
  const target = targets[path];
  if (!target) throw new Error(`unknown path ${path}: one of ${Object.keys(targets).join(', ')}`);
  const before = new Set(await readdir(profileDir).catch(() => []));
  const request =
    path === 'totp'
      ? {
          url: `${service.base}/user/2fa/totp/authenticate`,
          requests: [
            {
              method: 'POST' as const,
              setupRequest: (req: object) => {
                const next = nextTotp()!;
                return { ...req, headers: { 'content-type': 'application/json', authorization: `Bearer ${next.user.partialToken}` }, body: JSON.stringify({ totp: next.code }) };
              },
            },
          ],
        }
      : path === 'unknown' || path === 'login'
        ? {
            url: `${service.base}/auth/login`,
            requests: [
              {
                method: 'POST' as const,
                setupRequest: (req: object) => ({
                  ...req,
                  headers: { 'content-type': 'application/json' },
                  body: JSON.stringify({
                    // Unknown names: a new random one per request (the flood's); else the seeded accounts in turn.
                    username: path === 'unknown' ? `unknown-${randomBytes(6).toString('hex')}@example.com` : users[nextLogin++ % users.length]!.email,
                    password: BENCH_PASSWORD,
                  }),
                }),
              },
            ],
          }
        : { url: `${service.base}${target.url}`, headers: { authorization: `Bearer ${target.token}` } };
  // The load's window on the monotonic clock V8 stamps its samples with (CLOCK_MONOTONIC, µs):
  // start-up (module loading, the spec's compilation) is not the path's cost.
  const windowStart = Number(process.hrtime.bigint() / 1000n);
  const result = await load(request, connections, seconds);
  const windowEnd = Number(process.hrtime.bigint() / 1000n);
  console.log(`${path}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50} ms, non-2xx ${result.non2xx}`);
  await service.stop();
  // One profile per thread (CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile): thread 0 is the event loop.
  const file = (await readdir(profileDir)).find((name) => !before.has(name) && /\.\d+\.0\.\d+\.cpuprofile$/.test(name));
  if (!file) throw new Error('no profile written');
  summarize(JSON.parse(await readFile(join(profileDir, file), 'utf8')), result.rps * seconds, windowStart, windowEnd);
  console.log(`\nprofile: ${join(profileDir, file)}`);
} finally {
  await database.drop();
  await rm(dataDir, { recursive: true, force: true });
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/**
 * Self time by function and by package (node_modules/<name>, the service's own code, node
 * internals), of the samples taken while the load ran: each sample counts the time until the next.
 */
function summarize(profile: Profile, requests: number, windowStart: number, windowEnd: number) {
  const selfTime = new Map<number, number>();
  let at = profile.startTime;
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i]!;
    const lasts = profile.timeDeltas[i + 1] ?? 0;
    if (at < windowStart || at > windowEnd) continue;
    selfTime.set(profile.samples[i]!, (selfTime.get(profile.samples[i]!) ?? 0) + lasts);
    total += lasts;
  }
  if (total === 0) throw new Error('no profile samples within the load window');
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  for (const node of profile.nodes) {
    const time = selfTime.get(node.id) ?? 0;
    if (!time) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? (url.includes('/dist/') ? 'service' : url ? url.replace(/^.*\//, '') : functionName || '(native)');
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + time);
    const key = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(PROJECT_ROOT, '')}:${lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + time);
  }
  const busy = total - (byPackage.get('(idle)') ?? 0);
  console.log(`\nthe event loop while the load ran: ${(busy / requests).toFixed(0)} µs busy per request (${((busy / total) * 100).toFixed(0)} % of the window)`);
  const top = (map: Map<string, number>, n: number) =>
    [...map].sort((a, b) => b[1] - a[1]).slice(0, n).map(([name, time]) => `${((time / total) * 100).toFixed(1).padStart(5)}% ${(time / requests).toFixed(0).padStart(6)} µs/req  ${name}`).join('\n');
  console.log(`\nself time by package:\n${top(byPackage, 15)}\n\nself time by function:\n${top(byFunction, 30)}`);
}
