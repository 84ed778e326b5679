import type { HashLimiter, HashPermit } from '../../src/crypto/hash-limiter.js';
import type { TestServer } from './server.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Puts a wrapper around the server's hash limiter (deps are read per request): each hash first
 * reports the pool's connections in use at that moment, then waits for `gate` if one is set.
 */
export function instrumentHashes(server: TestServer, limiter: HashLimiter = server.deps.hashLimiter) {
  const pool = () => (server.deps.db.client as { pool: { numUsed(): number } }).pool;
  const state = {
    /** Connections in use while each hash ran (one entry per hash). */
    connectionsInUse: [] as number[],
    gate: undefined as Promise<void> | undefined,
  };
  const wrap = (permit: HashPermit): HashPermit => ({
    release: () => permit.release(),
    run: (hash) =>
      permit.run(async () => {
        await tick(); // let any statement that just finished hand its connection back
        state.connectionsInUse.push(pool().numUsed());
        if (state.gate) await state.gate;
        return hash();
      }),
  });
  server.deps.hashLimiter = {
    concurrency: limiter.concurrency,
    queue: limiter.queue,
    stats: () => limiter.stats(),
    tryAdmit: () => {
      const permit = limiter.tryAdmit();
      return permit && wrap(permit);
    },
  };
  return state;
}

/** Waits (without a timeout of its own) until `condition` holds. */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}
