import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, startEmbeddedPostgres, type EmbeddedServer } from '../../../src/db/embedded.js';
import { createDb, type Db } from '../../../src/db/knex.js';
import { startSmtpCapture, type SmtpCapture } from '../../support/smtp.js';
import { startHaproxy, type Haproxy } from './haproxy.js';
import { startPgbouncer, type Pgbouncer } from './pgbouncer.js';
import { killAll, start, waitFor, type Managed } from './processes.js';
import { generateProductionSecrets } from '../../../src/config/production-secrets.js';

/** HAProxy connects to the instances from this address: the only proxy they trust. */
export const BALANCER_ADDRESS = '127.0.0.1';
/** Per-address login budget of the cluster: small, so crossing it takes a few requests; no refill to speak of. */
export const CLUSTER_LOGIN_LIMIT = 20;
export const INSTANCE_DRAIN_MS = 2000;

export interface Instance {
  name: string;
  port: number;
  process: Managed | undefined;
}

export interface Cluster {
  /** HAProxy's address: the only way the tests talk to the API. */
  url: string;
  /** HAProxy's frontend that never retries (a plain balancer). */
  strictUrl: string;
  haproxy: Haproxy;
  instances: Instance[];
  smtp: SmtpCapture;
  /** A direct connection to the service's database (never through PgBouncer), for setup and invariants. */
  db: Db;
  /** PgBouncer, when the cluster runs through it. */
  pgbouncer: Pgbouncer | undefined;
  /** Starts instance i (again) and waits until HAProxy has it UP. */
  startInstance(i: number): Promise<void>;
  /** SIGTERM, then waits for the drain and the exit; returns the exit code. */
  stopInstance(i: number): Promise<number | null>;
  /** kill -9. */
  killInstance(i: number): Promise<void>;
  /** Logs of every instance so far (for a failure message). */
  logs(): string;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** Put PgBouncer (transaction mode) between the instances and PostgreSQL. */
  viaPgbouncer: boolean;
}

async function createDatabase(): Promise<{ adminUrl: string; name: string; embedded?: EmbeddedServer; dataDir?: string }> {
  const name = `sg1_cluster_${randomBytes(5).toString('hex')}`;
  let adminUrl = process.env.DATABASE_URL;
  let embedded: EmbeddedServer | undefined;
  let dataDir: string | undefined;
  if (!adminUrl) {
    dataDir = await mkdtemp(join(tmpdir(), 'sg1-cluster-pg-'));
    embedded = await startEmbeddedPostgres({ dataDir, persistent: false, unsafeFast: true });
    adminUrl = embedded.url;
  }
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  return { adminUrl, name, embedded, dataDir };
}

function databaseUrl(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * PostgreSQL (DATABASE_URL's server, or an embedded one), optionally PgBouncer, three service
 * processes (`src/main.ts`, production mode, the same keys), a real SMTP peer and HAProxy in
 * front. The database is left unmigrated: the three instances start at once and migrate it
 * themselves, as a fresh deployment would.
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const dir = await mkdtemp(join(tmpdir(), 'sg1-cluster-'));
  await chmod(dir, 0o755);
  const database = await createDatabase();
  const directUrl = databaseUrl(database.adminUrl, database.name);
  const db = createDb(directUrl, 5);
  const smtp = await startSmtpCapture();
  let pgbouncer: Pgbouncer | undefined;
  if (options.viaPgbouncer) {
    pgbouncer = await startPgbouncer({ dir, port: await freePort(), upstream: new URL(database.adminUrl), database: database.name, poolSize: 12 });
  }
  const serviceDbUrl = pgbouncer?.url ?? directUrl;
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    NODE_ENV: 'production',
    DATABASE_URL: serviceDbUrl,
    DATABASE_POOL_MAX: '5',
    // PgBouncer 1.18 (Debian's) in transaction mode keeps no named statement across transactions.
    ...(pgbouncer && { DATABASE_PREPARED_STATEMENTS: 'false' }),
    SMTP_URL: smtp.url,
    PUBLIC_URL: 'http://auth.cluster.test',
    ...(await generateProductionSecrets()),
    DATA_DIR: dir,
    LOG_LEVEL: 'warn',
    TRUST_PROXY: BALANCER_ADDRESS,
    MAIL_WORKER_INTERVAL_MS: '300',
    SHUTDOWN_DRAIN_MS: String(INSTANCE_DRAIN_MS),
    ADDRESS_LIMIT_LOGIN: `${CLUSTER_LOGIN_LIMIT}/3600`,
  };
  const instances: Instance[] = [];
  for (let i = 0; i < 3; i++) instances.push({ name: `i${i + 1}`, port: await freePort(), process: undefined });
  const logs: string[] = [];

  const spawnInstance = (i: number) => {
    const instance = instances[i]!;
    const child = start(instance.name, process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { ...env, PORT: String(instance.port) } });
    instance.process = child;
    void child.exited.then(() => logs.push(`--- ${instance.name} (pid ${child.child.pid}) ---\n${child.output()}`));
  };
  const ready = (i: number) =>
    waitFor(`${instances[i]!.name} ready`, async () => (await fetch(`http://127.0.0.1:${instances[i]!.port}/readyz`)).status === 200, 60_000, 200);

  for (let i = 0; i < 3; i++) spawnInstance(i);
  const haproxy = await startHaproxy({ dir, port: await freePort(), mode: 'http', strictPort: await freePort(), servers: instances.map((s) => ({ name: s.name, host: '127.0.0.1', port: s.port })) });
  const cluster: Cluster = {
    url: haproxy.url,
    strictUrl: haproxy.strictUrl,
    haproxy,
    pgbouncer,
    instances,
    smtp,
    db,
    async startInstance(i) {
      spawnInstance(i);
      await ready(i);
      await haproxy.waitForStates({ [instances[i]!.name]: 'UP' });
    },
    async stopInstance(i) {
      const child = instances[i]!.process!;
      await child.stop(INSTANCE_DRAIN_MS + 15_000);
      return child.exited;
    },
    async killInstance(i) {
      await instances[i]!.process!.kill();
    },
    logs: () => [...logs, ...instances.map((s) => `--- ${s.name} (running) ---\n${s.process?.output() ?? ''}`)].join('\n'),
    async stop() {
      await Promise.all(instances.map((s) => s.process?.stop(INSTANCE_DRAIN_MS + 5000)));
      await haproxy.stop().catch(() => undefined);
      await pgbouncer?.stop().catch(() => undefined);
      await killAll();
      await smtp.close();
      await db.destroy();
      const admin = new pg.Client({ connectionString: database.adminUrl });
      await admin.connect();
      await admin.query(`drop database if exists ${database.name} with (force)`).catch(() => undefined);
      await admin.end();
      await database.embedded?.stop();
      if (database.dataDir) await rm(database.dataDir, { recursive: true, force: true });
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(instances.map((_, i) => ready(i)));
    await haproxy.waitForStates(Object.fromEntries(instances.map((s) => [s.name, 'UP'])));
  } catch (err) {
    const message = `${(err as Error).message}\n${cluster.logs()}\n--- haproxy ---\n${haproxy.process.output()}`;
    await cluster.stop().catch(() => undefined);
    throw new Error(message);
  }
  return cluster;
}
