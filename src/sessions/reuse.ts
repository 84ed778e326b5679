import type { Deps } from '../deps.js';
import { withTx } from '../db/tx.js';
import { REFRESH_TOKEN_REUSE_GRACE_MS } from './constants.js';
import { endUserSessions } from './end.js';
import { findRotatedRefreshToken } from './queries.js';
import { recordAndNotify } from '../security-events/notices.js';

/**
 * Reuse detection (OAuth 2.0 Security BCP §4.14.2, refresh-token rotation): a refresh token that
 * was rotated away and is presented again means two parties hold the chain, so the whole session
 * ends, the thief's newer token and the owner's alike. Within the grace after the rotation it is
 * taken for the owner's own racing request and the session stays. Either way the token itself
 * answers 401 (it stopped working at its rotation); this only decides the session's fate.
 * Commits on its own: the 401 that follows must not roll the ending back.
 */
export async function detectRefreshTokenReuse(deps: Pick<Deps, 'db' | 'clock' | 'mail' | 'log'>, refreshTokenHash: Buffer): Promise<void> {
  const rotated = await findRotatedRefreshToken(deps.db, refreshTokenHash);
  const now = deps.clock.now();
  if (!rotated || now - rotated.rotatedAt.getTime() <= REFRESH_TOKEN_REUSE_GRACE_MS) return;
  await withTx(deps.db, async (trx) => {
    const ended = await endUserSessions(trx, deps, { userId: rotated.userId, which: { only: rotated.sessionId }, reason: 'refresh_token_reused' });
    // Of two concurrent replays, only the one that ended the session records the reuse.
    if (ended.length) await recordAndNotify(trx, deps, { userId: rotated.userId, type: 'refresh_token_reused', detail: { sessionId: rotated.sessionId } });
  });
}
