import type { ListSecurityEventsData, ListSecurityEventsResponses } from '../../generated/types.gen.js';
import { ok, type Handler } from '../http/handler.js';
import { listSecurityEvents as listEvents } from './service.js';

const listSecurityEvents: Handler<ListSecurityEventsData, ListSecurityEventsResponses> = async ({ auth, deps, query }) =>
  ok(await listEvents(deps, auth.userId, { before: query.before, limit: query.limit }));

export const securityEventHandlers = { listSecurityEvents };
