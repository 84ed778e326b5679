/**
 * npm run test:contract [-- <extra dredd options, e.g. --only "<transaction name>">]
 *
 * Starts the real service (src/main.ts) in a throw-away DATA_DIR: embedded PostgreSQL there, or,
 * with DATABASE_URL set, a fresh database created on that server and dropped afterwards. Mail goes
 * to <DATA_DIR>/mail/*.eml (no SMTP_URL). Then runs Dredd with contract-tests/dredd.yml against
 * it, prints what ran and what the skip list skipped, and stops everything. Exit code: Dredd's,
 * or 1 when a transaction was neither run nor skipped with a reason.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { addressLimitVariable, LIMITED_OPERATIONS } from '../src/address-limits/constants.js';
import { loadConfig } from '../src/config/index.js';
import { resolveDatabaseUrl } from '../src/db/connect.js';
import { freePort } from '../src/db/embedded.js';
import { METRICS_TOKEN, ORIGIN_WITHOUT_TEMPLATES } from './lib/constants.cjs';
import { ROOT, runDredd } from './lib/dredd.js';

const REPORT = join(ROOT, '.data/contract-report.json');
const SERVICE_LOG = join(ROOT, '.data/contract-service.log');

interface Report {
  total: number;
  results: { name: string; operationId?: string; status?: string; outcome: string; reason?: string }[];
}

const cleanups: (() => Promise<unknown>)[] = [];
async function cleanup(): Promise<void> {
  while (cleanups.length) await cleanups.pop()!().catch((err) => console.error('cleanup:', err));
}
// Output piped into `| head` that closes early must not cut the cleanup short.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => void cleanup().then(() => process.exit(130)));
}

const PREFIX = 'sg1-contract-';

/** A run killed with SIGKILL leaves its DATA_DIR and embedded PostgreSQL: stop and remove those whose runner is gone. */
async function reapOrphans(): Promise<void> {
  for (const name of await readdir(tmpdir())) {
    if (!name.startsWith(PREFIX)) continue;
    const owner = Number(name.slice(PREFIX.length).split('-')[0]);
    if (!owner || isAlive(owner)) continue;
    await removeDataDir(join(tmpdir(), name));
  }
}

