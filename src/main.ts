import { resolve } from 'node:path';
import { buildDeps } from './bootstrap.js';
import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config/index.js';
import { disablePreparedStatements } from './db/prepared.js';
import { resolveDatabaseUrl } from './db/connect.js';
import { EmbeddedPostgresError } from './db/embedded-access.js';
import { createDb, migrateLatest } from './db/knex.js';
import { MailConfigurationError } from './mail/index.js';
import { createLogger } from './log.js';
import { startMailWorker } from './mail/worker.js';

async function main(): Promise<void> {
  const config = await loadConfig();
  const log = createLogger(config.logLevel);
  if (config.nodeEnv !== 'production') {
    // A deployment that forgot NODE_ENV would otherwise run on generated keys without a word.
    log.warn({ nodeEnv: config.nodeEnv }, 'not in production mode: missing keys are generated under DATA_DIR; set NODE_ENV=production for a real deployment');
  }
  const database = await resolveDatabaseUrl(config, (line) => log.debug({ postgres: line.trim() }, 'embedded postgres'));
  if (database.embedded) log.info({ dataDir: resolve(config.dataDir, 'pg') }, 'started embedded PostgreSQL (set DATABASE_URL to use your own server)');
  const db = createDb(database.url, { poolMax: config.databasePoolMax, log });
  if (!config.databasePreparedStatements) disablePreparedStatements(db);
  await migrateLatest(db);

  const deps = await buildDeps(config, db, { log });
  for (const warning of deps.mail.configurations.warnings) log.warn({ templatesDir: deps.mail.configurations.dir }, `mail template ${warning}`);
  const mailWorker = startMailWorker(deps);
  const app = createApp(deps);
  const server = app.listen(config.port, () => log.info({ port: config.port, publicUrl: config.publicUrl }, 'listening'));

  // While draining, every response closes its connection, so the balancer's kept-alive
  // connections end with the drain instead of being cut when the listener closes.
  server.prependListener('request', (_req, res) => {
    if (deps.lifecycle.draining) res.setHeader('Connection', 'close');
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    // SIGTERM comes from an orchestrator or a rolling restart: first let the balancer see /readyz
    // fail and stop sending, while what still arrives is served. SIGINT (Ctrl-C) stops at once.
    if (signal === 'SIGTERM' && config.shutdownDrainMs > 0) {
      deps.lifecycle.beginDrain();
      log.info({ signal, drainMs: config.shutdownDrainMs }, 'draining: /readyz answers 503, requests are still served');
      await new Promise((done) => setTimeout(done, config.shutdownDrainMs));
    }
    log.info({ signal }, 'shutting down: no new connections, finishing in-flight requests');
    server.close();
    server.closeIdleConnections();
    await new Promise<void>((done) => server.once('close', () => done()));
    await mailWorker.stop(); // after the last request, so its mail is still picked up
    await db.destroy();
    await database.embedded?.stop();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err) => {
  if (err instanceof ConfigError || err instanceof MailConfigurationError) {
    console.error(`configuration error: ${err.message}`);
  } else if (err instanceof EmbeddedPostgresError) {
    console.error(`cannot start: ${err.message}`);
  } else {
    console.error('failed to start:', err);
  }
  process.exit(1);
});
