import type { SecurityEventType } from '../../generated/types.gen.js';

export type { SecurityEventType };

/** SECURITY_EVENT_RETENTION_DAYS's default: over a year, so last year's same month can be compared. */
export const DEFAULT_SECURITY_EVENT_RETENTION_DAYS = 400;

/** GET /user/security-events page size when `limit` is not given (the spec's default). */
export const DEFAULT_PAGE_SIZE = 50;
