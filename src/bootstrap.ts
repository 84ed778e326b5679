import type { Logger } from 'pino';
import type { Config } from './config/index.js';
import type { Db } from './db/knex.js';
import { systemClock, type Clock, type Deps } from './deps.js';
import { loadSpecText } from './http/spec.js';
import { createMailDeps } from './mail/index.js';
import { createLogger } from './log.js';
import { Lifecycle } from './ops/lifecycle.js';
import { createMetrics } from './ops/metrics.js';
import { loadTokenKeys } from './tokens/keys.js';
import { createHashLimiter, type HashLimiter } from './crypto/hash-limiter.js';
import { configureHashThreads } from './crypto/hash-threads.js';

/** Wires the dependencies every part of the service shares; tests pass their own clock (and hash limiter). */
export async function buildDeps(config: Config, db: Db, overrides: { clock?: Clock; log?: Logger; hashLimiter?: HashLimiter } = {}): Promise<Deps> {
  configureHashThreads(config.hashConcurrency);
  return {
    config,
    db,
    clock: overrides.clock ?? systemClock,
    log: overrides.log ?? createLogger(config.logLevel),
    keys: await loadTokenKeys(config.signingKeys, config.publicUrl),
    metrics: createMetrics(),
    hashLimiter: overrides.hashLimiter ?? createHashLimiter(config.hashConcurrency, config.hashQueue),
    mail: createMailDeps(config),
    specText: loadSpecText(),
    lifecycle: new Lifecycle(),
  };
}
