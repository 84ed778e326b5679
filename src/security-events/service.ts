import type { Deps } from '../deps.js';
import type { SecurityEventPage } from '../../generated/types.gen.js';
import { DEFAULT_PAGE_SIZE } from './constants.js';
import { findSecurityEvents } from './queries.js';

/**
 * A page of the user's events, newest first. The cursor is the last event's id: ids only grow, so
 * a page never repeats or skips an event however many are written meanwhile.
 */
export async function listSecurityEvents(deps: Pick<Deps, 'db'>, userId: string, page: { before?: string; limit?: number }): Promise<SecurityEventPage> {
  const limit = page.limit ?? DEFAULT_PAGE_SIZE;
  // One more than asked tells whether an older page exists.
  const rows = await findSecurityEvents(deps.db, userId, { before: page.before, limit: limit + 1 });
  const events = rows.slice(0, limit).map((r) => ({ id: r.id, type: r.type, at: r.at.toISOString(), address: r.address, userAgent: r.userAgent, detail: r.detail }));
  return { events, next: rows.length > limit ? events[events.length - 1]!.id : null };
}
