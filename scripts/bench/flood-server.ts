/**
 * The service for the flood benchmark, in a process of its own so that the load generators do
 * not share its event loop. Production mode (response validation off), the default pool, the
 * config read from the environment (HASH_CONCURRENCY, a per-address limit switch, … pass through).
 * Prints `{"port": N}` on stdout once listening; stops on SIGTERM.
 */
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/app.js';
import { buildDeps } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config/index.js';
import { createDb, migrateLatest } from '../../src/db/knex.js';

const config = await loadConfig({ ...process.env, NODE_ENV: 'development', LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' });
const db = createDb(config.databaseUrl!);
await migrateLatest(db);
const deps = await buildDeps({ ...config, nodeEnv: 'production' }, db);
const server = createApp(deps).listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ port: (server.address() as AddressInfo).port }));
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => void db.destroy().then(() => process.exit(0)));
});
