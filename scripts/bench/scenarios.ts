import type autocannon from 'autocannon';
import { argon2HashesPerSecond } from './argon2.js';
import { load, type LoadResult } from './load.js';

/** One row of the table: measured once per round, all rows with the same load profile. */
export interface Scenario {
  key: string;
  label: string;
  /** Rate per second (requests, or hashes for the raw argon2id row) and, for HTTP rows, the load details. */
  measure(seconds: number): Promise<Measurement>;
}

export interface Measurement {
  perSecond: number;
  load?: LoadResult;
  /**
   * CPU per request, µs (HTTP rows): the server that answered the row (all threads, and its main
   * thread), PostgreSQL, the load client (this process: autocannon) and the whole machine.
   */
  cpu?: { serverUs: number; eventLoopUs: number; postgresUs: number; clientUs: number; machineUs: number };
}

/** An HTTP row: autocannon with the bench's connection count. `prepare` runs before each measurement. */
export function httpScenario(key: string, label: string, connections: number, opts: () => autocannon.Options, prepare?: () => Promise<void>): Scenario {
  return {
    key,
    label,
    async measure(seconds) {
      await prepare?.();
      const result = await load(opts(), connections, seconds);
      return { perSecond: result.rps, load: result };
    },
  };
}

export function argon2Scenario(passwordHash: string, password: string): Scenario {
  return {
    key: 'argon2',
    label: 'raw argon2id verifications/s (this process, no HTTP)',
    async measure(seconds) {
      return { perSecond: await argon2HashesPerSecond(passwordHash, password, seconds) };
    },
  };
}