/** Removes a DATA_DIR, first stopping its embedded PostgreSQL if the service did not (killed, or died). */
async function removeDataDir(dir: string): Promise<void> {
  const postmaster = Number((await readFile(join(dir, 'pg/postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
  if (postmaster && isAlive(postmaster)) {
    process.kill(postmaster, 'SIGTERM');
    for (let i = 0; i < 50 && isAlive(postmaster); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await rm(dir, { recursive: true, force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A fresh database on the DATABASE_URL server (dropped at the end), or that URL itself when we may not create one. */
async function isolatedDatabase(url: string): Promise<string> {
  const name = `sg1_contract_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } catch (err) {
    console.warn(`contract tests: cannot create a database on DATABASE_URL (${(err as Error).message}); using it as it is`);
    await admin.end();
    return url;
  }
  await admin.end();
  cleanups.push(async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`drop database if exists ${name} with (force)`);
    await c.end();
  });
  const isolated = new URL(url);
  isolated.pathname = `/${name}`;
  return isolated.toString();
}

async function startService(env: NodeJS.ProcessEnv, baseUrl: string): Promise<ChildProcess> {
  await mkdir(join(ROOT, '.data'), { recursive: true });
  await writeFile(SERVICE_LOG, '');
  const child = spawn(join(ROOT, 'node_modules/.bin/tsx'), ['src/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (chunk: Buffer) => {
    log += chunk.toString();
    void writeFile(SERVICE_LOG, log);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM'); // main.ts stops the embedded PostgreSQL on SIGTERM
        setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
      }),
  );
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the service exited (${child.exitCode}) before it was ready:\n${log}`);
    const ready = await fetch(`${baseUrl}/readyz`).then((r) => r.status === 200, () => false);
    if (ready) return child;
    if (Date.now() > deadline) throw new Error(`the service was not ready within 90 s:\n${log}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * The project's templates plus a mail configuration that has none, serving ORIGIN_WITHOUT_TEMPLATES
 * (lib/constants.cjs): the only way to see the contract's 500 UNABLE_TO_FIND_MAIL_TEMPLATE.
 */
async function templatesWithAHole(dataDir: string): Promise<string> {
  const dir = join(dataDir, 'templates');
  await cp(join(ROOT, process.env.TEMPLATES_DIR ?? 'templates'), dir, { recursive: true });
  await mkdir(join(dir, 'no-templates'));
  await writeFile(join(dir, 'no-templates/config.json'), JSON.stringify({
    name: 'No templates (contract tests)',
    origins: [ORIGIN_WITHOUT_TEMPLATES],
    from: { address: 'no-reply@no-templates.example.com', name: 'No templates' },
    linkBaseUrl: ORIGIN_WITHOUT_TEMPLATES,
    defaultLanguage: 'en',
    languages: ['en'],
  }));
  return dir;
}

/** Every transaction ran and passed, or was skipped by skip.cjs with a reason. */
function summarize(report: Report, selective: boolean): string[] {
  const by = (outcome: string) => report.results.filter((r) => r.outcome === outcome);
  const skipped = by('skipped');
  console.log(`\ncontract: ${report.total} transactions: ${by('passed').length} passed, ${by('failed').length} failed, ${skipped.length} skipped by contract-tests/skip.cjs`);
  for (const r of skipped) console.log(`  skipped  ${r.operationId} ${r.status}: ${r.reason}`);
  const problems: string[] = [];
  if (report.results.length !== report.total) problems.push(`the hooks saw ${report.results.length} of ${report.total} transactions`);
  for (const r of report.results) {
    if (r.outcome === 'skipped' && !r.reason) problems.push(`${r.name} was skipped without a reason`);
    if (r.outcome === 'not selected' && !selective) problems.push(`${r.name} did not run`);
  }
  return problems;
}

async function main(): Promise<number> {
  const extraArgs = process.argv.slice(2);
  await reapOrphans();
  const dataDir = await mkdtemp(join(tmpdir(), `${PREFIX}${process.pid}-`));
  await chmod(dataDir, 0o755); // the embedded PostgreSQL runs as `postgres` when we are root
  if (!process.env.CONTRACT_KEEP) cleanups.push(() => removeDataDir(dataDir));
  const templatesDir = await templatesWithAHole(dataDir);
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;

  const serviceEnv: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'development', // response validation on: a handler that breaks the spec answers 500
    PORT: String(port),
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.CONTRACT_LOG_LEVEL ?? 'warn',
    MAIL_WORKER_INTERVAL_MS: '100',
    TEMPLATES_DIR: templatesDir,
    // Dredd and the fixtures send everything from 127.0.0.1: budgets no run reaches, so only the
    // hooks that fill a budget on purpose (fx.exhaustAddressLimit) see TOO_MANY_REQUESTS.
    ...Object.fromEntries(LIMITED_OPERATIONS.map((operation) => [addressLimitVariable(operation), '1000000/60'])),
    METRICS_TOKEN, // as in production: GET /metrics needs it (hooks/ops.cjs)
  };
  delete serviceEnv.SMTP_URL; // mails become <DATA_DIR>/mail/*.eml, which the hooks read
  if (process.env.DATABASE_URL) serviceEnv.DATABASE_URL = await isolatedDatabase(process.env.DATABASE_URL);

  const started = Date.now();
  await startService(serviceEnv, baseUrl);
  // The hooks reach the same database: the service's URL, or the embedded cluster it started (shared, not restarted).
  const databaseUrl = serviceEnv.DATABASE_URL ?? (await resolveDatabaseUrl(await loadConfig({ DATA_DIR: dataDir }))).url;
  console.log(`contract: service ready at ${baseUrl} in ${Date.now() - started} ms (${serviceEnv.DATABASE_URL ? 'DATABASE_URL' : 'embedded PostgreSQL'}, DATA_DIR ${dataDir})`);

  await rm(REPORT, { force: true });
  const dredd = await runDredd({
    endpoint: baseUrl,
    env: { ...process.env, CONTRACT_BASE_URL: baseUrl, CONTRACT_DATABASE_URL: databaseUrl, CONTRACT_DATA_DIR: dataDir, CONTRACT_REPORT: REPORT },
    args: extraArgs,
    echo: true,
  });

  const problems: string[] = [];
  // Dredd only warns when a hook file does not load; its transactions would then fail confusingly.
  if (/Skipping hook loading/.test(dredd.output)) problems.push('a hook file failed to load (see the warning above)');
  const report = await readFile(REPORT, 'utf8').then((text) => JSON.parse(text) as Report, () => undefined);
  if (!report) problems.push(`no report at ${REPORT}: the hooks did not run`);
  else problems.push(...summarize(report, extraArgs.some((a) => a.startsWith('--only') || a === '-x' || a === '--names' || a === '-n')));
  for (const problem of problems) console.error(`contract: ${problem}`);
  if (dredd.code !== 0 || problems.length) console.error(`contract: FAILED (service log: ${SERVICE_LOG})`);
  console.log(`contract: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return dredd.code !== 0 || problems.length ? 1 : 0;
}

main()
  .then(async (code) => {
    await cleanup();
    process.exit(code);
  })
  .catch(async (err) => {
    console.error('contract:', err);
    await cleanup();
    process.exit(1);
  });
