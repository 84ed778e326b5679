import type { Cluster } from './cluster.js';
import { call } from './http.js';

export interface LoadResult {
  ok: number;
  /** Every failed request: a network error or an answer that is not 2xx. */
  failures: string[];
  /** Per session: rotations acknowledged with 200, and the refresh token it holds at the end. */
  sessions: { userId: string; rotations: number; refreshToken: string }[];
}

/**
 * Steady, bounded load: each session rotates its refresh token (a write: the old row revoked,
 * a new one inserted), then gets and validates an access token, again and again, until
 * `stop()` or `maxRequestsPerSession` or `maxMs`. A rotation acknowledged with 200 is a write the
 * test checks afterwards (no lost writes).
 */
export function steadyLoad(
  cluster: Cluster,
  sessions: { userId: string; refreshToken: string; from: string }[],
  options: { base?: string; maxRequestsPerSession?: number; maxMs?: number } = {},
) {
  const { base = cluster.url, maxRequestsPerSession = 3000, maxMs = 120_000 } = options;
  let stopped = false;
  const result: LoadResult = { ok: 0, failures: [], sessions: [] };
  const deadline = Date.now() + maxMs;
  const runs = sessions.map(async (session) => {
    const state = { userId: session.userId, rotations: 0, refreshToken: session.refreshToken };
    result.sessions.push(state);
    const step = async (method: string, path: string, token: string) => {
      try {
        const answer = await call(base, method, path, { from: session.from, token });
        if (answer.status >= 200 && answer.status < 300) {
          result.ok++;
          return answer;
        }
        result.failures.push(`${method} ${path} → ${answer.status} ${answer.text.slice(0, 120)} (${answer.servedBy ?? 'haproxy'})`);
      } catch (err) {
        result.failures.push(`${method} ${path} → ${(err as Error).message}`);
      }
      return undefined;
    };
    for (let n = 0; n < maxRequestsPerSession && !stopped && Date.now() < deadline; n += 3) {
      const rotated = await step('GET', '/auth/refreshtoken', state.refreshToken);
      if (!rotated) continue; // not acknowledged: the old token is still the one to use (or it was rotated and lost: the check after shows)
      state.rotations++;
      state.refreshToken = rotated.text;
      const access = await step('GET', '/auth/accesstoken', state.refreshToken);
      if (access) await step('GET', '/auth/accesstoken/validate', access.text);
    }
  });
  const done = Promise.all(runs).then(() => result);
  return {
    /** Stops the loops after their current request; resolves with the tally. */
    stop: () => {
      stopped = true;
      return done;
    },
    result,
  };
}
