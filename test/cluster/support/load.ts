import type { Cluster } from './cluster.js';
import { call } from './http.js';

export interface LoadResult {
  ok: number;
  /** Every failed request: a network error or an answer that is not 2xx. */
  failures: string[];
  /** Per session: rotations acknowledged with 200, and the refresh token it holds at the end. */
  sessions: { userId: string; rotations: number; refreshToken: string }[];
  /**
   * Sessions whose rotation was cut off after it committed (the answer lost with a killed
   * instance): the next rotation of the old token is refused 401, as it must be, and the session
   * stops there (a real client logs in again). Not counted in `failures`.
   */
  lost: number;
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
  const result: LoadResult = { ok: 0, failures: [], sessions: [], lost: 0 };
  const deadline = Date.now() + maxMs;
  const runs = sessions.map(async (session) => {
    const state = { userId: session.userId, rotations: 0, refreshToken: session.refreshToken };
    result.sessions.push(state);
    let lastRotationCutOff = false;
    /** The 2xx answer, or why there is none: the status (recorded as a failure unless `tolerate401`), or 'cut off'. */
    const step = async (method: string, path: string, token: string, tolerate401 = false) => {
      try {
        const answer = await call(base, method, path, { from: session.from, token });
        if (answer.status >= 200 && answer.status < 300) {
          result.ok++;
          return answer;
        }
        if (!(tolerate401 && answer.status === 401)) {
          result.failures.push(`${method} ${path} → ${answer.status} ${answer.text.slice(0, 120)} (${answer.servedBy ?? 'haproxy'})`);
        }
        return answer.status;
      } catch (err) {
        result.failures.push(`${method} ${path} → ${(err as Error).message}`);
        return 'cut off' as const;
      }
    };
    for (let n = 0; n < maxRequestsPerSession && !stopped && Date.now() < deadline; n += 3) {
      const rotated = await step('GET', '/auth/refreshtoken', state.refreshToken, lastRotationCutOff);
      if (rotated === 401) {
        // Only after a rotation that was cut off (else step counted it as a failure): it had
        // committed on the killed instance and its answer was lost with it, so the old token is
        // rightly dead. A real client logs in again; this session stops.
        if (lastRotationCutOff) result.lost++;
        break;
      }
      lastRotationCutOff = rotated === 'cut off';
      if (typeof rotated !== 'object') continue; // not acknowledged: the old token is still the one to use (or it was rotated and lost)
      state.rotations++;
      state.refreshToken = rotated.text;
      const access = await step('GET', '/auth/accesstoken', state.refreshToken);
      if (typeof access === 'object') await step('GET', '/auth/accesstoken/validate', access.text);
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
