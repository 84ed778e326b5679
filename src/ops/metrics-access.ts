import { sha256, safeEqual } from '../crypto/hash.js';
import { bearerToken } from '../tokens/authenticate.js';
import { tokenErrors } from '../tokens/errors.js';

/**
 * GET /metrics answers only with `Authorization: Bearer <METRICS_TOKEN>` when that is set
 * (production requires it). Compared as SHA-256 digests in constant time, so neither the
 * token's content nor its length shows in the timing.
 */
export function assertMetricsAccess(metricsToken: string | undefined, authorization: string | undefined): void {
  if (metricsToken === undefined) return;
  const presented = bearerToken(authorization);
  if (!presented) throw tokenErrors('NO_TOKEN_PROVIDED');
  if (!safeEqual(sha256(presented), sha256(metricsToken))) throw tokenErrors('INVALID_TOKEN');
}
