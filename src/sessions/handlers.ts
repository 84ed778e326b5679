import type {
  EndOtherSessionsData, EndOtherSessionsResponses, EndSessionData, EndSessionResponses, ListSessionsData, ListSessionsResponses,
} from '../../generated/types.gen.js';
import { ok, okNull, type Handler } from '../http/handler.js';
import * as sessions from './service.js';

const listSessions: Handler<ListSessionsData, ListSessionsResponses> = async ({ auth, deps }) => ok(await sessions.listSessions(deps, auth));

const endSession: Handler<EndSessionData, EndSessionResponses> = async ({ auth, deps, req }) => {
  // The validator has checked the path parameter is a uuid.
  await sessions.endSession(deps, auth.userId, req.params.id as string);
  return okNull();
};

const endOtherSessions: Handler<EndOtherSessionsData, EndOtherSessionsResponses> = async ({ auth, deps }) => {
  // The policy (sudo or access token) guarantees a session id.
  await sessions.endOtherSessions(deps, { userId: auth.userId, sessionId: auth.sessionId! });
  return okNull();
};

export const sessionHandlers = { listSessions, endSession, endOtherSessions };
